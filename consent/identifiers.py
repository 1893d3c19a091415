"""Sealing and opening a subject's direct identifiers (name, email, MRN).

Each value is encrypted under the field key with a context naming the subject's code
and the field, so a ciphertext copied to another row or field does not open; email and
MRN also get keyed blind indexes for exact lookup. Callers decide whether a read is
audited: services and selectors do, through ``consent.selectors.subject_identifiers``.
"""

from __future__ import annotations

from consent.models import Subject
from governance import keys

FIELDS = ("name", "email", "mrn")


def field_context(code: str, field: str) -> str:
    return f"subject:{code}:{field}"


def seal_identifiers(subject: Subject, *, name: str, email: str, mrn: str) -> Subject:
    """Set ``subject``'s encrypted identifiers and blind indexes (its code must be set)."""
    subject.name_enc = keys.encrypt_field(name, context=field_context(subject.code, "name"))
    subject.email_enc = keys.encrypt_field(email, context=field_context(subject.code, "email"))
    subject.mrn_enc = keys.encrypt_field(mrn, context=field_context(subject.code, "mrn"))
    subject.email_index = keys.blind_index(email, field="email")
    subject.mrn_index = keys.blind_index(mrn, field="mrn")
    return subject


def open_identifiers(subject: Subject) -> dict[str, str]:
    """Decrypt ``subject``'s identifiers; an absent (erased) one reads as ""."""
    return {
        field: keys.decrypt_field(bytes(blob), context=field_context(subject.code, field))
        if blob is not None
        else ""
        for field, blob in zip(FIELDS, (subject.name_enc, subject.email_enc, subject.mrn_enc), strict=True)
    }
