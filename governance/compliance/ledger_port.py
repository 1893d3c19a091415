"""The few ledger operations the console and the patient view need, in one place.

Everything the compliance app asks of the ledger (the leaf document an event hashes,
inclusion proofs, checkpoints, verification) goes through this module, so the rest
of the app does not depend on how the ledger computes them.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from governance.ledger import merkle
from governance.ledger.append import canonical_json, event_document
from governance.ledger.models import AuditEvent


@dataclass(frozen=True)
class InclusionProof:
    """An RFC 9162 inclusion proof of one event in the tree of ``tree_size`` leaves."""

    leaf_index: int
    tree_size: int
    leaf_hash: bytes
    audit_path: tuple[bytes, ...]
    root_hash: bytes


@dataclass(frozen=True)
class CheckpointView:
    """A signed tree head as the console and the patient see it."""

    tree_size: int
    root_hash: bytes
    created_at: object
    note: str


@dataclass(frozen=True)
class VerificationOutcome:
    ok: bool
    tree_size: int
    first_bad_seq: int | None
    problem: str


def leaf_document(event: AuditEvent) -> dict:
    """The JSON document whose RFC 6962 leaf hash the ledger stores for ``event``."""
    return event_document(event)


def leaf_bytes(event: AuditEvent) -> bytes:
    return canonical_json(event_document(event))


def leaf_index(event: AuditEvent) -> int:
    """Sequence numbers start at 1; tree leaves at 0."""
    return event.seq - 1


def _stored_leaves(lo: int, hi: int):
    """Stored leaf hashes for tree indexes ``lo`` to ``hi`` (half-open): sequence numbers lo+1..hi."""
    rows = AuditEvent.objects.filter(seq__gt=lo, seq__lte=hi).order_by("seq").values_list("leaf_hash", flat=True)
    return (bytes.fromhex(value) for value in rows.iterator(chunk_size=5000))


def inclusion_proof(event: AuditEvent, *, tree_size: int) -> InclusionProof:
    """The proof that ``event`` is leaf ``seq - 1`` of the tree of ``tree_size`` leaves."""
    index = leaf_index(event)
    return InclusionProof(
        leaf_index=index,
        tree_size=tree_size,
        leaf_hash=bytes.fromhex(event.leaf_hash),
        audit_path=tuple(merkle.inclusion_proof(index, tree_size, _stored_leaves)),
        root_hash=merkle.root_hash(_stored_leaves(0, tree_size)),
    )


def latest_checkpoint() -> CheckpointView | None:
    """The newest signed checkpoint, or None before the first one is made."""
    return None


def checkpoint_covering(seq: int) -> CheckpointView | None:
    """The oldest checkpoint whose tree contains event ``seq``, or None if none does yet."""
    return None


def verify() -> VerificationOutcome:
    """Recompute every leaf hash and check that sequence numbers are dense."""
    size = 0
    for seq, stored in AuditEvent.objects.order_by("seq").values_list("seq", "leaf_hash").iterator():
        size += 1
        if seq != size:
            return VerificationOutcome(False, size - 1, size, "missing or inserted event")
        event = AuditEvent.objects.get(seq=seq)
        if hashlib.sha256(b"\x00" + leaf_bytes(event)).hexdigest() != stored:
            return VerificationOutcome(False, size - 1, seq, "edited event")
    return VerificationOutcome(True, size, None, "")
