"""Reads of the consent app, including the access functions for subjects and versions.

``subject_get_for_user`` and ``consent_get_for_user`` are the only ways pages and APIs
reach a protected subject or consent version: a steward sees every subject, a patient
only their own, and everyone else gets the same ``NotFound`` as for a missing one.
"""

from __future__ import annotations

from datetime import datetime

from django.db.models import F, Q, QuerySet
from django.utils import timezone

from consent.identifiers import open_identifiers
from consent.models import ConsentRecord, ConsentStatus, Subject
from governance import keys
from governance.audit import Action, audit_append
from governance.errors import NotFound
from governance.roles import Role, has_role


def subject_get_for_user(*, user, code: str) -> Subject:
    """The subject ``code`` if ``user`` may see it; ``NotFound`` otherwise (missing alike)."""
    subject = Subject.objects.filter(code=code).select_related("current_consent").first()
    if subject is None:
        raise NotFound()
    if has_role(user, Role.DATA_STEWARD):
        return subject
    if has_role(user, Role.PATIENT) and subject.user_id is not None and subject.user_id == user.pk:
        return subject
    raise NotFound()


def subject_for_patient(*, user) -> Subject:
    """The subject linked to a patient user; ``NotFound`` if there is none."""
    if not has_role(user, Role.PATIENT):
        raise NotFound()
    subject = Subject.objects.filter(user_id=user.pk).select_related("current_consent").first()
    if subject is None:
        raise NotFound()
    return subject


def subject_get_by_mrn(mrn: str) -> Subject:
    """Exact lookup by MRN through its keyed blind index (nothing is decrypted)."""
    subject = Subject.objects.filter(mrn_index=keys.blind_index(mrn or "", field="mrn")).first()
    if subject is None:
        raise NotFound()
    return subject


def subject_get_by_email(email: str) -> Subject:
    """Exact lookup by email through its keyed blind index (case and spacing ignored)."""
    subject = Subject.objects.filter(
        email_index=keys.blind_index(email or "", field="email")
    ).first()
    if subject is None:
        raise NotFound()
    return subject


def subject_identifiers(
    subject: Subject, *, actor="system", purpose: str = "", now: datetime | None = None
) -> dict:
    """Decrypt a subject's direct identifiers. Every call is an audited read."""
    if subject.erased_at is not None:
        raise NotFound()
    values = open_identifiers(subject)
    audit_append(
        actor=actor,
        action=Action.SUBJECT_READ,
        object_type="subject",
        object_id=subject.code,
        subject_code=subject.code,
        purpose=purpose or None,
        extra={"fields": ["name", "email", "mrn"]},
        now=now,
    )
    return values


def subject_list(
    *,
    sex: str | None = None,
    status: str | None = None,
    permission: str | None = None,
    diagnosis: str | None = None,
    linked: bool | None = None,
) -> QuerySet[Subject]:
    """Subjects filtered by quasi-identifiers and current consent; never identifiers."""
    qs = Subject.objects.filter(erased_at__isnull=True).select_related("current_consent")
    if sex:
        qs = qs.filter(sex=sex)
    if status == "none":
        qs = qs.filter(current_consent__isnull=True)
    elif status:
        qs = qs.filter(current_consent__status=status)
    if permission:
        qs = qs.filter(current_consent__permission=permission)
    if diagnosis:
        qs = qs.filter(diagnoses__term=diagnosis)
    if linked is not None:
        qs = qs.filter(user__isnull=not linked)
    return qs.order_by("code").distinct()


def consent_history(subject: Subject) -> QuerySet[ConsentRecord]:
    """Every version of a subject's consent, oldest first."""
    return ConsentRecord.objects.filter(subject=subject).order_by("version")


def consent_get_for_user(*, user, code: str, version: int) -> ConsentRecord:
    """Version ``version`` of subject ``code``'s consent, if ``user`` may see the subject."""
    subject = subject_get_for_user(user=user, code=code)
    record = ConsentRecord.objects.filter(subject=subject, version=version).first()
    if record is None:
        raise NotFound()
    return record


def consent_list(
    *,
    subject_code: str | None = None,
    status: str | None = None,
    event: str | None = None,
    permission: str | None = None,
    via: str | None = None,
    current_only: bool = False,
) -> QuerySet[ConsentRecord]:
    qs = ConsentRecord.objects.select_related("subject")
    if subject_code:
        qs = qs.filter(subject__code=subject_code)
    if status:
        qs = qs.filter(status=status)
    if event:
        qs = qs.filter(event=event)
    if permission:
        qs = qs.filter(Q(permission=permission) | Q(modifiers__contains=f",{permission},"))
    if via:
        qs = qs.filter(recorded_via=via)
    if current_only:
        qs = qs.filter(subject__current_consent=F("pk"))
    return qs.order_by("subject__code", "version")


def consent_version_at(subject: Subject, at: datetime | None = None) -> ConsentRecord | None:
    """The version that governed ``subject`` at instant ``at`` (now by default), whatever
    its status: the latest version that had started by then, or None before the first."""
    at = at or timezone.now()
    return (
        ConsentRecord.objects.filter(subject_id=subject.pk, valid_from__lte=at)
        .order_by("-valid_from", "-version")
        .first()
    )


def consent_in_force(subject: Subject, at: datetime | None = None) -> ConsentRecord | None:
    """The active consent in force for ``subject`` at instant ``at``, or None.

    None before the first grant, from the instant of a withdrawal until the next grant,
    and after an active version's ``valid_until``. Works for any past instant because
    versions are never edited; use ``consent_version_at`` to see which version governed
    (for example a withdrawal) regardless of its status.
    """
    at = at or timezone.now()
    record = consent_version_at(subject, at)
    if record is None or record.status != ConsentStatus.ACTIVE:
        return None
    if record.valid_until is not None and at >= record.valid_until:
        return None
    return record
