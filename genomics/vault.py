"""The vault: where encrypted files live, and the one gated way to read them.

Files are stored at ``VAULT_DIR/<file_id[:2]>/<file_id>.c4gh``. Writes go to
``VAULT_DIR/.staging`` first (same filesystem), are fsynced, and are moved into place
with ``os.replace`` only inside the transaction that records them; on any failure the
caller removes every staged and published blob (``discard``).

``open_plaintext`` (and ``open_plaintext_many``, the same for a batch of files) is the
only way in the platform to decrypt a vault file. It demands a gate ``Decision`` that allows exactly this read, audits every attempt
(refusals included) and unwraps the subject's private key only for the moment the
Crypt4GH header is opened.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from genomics import crypt4gh
from genomics.exceptions import VaultAccessDenied
from genomics.models import FileState, GenomicFile, subject_key_context
from governance import keys
from governance.audit import Action, Outcome, audit_append
from governance.errors import IntegrityFailure, NotFound
from governance.gate.decision import Decision

GENOMIC = "genomic"


def vault_root() -> Path:
    return Path(settings.VAULT_DIR)


def staging_dir() -> Path:
    path = vault_root() / ".staging"
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def created_dirs() -> list[Path]:
    """The vault folders that do not exist yet (to tidy away if an operation fails)."""
    root = vault_root()
    return [p for p in (root / ".staging", root) if not p.exists()]


def remove_if_empty(paths: list[Path]) -> None:
    for path in paths:
        try:
            path.rmdir()
        except OSError:
            pass  # not empty (another operation is using it) or already gone


def blob_path(genomic_file: GenomicFile) -> Path:
    return vault_root() / genomic_file.storage_name


@dataclass
class StagedBlob:
    path: Path
    header_len: int
    plaintext_size: int
    plaintext_sha256: str
    ciphertext_size: int


def stage_encrypted(plaintext: BinaryIO, *, recipient: bytes) -> StagedBlob:
    """Encrypt ``plaintext`` to ``recipient`` into a staged file, fsynced, ready to publish."""
    path = staging_dir() / f"{uuid.uuid4().hex}.c4gh.part"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb", buffering=1 << 20) as out:
            result = crypt4gh.encrypt(plaintext, out, recipients=[recipient])
            out.flush()
            os.fsync(out.fileno())
            size = out.tell()
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    finally:
        plaintext.close()
    return StagedBlob(path, result.header_len, result.plaintext_size, result.plaintext_sha256, size)


def stage_many(jobs: list[tuple[BinaryIO, bytes]], *, workers: int = 8) -> list[StagedBlob]:
    """Stage several files at once: fsync latency, not CPU, dominates many small files.

    If any job fails, every blob staged by this call is removed before the error is raised.
    """
    staged: list[StagedBlob | None] = [None] * len(jobs)
    error: BaseException | None = None

    def run(i: int) -> None:
        staged[i] = stage_encrypted(jobs[i][0], recipient=jobs[i][1])

    with ThreadPoolExecutor(max_workers=max(1, min(workers, len(jobs)))) as pool:
        futures = [pool.submit(run, i) for i in range(len(jobs))]
        for future in futures:
            try:
                future.result()
            except BaseException as exc:  # collect, then clean up all
                error = error or exc
    if error is not None:
        discard([s.path for s in staged if s is not None])
        for plaintext, _ in jobs:
            plaintext.close()
        raise error
    return staged  # type: ignore[return-value]


def publish(staged: StagedBlob, genomic_file: GenomicFile) -> Path:
    """Move a staged blob to its final name (atomic on one filesystem) and sync the folder."""
    final = blob_path(genomic_file)
    final.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.replace(staged.path, final)
    return final


def sync_dirs(paths: list[Path]) -> None:
    for folder in {p.parent for p in paths} | {staging_dir()}:
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def discard(paths: list[Path]) -> None:
    """Remove blobs (staged or published) after a failed operation."""
    for path in paths:
        Path(path).unlink(missing_ok=True)


# --- the gated read -------------------------------------------------------------------


def _refusal(genomic_file: GenomicFile, decision: object, now: datetime) -> str | None:
    if not isinstance(decision, Decision):
        return "not_a_decision"
    if not decision.allowed:
        return "decision_denied"
    if decision.category != GENOMIC:
        return "wrong_category"
    if decision.subject_id != genomic_file.subject_id:
        return "wrong_subject"
    if not decision.decided_at <= now < decision.valid_until:
        return "decision_expired"
    if genomic_file.state != FileState.STORED:
        return "file_erased"
    return None


REFUSAL_MESSAGES = {
    "not_a_decision": "A gate decision is required to read genomic data.",
    "decision_denied": "The gate denied this use of the subject's data.",
    "wrong_category": "The decision is not for the genomic data category.",
    "wrong_subject": "The decision is for another subject.",
    "decision_expired": "The decision is no longer valid; ask the gate again.",
    "file_erased": "The file was erased.",
}


def audit_gated_access(
    *,
    actor,
    action: str,
    object_type: str,
    object_id: str,
    subject_code: str,
    decision,
    refusal: str | None,
    now: datetime,
    extra: dict | None = None,
) -> None:
    """Record one gated access (allowed or refused) in its own transaction, so a refusal is
    kept even though the caller then raises."""
    purpose = getattr(decision, "purpose_id", None)
    with transaction.atomic():
        audit_append(
            actor=actor,
            action=action,
            object_type=object_type,
            object_id=object_id,
            subject_code=subject_code,
            purpose=str(purpose) if purpose is not None else None,
            outcome=Outcome.DENIED if refusal else Outcome.ALLOWED,
            extra={
                **(extra or {}),
                "reason": refusal or "decision_allowed",
                "consent_version": getattr(decision, "consent_version_id", None),
            },
            now=now,
        )


def _fresh_files() -> QuerySet[GenomicFile]:
    return GenomicFile.objects.select_related("subject", "subject_key").order_by()


def open_plaintext(
    genomic_file: GenomicFile,
    *,
    decision: Decision,
    actor,
    offset: int = 0,
    length: int | None = None,
) -> Iterator[bytes]:
    """Stream the plaintext VCF of ``genomic_file`` (optionally a byte range of it).

    Refuses, with ``VaultAccessDenied``, a decision that is denied, expired, for another
    subject or for another data category; every attempt is audited as
    ``genomic.read``. The checks, the audit and opening the Crypt4GH header happen
    before this returns, so a refusal or a destroyed key surfaces here, not on first
    iteration. The subject's private key is dropped once the header is open. Validity is
    judged against the clock, never a caller-supplied time.
    """
    fresh = _fresh_files().filter(pk=genomic_file.pk).first()
    if fresh is None:
        raise NotFound()
    return _open_checked(fresh, decision=decision, actor=actor, offset=offset, length=length)


def open_plaintext_many(
    reads: list[tuple[GenomicFile, Decision]], *, actor
) -> Iterator[tuple[GenomicFile, Iterator[bytes] | VaultAccessDenied]]:
    """``open_plaintext`` for many whole files, their state read in one query.

    Yields ``(file, stream)`` for each read in order, or ``(file, VaultAccessDenied)``
    for one the vault refuses; each attempt is audited as ``open_plaintext`` audits it.
    Each file is opened only when the previous stream has been handed out, and its
    decision is checked against the clock at that moment. Use it inside
    ``audit_batch()`` to write the audit events together.
    """
    fresh = _fresh_files().in_bulk([genomic_file.pk for genomic_file, _ in reads])
    for genomic_file, decision in reads:
        current = fresh.get(genomic_file.pk)
        if current is None:
            raise NotFound()
        try:
            yield current, _open_checked(current, decision=decision, actor=actor)
        except VaultAccessDenied as refusal:
            yield current, refusal


def _open_checked(
    genomic_file: GenomicFile,
    *,
    decision: Decision,
    actor,
    offset: int = 0,
    length: int | None = None,
) -> Iterator[bytes]:
    """Check ``decision`` against ``genomic_file`` (as just read), audit, open the header."""
    now = timezone.now()
    refusal = _refusal(genomic_file, decision, now)
    audit_gated_access(
        actor=actor,
        action=Action.GENOMIC_READ,
        object_type="genomic_file",
        object_id=str(genomic_file.file_id),
        subject_code=genomic_file.subject.code,
        decision=decision,
        refusal=refusal,
        now=now,
        extra={"offset": offset, "length": length},
    )
    if refusal:
        raise VaultAccessDenied(REFUSAL_MESSAGES[refusal], code=refusal)
    private = _subject_private_key(genomic_file)
    handle = blob_path(genomic_file).open("rb")
    try:
        chunks = crypt4gh.iter_plaintext(handle, private_key=private, offset=offset, length=length)
    except BaseException:
        handle.close()
        raise
    finally:
        del private
    whole_file = offset == 0 and length is None
    return _closing(chunks, handle, expected_sha256=genomic_file.plaintext_sha256 if whole_file else None)


def _subject_private_key(genomic_file: GenomicFile) -> bytes:
    # The only place a subject's private key is unwrapped. It lives in this frame just
    # long enough to open one Crypt4GH header.
    key = genomic_file.subject_key
    if key.wrapped_private is None or key.destroyed_at is not None:
        raise keys.KeyUnavailable()
    return keys.unwrap_key(
        bytes(key.wrapped_private),
        context=subject_key_context(genomic_file.subject.code, key.version),
    )


def _closing(chunks: Iterator[bytes], handle, *, expected_sha256: str | None) -> Iterator[bytes]:
    # Crypt4GH v1 does not bind a segment to its position: two whole segments swapped, or
    # a body cut at a segment boundary, decrypt cleanly. A whole-file read therefore ends
    # by comparing the plaintext with the digest recorded at ingest.
    digest = hashlib.sha256() if expected_sha256 else None
    try:
        for chunk in chunks:
            if digest is not None:
                digest.update(chunk)
            yield chunk
        if digest is not None and not hmac.compare_digest(digest.hexdigest(), expected_sha256):
            raise IntegrityFailure("The stored genomic file does not match its recorded digest.")
    finally:
        handle.close()
