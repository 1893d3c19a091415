"""Erasure by crypto-shredding, with a signed certificate.

A subject's files are encrypted to their X25519 key, whose private half exists only
wrapped in ``SubjectKey.wrapped_private``. Erasure overwrites that with NULL, deletes
the blobs and the variant index rows, and clears the subject's identifiers; the row and
public code stay so the ledger and consent history still resolve. A file that survives
somewhere (a copied blob, a storage snapshot) can no longer be decrypted.

Database backups taken before the erasure still hold the wrapped key; rotating the
master key and retiring the old version afterwards (``rotate_master_key`` then
``--retire``) makes those backups' wrapped keys unopenable too.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable
from datetime import UTC, datetime

from django.db import connection, transaction
from django.utils import timezone

from consent.models import Sex, Subject
from genomics import vault
from genomics.models import (
    FILE_TRANSITIONS,
    ErasureCertificate,
    FileState,
    GenomicFile,
    SubjectKey,
    VariantCall,
)
from governance import keys
from governance.audit import Action, audit_append
from governance.errors import IntegrityFailure, InvalidTransition

CERTIFICATE_TYPE = "helix.erasure-certificate.v1"

# Sources of "exports that had already left" for a subject. The exports app registers
# one at start-up (it sits above genomics, so genomics cannot import it); each returns
# a list of {"export_id", "released_at", "recipient"} dicts of IDs and timestamps only.
_released_export_sources: list[Callable[[Subject], list[dict]]] = []


def register_released_exports_source(source: Callable[[Subject], list[dict]]) -> None:
    """Let a higher layer report which exports containing a subject were already released."""
    if source not in _released_export_sources:
        _released_export_sources.append(source)


def _released_exports(subject: Subject) -> list[dict]:
    released: list[dict] = []
    for source in _released_export_sources:
        released.extend(source(subject))
    return released


def _actor_label(actor) -> str:
    if actor is None or isinstance(actor, str):
        return actor or "system"
    return actor.get_username()


def canonical(document: dict) -> bytes:
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def subject_erase(*, actor, subject: Subject, now: datetime | None = None) -> ErasureCertificate:
    """Erase a subject's genomic data and identifiers; return the signed certificate.

    Destroys every wrapped subject key, deletes the vault blobs and variant index rows,
    clears the encrypted identifiers, blind indexes, sample ID and quasi-identifiers and
    the diagnoses, and marks the subject erased. One ``subject.erase`` event records it.
    Erasing twice is refused.
    """
    now = now or timezone.now()
    with transaction.atomic():
        if connection.vendor == "sqlite":
            # Overwrite freed pages so the destroyed key does not linger in the file.
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA secure_delete = ON")
        subject = Subject.objects.select_for_update().get(pk=subject.pk)
        if subject.erased_at is not None:
            raise InvalidTransition("The subject was already erased.")
        files = list(GenomicFile.objects.select_for_update().filter(subject=subject).order_by("id"))
        subject_keys = list(
            SubjectKey.objects.select_for_update().filter(subject=subject).order_by("version")
        )
        variants = VariantCall.objects.filter(subject=subject).count()
        document = {
            "type": CERTIFICATE_TYPE,
            "subject": subject.code,
            "erased_at": now.astimezone(UTC).isoformat(timespec="seconds"),
            "erased_by": _actor_label(actor),
            "files": [
                {
                    "file_id": str(f.file_id),
                    "plaintext_sha256": f.plaintext_sha256,
                    "ciphertext_size": f.ciphertext_size,
                    "state_before": f.state,
                }
                for f in files
            ],
            "subject_keys": [
                {
                    "version": k.version,
                    "master_version": k.master_version,
                    "public_key_sha256": hashlib.sha256(bytes(k.public_key)).hexdigest(),
                    "destroyed": "now" if k.destroyed_at is None else "earlier",
                }
                for k in subject_keys
            ],
            "variant_calls_deleted": variants,
            "identifiers_cleared": [
                "name",
                "email",
                "mrn",
                "email_index",
                "mrn_index",
                "sample_id",
                "birth_date",
                "sex",
                "postcode",
                "ethnic_background",
                "diagnoses",
            ],
            "exports_already_released": _released_exports(subject),
            "signing_key_id": keys.signing_key_id(),
        }
        for key in subject_keys:
            if key.destroyed_at is None:
                key.wrapped_private = None
                key.master_version = None
                key.destroyed_at = now
                key.save(update_fields=["wrapped_private", "master_version", "destroyed_at"])
        for f in files:
            if f.state != FileState.ERASED:
                if FileState.ERASED not in FILE_TRANSITIONS[f.state]:
                    raise InvalidTransition(
                        f"File {f.file_id} cannot be erased from state {f.state}."
                    )
                f.state, f.erased_at = FileState.ERASED, now
                f.save(update_fields=["state", "erased_at"])
        VariantCall.objects.filter(subject=subject).delete()
        subject.diagnoses.all().delete()
        subject.name_enc = subject.email_enc = subject.mrn_enc = None
        subject.email_index = subject.mrn_index = None
        subject.sample_id = ""
        subject.birth_date = None
        subject.sex = Sex.UNKNOWN
        subject.postcode = ""
        subject.ethnic_background = ""
        subject.erased_at = now
        subject.save(
            update_fields=[
                "name_enc",
                "email_enc",
                "mrn_enc",
                "email_index",
                "mrn_index",
                "sample_id",
                "birth_date",
                "sex",
                "postcode",
                "ethnic_background",
                "erased_at",
            ]
        )
        payload = canonical(document)
        certificate = ErasureCertificate(
            subject=subject,
            issued_at=now,
            document=payload.decode(),
            signature=base64.b64encode(keys.sign(payload)).decode(),
            signing_key_id=document["signing_key_id"],
        )
        certificate.full_clean(exclude=["subject"])
        certificate.save(force_insert=True)
        audit_append(
            actor=actor,
            action=Action.SUBJECT_ERASE,
            object_type="subject",
            object_id=subject.code,
            subject_code=subject.code,
            extra={
                "files": len(files),
                "subject_keys": len(subject_keys),
                "variant_calls": variants,
                "certificate": certificate.pk,
                "exports_released": len(document["exports_already_released"]),
            },
            now=now,
        )
        # Last, so a failure above leaves the blobs in place; a failed commit after this
        # point leaves the key wrapped but the blobs gone, and erasing again completes it.
        vault.discard([vault.blob_path(f) for f in files])
    return certificate


def erasure_certificate_verify(certificate: ErasureCertificate) -> dict:
    """Check the certificate's signature and return its document; raise ``IntegrityFailure`` if not."""
    payload = certificate.document.encode()
    try:
        signature = base64.b64decode(certificate.signature, validate=True)
    except ValueError:
        raise IntegrityFailure("The erasure certificate is not valid.") from None
    keys.verify_signature(payload, signature)
    return json.loads(payload)
