"""Genomic vault models: subject keys, stored files, the variant index, erasure certificates.

Nothing here holds a plaintext key or a genotype outside the encrypted files, except the
variant index, which is personal data read only through the gate
(``genomics.selectors.variant_query``).
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models


class SubjectKey(models.Model):
    """A subject's X25519 key pair. The private half exists only wrapped under a master key.

    ``wrapped_private`` is sealed by ``governance.keys.wrap_key`` with the context
    ``subject-key:<code>:v<version>`` so a wrapped key copied to another row fails to open.
    ``master_version`` mirrors the master key version inside the wrapped bytes, so a
    rotation can select the rows it still has to move. Erasure clears ``wrapped_private``
    and sets ``destroyed_at``: that was the only copy, so the subject's files can no
    longer be decrypted anywhere, backups included.
    """

    subject = models.ForeignKey(
        "consent.Subject", on_delete=models.PROTECT, related_name="genomic_keys"
    )
    version = models.PositiveIntegerField()
    public_key = models.BinaryField()
    wrapped_private = models.BinaryField(null=True)
    master_version = models.PositiveIntegerField(null=True, db_index=True)
    created_at = models.DateTimeField()
    destroyed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["subject", "version"], name="unique_subject_key_version"
            ),
            models.UniqueConstraint(
                fields=["subject"],
                condition=models.Q(destroyed_at__isnull=True),
                name="one_live_subject_key",
            ),
            models.CheckConstraint(
                condition=models.Q(
                    destroyed_at__isnull=True,
                    wrapped_private__isnull=False,
                    master_version__isnull=False,
                )
                | models.Q(destroyed_at__isnull=False, wrapped_private__isnull=True),
                name="subject_key_live_or_destroyed",
            ),
        ]

    def __str__(self) -> str:
        return f"subject key {self.subject_id} v{self.version}"

    @property
    def context(self) -> str:
        return subject_key_context(self.subject.code, self.version)

    @property
    def is_live(self) -> bool:
        return self.destroyed_at is None


def subject_key_context(code: str, version: int) -> str:
    """The associated data bound into a wrapped subject key."""
    return f"subject-key:{code}:v{version}"


class FileState(models.TextChoices):
    STORED = "stored", "Stored"
    ERASED = "erased", "Erased"


# The only transition: erasure. A stored file never comes back once erased.
FILE_TRANSITIONS: dict[str, frozenset[str]] = {
    FileState.STORED: frozenset({FileState.ERASED}),
    FileState.ERASED: frozenset(),
}


class GenomicFile(models.Model):
    """One subject's Crypt4GH-encrypted VCF in the vault.

    The blob lives at ``VAULT_DIR/<file_id[:2]>/<file_id>.c4gh``, encrypted to the
    subject key named here. The row keeps what the ledger and erasure certificates need
    (digests and sizes) after the blob is gone.
    """

    file_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    ingest_id = models.UUIDField(db_index=True)
    subject = models.ForeignKey(
        "consent.Subject", on_delete=models.PROTECT, related_name="genomic_files"
    )
    subject_key = models.ForeignKey(SubjectKey, on_delete=models.PROTECT, related_name="files")
    state = models.CharField(max_length=10, choices=FileState.choices, default=FileState.STORED)
    assembly = models.CharField(max_length=16)
    plaintext_sha256 = models.CharField(max_length=64)
    plaintext_size = models.BigIntegerField()
    ciphertext_size = models.BigIntegerField()
    header_len = models.PositiveIntegerField()
    record_count = models.PositiveIntegerField(help_text="VCF records stored in this file")
    variant_count = models.PositiveIntegerField(help_text="non-reference calls indexed")
    source_record_count = models.PositiveIntegerField(
        help_text="records in the ingested source file"
    )
    source_sha256 = models.CharField(
        max_length=64, help_text="digest of the ingested file as uploaded"
    )
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    erased_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "id"]
        indexes = [models.Index(fields=["subject", "state"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(plaintext_size__gte=0), name="genomic_file_size_positive"
            ),
        ]

    def __str__(self) -> str:
        return str(self.file_id)

    @property
    def storage_name(self) -> str:
        return f"{self.file_id.hex[:2]}/{self.file_id.hex}.c4gh"


class Zygosity(models.TextChoices):
    HET = "het", "Heterozygous"
    HOM_ALT = "hom_alt", "Homozygous alternate"
    HEMI = "hemi", "Hemizygous"


class VariantCall(models.Model):
    """One non-reference call of one subject: personal data, read only through the gate.

    Chromosomes are stored without a ``chr`` prefix (``1``, ``X``, ``MT``) so lookups do
    not depend on the naming style of the file a call came from.
    """

    subject = models.ForeignKey(
        "consent.Subject", on_delete=models.CASCADE, related_name="variant_calls"
    )
    # No index of its own: lookups go by locus or subject, and files are never deleted
    # (erasure deletes calls by subject). One index fewer to maintain on bulk loads.
    genomic_file = models.ForeignKey(
        GenomicFile, on_delete=models.CASCADE, related_name="variant_calls", db_index=False
    )
    assembly = models.CharField(max_length=16)
    chrom = models.CharField(max_length=32)
    pos = models.PositiveBigIntegerField()
    ref = models.TextField()
    alt = models.TextField()
    zygosity = models.CharField(max_length=8, choices=Zygosity.choices)

    class Meta:
        # Calls arrive in file order, so the locus index grows at its end; the subject
        # index (from the foreign key) serves erasure and per-subject listing.
        indexes = [models.Index(fields=["assembly", "chrom", "pos"], name="variant_locus")]

    def __str__(self) -> str:
        return f"{self.assembly}:{self.chrom}:{self.pos}:{self.ref}>{self.alt}"


class ErasureCertificate(models.Model):
    """The signed record of a subject's erasure: what was destroyed, when, by whom.

    ``document`` is canonical JSON; ``signature`` is the platform's Ed25519 signature over
    exactly those bytes (``governance.keys.sign``), base64-encoded.
    """

    subject = models.ForeignKey(
        "consent.Subject", on_delete=models.PROTECT, related_name="erasure_certificates"
    )
    issued_at = models.DateTimeField()
    document = models.TextField()
    signature = models.CharField(max_length=128)
    signing_key_id = models.CharField(max_length=64)

    class Meta:
        ordering = ["-issued_at"]

    def __str__(self) -> str:
        return f"erasure certificate {self.subject_id} {self.issued_at:%Y-%m-%d}"
