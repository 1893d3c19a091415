"""Errors of the genomic vault. Messages name the problem and the line, never a genotype."""

from __future__ import annotations

from governance.errors import Conflict, DomainError, NotFound, PermissionDenied, ValidationFailed


class VcfInvalid(ValidationFailed):
    """A VCF failed validation. ``line`` is 1-based in the decompressed text (0: the file as a whole)."""

    default_code = "vcf_invalid"

    def __init__(self, line: int, reason: str, message: str):
        super().__init__(
            f"line {line}: {message}" if line else message, extra={"line": line, "reason": reason}
        )
        self.line = line
        self.reason = reason


class UploadTooLarge(DomainError):
    status_code = 413
    default_code = "upload_too_large"


class SampleMapInvalid(ValidationFailed):
    default_code = "sample_map_invalid"


class VaultAccessDenied(PermissionDenied):
    """The decision passed to the vault does not allow this read. Says which rule, not more."""

    default_code = "vault_access_denied"


class SubjectErased(NotFound):
    """The subject was erased: nothing of theirs can be ingested or read."""

    default_code = "subject_erased"


class RotationRefused(Conflict):
    default_code = "rotation_refused"


__all__ = [
    "RotationRefused",
    "SampleMapInvalid",
    "SubjectErased",
    "UploadTooLarge",
    "VaultAccessDenied",
    "VcfInvalid",
]
