"""Subjects and their consent, one append-only version at a time."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models

_CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32: no I, L, O, U


def new_subject_code() -> str:
    """A random public code, never derived from any identifier: ``HX-`` + 10 characters."""
    return "HX-" + "".join(secrets.choice(_CODE_ALPHABET) for _ in range(10))


class Sex(models.TextChoices):
    FEMALE = "female", "Female"
    MALE = "male", "Male"
    OTHER = "other", "Other"
    UNKNOWN = "unknown", "Not stated"


class Subject(models.Model):
    """A patient as the platform knows them.

    Direct identifiers are stored only encrypted (``governance.keys.encrypt_field``), with
    keyed blind indexes for exact lookup. Quasi-identifiers are kept in the clear for
    cohort selection and are generalised before anything leaves.
    """

    code = models.CharField(max_length=16, unique=True, default=new_subject_code, editable=False)
    name_enc = models.BinaryField(null=True)
    email_enc = models.BinaryField(null=True)
    mrn_enc = models.BinaryField(null=True)
    # NULL (not "") when absent, so the unique constraint allows many subjects without one.
    email_index = models.CharField(max_length=64, null=True, unique=True)  # noqa: DJ001
    mrn_index = models.CharField(max_length=64, null=True, unique=True)  # noqa: DJ001
    birth_date = models.DateField(null=True, blank=True)
    sex = models.CharField(max_length=10, choices=Sex.choices, default=Sex.UNKNOWN)
    postcode = models.CharField(max_length=10, blank=True)
    ethnic_background = models.CharField(max_length=64, blank=True)
    sample_id = models.CharField(max_length=32, blank=True, db_index=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="subject",
    )
    # The version in force now; a pointer for fast "current" queries. Past instants are
    # answered from the versions themselves.
    current_consent = models.ForeignKey(
        "consent.ConsentRecord", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # What the consent gate compares of the current version, kept beside the pointer by
    # database triggers (``consent.current_terms``): status, categories, permission and
    # modifiers as bits, the dates, and the named lists. Never written by the application.
    current_terms = models.BigIntegerField(db_default=0, editable=False)
    current_valid_from = models.DateTimeField(null=True, editable=False)
    current_valid_until = models.DateTimeField(null=True, editable=False)
    current_use_ends = models.DateField(null=True, editable=False)  # TS: first day use is over
    current_moratorium = models.DateField(null=True, editable=False)
    current_countries = models.JSONField(null=True, editable=False)
    current_users = models.JSONField(null=True, editable=False)
    current_projects = models.JSONField(null=True, editable=False)
    current_institutions = models.JSONField(null=True, editable=False)
    created_at = models.DateTimeField()
    erased_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.code


class SubjectDiagnosis(models.Model):
    """A diagnosis as a CURIE: ``ICD10:E10``, ``MONDO:0005147``."""

    subject = models.ForeignKey(Subject, on_delete=models.CASCADE, related_name="diagnoses")
    term = models.CharField(max_length=32, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["subject", "term"], name="unique_subject_diagnosis")
        ]

    def __str__(self) -> str:
        return self.term


class ConsentEvent(models.TextChoices):
    GRANT = "grant", "Granted"
    AMEND = "amend", "Amended"
    WITHDRAW = "withdraw", "Withdrawn"


class ConsentStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    WITHDRAWN = "withdrawn", "Withdrawn"


class RecordedVia(models.TextChoices):
    PORTAL = "portal", "Patient portal"
    STAFF = "staff", "Staff, on the patient's behalf"
    FHIR_IMPORT = "fhir_import", "FHIR import"
    API = "api", "API"
    SEED = "seed", "Demo seed"


class ConsentRecord(models.Model):
    """One version of a subject's consent. Never edited or deleted once written.

    The data use is a set of DUO terms: one ``permission`` (NRES, GRU, HMB, DS, POA; DS
    with ``diseases``) and any ``modifiers``, whose parameters are the fields below.
    ``modifiers`` is stored as comma-wrapped codes (``",DUO:0000045,DUO:0000021,"``) so
    SQL can test membership with a LIKE.
    """

    subject = models.ForeignKey(Subject, on_delete=models.PROTECT, related_name="consents")
    version = models.PositiveIntegerField()
    event = models.CharField(max_length=10, choices=ConsentEvent.choices)
    status = models.CharField(max_length=10, choices=ConsentStatus.choices)
    permission = models.CharField(max_length=16)
    diseases = models.JSONField(default=list, blank=True)
    modifiers = models.CharField(max_length=400, blank=True, default="")
    countries = models.JSONField(default=list, blank=True)
    months = models.PositiveIntegerField(null=True, blank=True)
    use_start = models.DateField(null=True, blank=True)
    moratorium = models.DateField(null=True, blank=True)
    users = models.JSONField(default=list, blank=True)
    projects = models.JSONField(default=list, blank=True)
    institutions = models.JSONField(default=list, blank=True)
    restriction_text = models.TextField(blank=True)
    cat_genomic = models.BooleanField(default=False)
    cat_clinical = models.BooleanField(default=False)
    cat_demographic = models.BooleanField(default=False)
    valid_from = models.DateTimeField()
    valid_until = models.DateTimeField(null=True, blank=True)
    recorded_at = models.DateTimeField(db_index=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recorded_via = models.CharField(max_length=12, choices=RecordedVia.choices)
    text_version = models.CharField(max_length=32)
    text_digest = models.CharField(max_length=64)
    receipt = models.TextField(blank=True)

    class Meta:
        ordering = ["subject_id", "version"]
        constraints = [
            models.UniqueConstraint(fields=["subject", "version"], name="unique_consent_version"),
            models.CheckConstraint(
                condition=models.Q(version__gte=1), name="consent_version_positive"
            ),
        ]
        indexes = [models.Index(fields=["subject", "recorded_at"])]

    def __str__(self) -> str:
        return f"{self.subject_id} v{self.version} {self.status}"

    @property
    def modifier_list(self) -> list[str]:
        return [code for code in self.modifiers.split(",") if code]

    @property
    def categories(self) -> list[str]:
        return [
            name
            for name, flag in (
                ("genomic", self.cat_genomic),
                ("clinical", self.cat_clinical),
                ("demographic", self.cat_demographic),
            )
            if flag
        ]


class ConsentDisease(models.Model):
    """The disease terms of a DS consent, one row each, for SQL matching."""

    consent = models.ForeignKey(
        ConsentRecord, on_delete=models.PROTECT, related_name="disease_rows"
    )
    term = models.CharField(max_length=32, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["consent", "term"], name="unique_consent_disease")
        ]

    def __str__(self) -> str:
        return self.term
