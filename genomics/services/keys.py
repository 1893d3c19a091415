"""Subject keys and master key rotation.

A subject's X25519 private key is generated here, wrapped at once under the current
master key and never stored, logged or passed anywhere in the clear. It is unwrapped
only inside the vault's gated read (``genomics.vault.open_plaintext``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from consent.models import Subject
from genomics.exceptions import RotationRefused, SubjectErased
from genomics.models import SubjectKey, subject_key_context
from governance import keys
from governance.audit import Action, audit_append
from governance.errors import Conflict


def new_subject_key(*, subject: Subject, now: datetime, version: int = 1) -> SubjectKey:
    """An unsaved ``SubjectKey`` with a fresh pair; the private half exists only wrapped."""
    private, public = keys.x25519_generate()
    wrapped = keys.wrap_key(private, context=subject_key_context(subject.code, version))
    del private
    key = SubjectKey(
        subject=subject,
        version=version,
        public_key=public,
        wrapped_private=wrapped,
        master_version=keys.wrapped_version(wrapped),
        created_at=now,
    )
    # The unique and check constraints are enforced by the database on insert; checking
    # them here would cost queries per key when an ingest creates thousands.
    key.full_clean(exclude=["subject"], validate_unique=False, validate_constraints=False)
    return key


def subject_key_live(subject: Subject) -> SubjectKey | None:
    return SubjectKey.objects.filter(subject=subject, destroyed_at__isnull=True).first()


@transaction.atomic
def subject_key_ensure(*, subject: Subject, now: datetime | None = None) -> SubjectKey:
    """The subject's live key, created (and wrapped) if they have none.

    Refuses an erased subject: erasure is final, so no new key may make their future
    data readable again under the old code.
    """
    now = now or timezone.now()
    if subject.erased_at is not None:
        raise SubjectErased("The subject was erased.")
    existing = subject_key_live(subject)
    if existing is not None:
        return existing
    version = (
        SubjectKey.objects.filter(subject=subject)
        .order_by("-version")
        .values_list("version", flat=True)
        .first()
        or 0
    ) + 1
    key = new_subject_key(subject=subject, now=now, version=version)
    try:
        with transaction.atomic():
            key.save(force_insert=True)
    except IntegrityError:
        # Another process created the subject's key first: use theirs.
        existing = subject_key_live(subject)
        if existing is None:
            raise Conflict("The subject key changed concurrently; retry.") from None
        return existing
    return key


# --- rotation -------------------------------------------------------------------------


@dataclass(frozen=True)
class RotationResult:
    current_version: int
    added_version: int | None
    subject_keys_rewrapped: int
    key_material_rewrapped: int
    remaining: int


def _pending() -> int:
    current = keys.master_key_current_version()
    return (
        SubjectKey.objects.filter(destroyed_at__isnull=True).exclude(master_version=current).count()
    )


def _key_material_pending() -> bool:
    current = keys.master_key_current_version()
    return any(v != current for v in keys.key_material_versions())


def master_key_rotate(
    *,
    actor,
    add_version: bool = True,
    batch_size: int = 500,
    max_batches: int | None = None,
    now: datetime | None = None,
) -> RotationResult:
    """Move every wrapped key to the current master key version, in resumable batches.

    If nothing is left on an older version and ``add_version`` is set, a new master
    version is added first (development key file; with operator-supplied keys the
    operator adds it and this only rewraps). Each batch is its own transaction with its
    own audit event, selecting rows whose version is not current, so a run that stops
    part-way is continued by the next. No vault file is rewritten: files are encrypted to
    subject keys, and only the wrapping of those keys changes.
    """
    now = now or timezone.now()
    added = None
    if add_version and _pending() == 0 and not _key_material_pending():
        added = keys.master_key_add_version()
        keys.clear_caches()
    current = keys.master_key_current_version()
    moved = batches = 0
    while max_batches is None or batches < max_batches:
        with transaction.atomic():
            rows = list(
                SubjectKey.objects.select_for_update()
                .select_related("subject")
                .filter(destroyed_at__isnull=True)
                .exclude(master_version=current)
                .order_by("id")[:batch_size]
            )
            if not rows:
                break
            for row in rows:
                row.wrapped_private = keys.rewrap_key(
                    bytes(row.wrapped_private),
                    context=subject_key_context(row.subject.code, row.version),
                )
                row.master_version = keys.wrapped_version(row.wrapped_private)
                row.save(update_fields=["wrapped_private", "master_version"])
            audit_append(
                actor=actor,
                action=Action.KEY_ROTATE,
                object_type="master_key",
                object_id=str(current),
                extra={"kind": "subject_keys", "rewrapped": len(rows), "to_version": current},
                now=now,
            )
        moved += len(rows)
        batches += 1
    material = 0
    if _key_material_pending():
        with transaction.atomic():
            material = keys.key_material_rewrap_all()
            audit_append(
                actor=actor,
                action=Action.KEY_ROTATE,
                object_type="master_key",
                object_id=str(current),
                extra={"kind": "key_material", "rewrapped": material, "to_version": current},
                now=now,
            )
        keys.clear_caches()
    if added is not None and moved == 0 and material == 0:
        with transaction.atomic():
            audit_append(
                actor=actor,
                action=Action.KEY_ROTATE,
                object_type="master_key",
                object_id=str(current),
                extra={"kind": "version_added", "rewrapped": 0, "to_version": current},
                now=now,
            )
    return RotationResult(current, added, moved, material, _pending())


def _key_material_counts() -> dict[int, int]:
    from governance.models import KeyMaterial

    counts: dict[int, int] = {}
    for wrapped in KeyMaterial.objects.values_list("wrapped", flat=True):
        version = keys.wrapped_version(bytes(wrapped))
        counts[version] = counts.get(version, 0) + 1
    return counts


def master_key_retire(*, actor, version: int, now: datetime | None = None) -> None:
    """Retire a master key version once nothing is wrapped under it any more."""
    now = now or timezone.now()
    if version == keys.master_key_current_version():
        raise RotationRefused(f"Version {version} is the current master key version; rotate first.")
    if version not in keys.master_key_versions():
        raise RotationRefused(f"Version {version} is not a master key version.")
    in_use = SubjectKey.objects.filter(destroyed_at__isnull=True, master_version=version).count()
    material = _key_material_counts().get(version, 0)
    if in_use or material:
        raise RotationRefused(
            f"Version {version} still wraps {in_use} subject key(s) and {material} data key(s); "
            "run rotate_master_key until none remain.",
            extra={"subject_keys": in_use, "key_material": material},
        )
    with transaction.atomic():
        audit_append(
            actor=actor,
            action=Action.KEY_RETIRE,
            object_type="master_key",
            object_id=str(version),
            extra={"version": version},
            now=now,
        )
        keys.master_key_retire(version)
    keys.clear_caches()
