"""Writes on the ledger beyond plain appends: checkpoints, verification runs, proof issues."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from governance.errors import IntegrityFailure
from governance.ledger import external, merkle, notes, proofs
from governance.ledger.actions import Action, Outcome
from governance.ledger.append import audit_append, leaf_hash_from_row, lock_ledger
from governance.ledger.models import AuditEvent, Checkpoint
from governance.ledger.selectors import latest_checkpoint, leaf_rows, stored_leaf_hashes, tree_size
from governance.ledger.verify import LedgerTampered, VerifyReport, verify_ledger

logger = logging.getLogger(__name__)


def _resume_from(previous: Checkpoint | None) -> merkle.TreeBuilder:
    if previous is None:
        return merkle.TreeBuilder()
    stack = [bytes.fromhex(h) for h in previous.compact_range.split(",") if h]
    builder = merkle.TreeBuilder(previous.tree_size, stack)
    if builder.root().hex() != previous.root_hash:
        raise IntegrityFailure(
            "The latest checkpoint's compact range does not match its root; run verify_audit."
        )
    notes.parse_and_verify(previous.note)
    return builder


def checkpoint_create(*, actor="system", now: datetime | None = None) -> Checkpoint:
    """Sign the tree head of the ledger as it stands, store it and write it outside.

    The tree is computed without holding the ledger lock, so appends carry on: events
    are numbered and committed in order under that lock, so the highest committed seq
    ``N`` means events 1..N are all committed and will not change. The checkpoint
    continues from the previous one's compact range and recomputes every leaf added
    since, refusing to sign a ledger whose new events do not hash to what is stored.
    The level-0 tiles and the note are written to ``CHECKPOINT_DIR`` before the row
    commits, so a checkpoint row never exists without its external copy. Its own
    ``audit.checkpoint`` event comes after the events it covers.
    """
    now = now or timezone.now()
    previous = latest_checkpoint()
    size = tree_size()
    if previous is not None and previous.tree_size > size:
        raise IntegrityFailure(
            "The ledger is shorter than its latest checkpoint; run verify_audit."
        )
    builder = _resume_from(previous)
    start = builder.size
    tile_start = start - start % external.TILE_WIDTH
    tile: list[bytes] = list(stored_leaf_hashes(tile_start, start))
    expected = start + 1
    for row in leaf_rows(after=start, upto=size):
        leaf = leaf_hash_from_row(row[:12])
        if row[0] != expected or leaf.hex() != row[12]:
            raise IntegrityFailure(f"seq {expected}: the ledger does not verify; run verify_audit.")
        builder.append(leaf)
        tile.append(leaf)
        expected += 1
        if len(tile) == external.TILE_WIDTH:
            external.write_tiles(tile_start, tile)
            tile_start += external.TILE_WIDTH
            tile = []
    if builder.size != size:
        raise IntegrityFailure(
            "The ledger has fewer events than its last seq says; run verify_audit."
        )
    if tile:
        external.write_tiles(tile_start, tile)
    root = builder.root()
    note = notes.sign_checkpoint(size, root)
    with transaction.atomic():
        lock_ledger()
        existing = Checkpoint.objects.filter(tree_size=size).first()
        if existing is not None:  # another run signed the same tree head meanwhile
            return existing
        checkpoint = Checkpoint(
            tree_size=size,
            root_hash=root.hex(),
            created_at=now,
            origin=notes.origin(),
            note=note,
            compact_range=",".join(h.hex() for h in builder.state()),
        )
        checkpoint.full_clean()
        checkpoint.save(force_insert=True)
        external.write_note(size, note)
        audit_append(
            actor=actor,
            action=Action.AUDIT_CHECKPOINT,
            object_type="checkpoint",
            object_id=checkpoint.pk,
            extra={"tree_size": size, "root_hash": root.hex()},
            now=now,
        )
    return checkpoint


def audit_verify_run(
    *,
    actor="system",
    checkpoint_files: Iterable[Path] = (),
    alert: bool = False,
    now: datetime | None = None,
) -> VerifyReport:
    """Verify the whole ledger and record the run (``audit.verify``).

    On failure the run is recorded with outcome ``failed`` and, with ``alert``, an
    ``audit.alert`` event follows and an error is logged (sequence number and problem
    only); then ``LedgerTampered`` propagates.
    """
    now = now or timezone.now()
    try:
        report = verify_ledger(checkpoint_files=checkpoint_files)
    except LedgerTampered as exc:
        extra = {"seq": exc.seq, "problem": exc.problem}
        with transaction.atomic():
            audit_append(
                actor=actor,
                action=Action.AUDIT_VERIFY,
                object_type="ledger",
                outcome=Outcome.FAILED,
                extra=extra,
                now=now,
            )
            if alert:
                audit_append(
                    actor=actor,
                    action=Action.AUDIT_ALERT,
                    object_type="ledger",
                    outcome=Outcome.FAILED,
                    extra=extra,
                    now=now,
                )
        if alert:
            logger.error("audit ledger verification failed at seq %s: %s", exc.seq, exc.problem)
        raise
    with transaction.atomic():
        audit_append(
            actor=actor,
            action=Action.AUDIT_VERIFY,
            object_type="ledger",
            extra={"tree_size": report.tree_size, "root_hash": report.root_hash.hex()},
            now=now,
        )
    return report


def inclusion_proof_issue(
    *, actor, event: AuditEvent, size: int | None = None, now: datetime | None = None
) -> dict:
    """Build the inclusion proof bundle for an event the caller may see, and record the view."""
    size = size if size is not None else proofs.default_size_for(event.seq)
    bundle = proofs.inclusion_bundle(event=event, size=size)
    with transaction.atomic():
        audit_append(
            actor=actor,
            action=Action.AUDIT_VIEW,
            object_type="audit_proof",
            object_id=event.seq,
            subject_code=event.subject_code or None,
            extra={"proof": "inclusion", "seq": event.seq, "tree_size": size},
            now=now,
        )
    return bundle


def consistency_proof_issue(*, actor, first: int, second: int, now: datetime | None = None) -> dict:
    """Build a consistency proof bundle between two tree sizes, and record the view."""
    bundle = proofs.consistency_bundle(first=first, second=second)
    with transaction.atomic():
        audit_append(
            actor=actor,
            action=Action.AUDIT_VIEW,
            object_type="audit_proof",
            extra={"proof": "consistency", "from": first, "to": second},
            now=now,
        )
    return bundle
