"""The few ledger operations the console and the patient view need, in one place.

Everything the compliance app asks of the ledger (leaf documents, inclusion proofs,
checkpoints, verification) goes through this module and on to ``governance.ledger``,
so the rest of the app does not depend on the ledger's internals.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from governance.ledger import selectors as ledger_selectors
from governance.ledger import services as ledger_services
from governance.ledger.append import canonical_json, event_document
from governance.ledger.models import AuditEvent, Checkpoint
from governance.ledger.notes import verifier_key
from governance.ledger.verify import LedgerTampered


@dataclass(frozen=True)
class CheckpointView:
    """A signed tree head as the console and the patient see it."""

    tree_size: int
    root_hash: bytes
    created_at: datetime
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


def _view(checkpoint: Checkpoint | None) -> CheckpointView | None:
    if checkpoint is None:
        return None
    return CheckpointView(
        tree_size=checkpoint.tree_size,
        root_hash=bytes.fromhex(checkpoint.root_hash),
        created_at=checkpoint.created_at,
        note=checkpoint.note,
    )


def latest_checkpoint() -> CheckpointView | None:
    """The newest signed checkpoint, or None before the first one is made."""
    return _view(ledger_selectors.latest_checkpoint())


def checkpoint_for(seq: int) -> CheckpointView:
    """The oldest checkpoint whose tree contains event ``seq``, signing one now if none does."""
    checkpoint = ledger_selectors.checkpoint_covering(seq)
    if checkpoint is None:
        checkpoint = ledger_services.checkpoint_create(actor="system:on_demand")
    return _view(checkpoint)


def inclusion_bundle(*, actor, event: AuditEvent, tree_size: int) -> dict:
    """The ledger's inclusion proof bundle for ``event`` in the tree of ``tree_size``.

    The ledger records the view (``audit.view`` with the event's subject code).
    """
    return ledger_services.inclusion_proof_issue(actor=actor, event=event, size=tree_size)


def checkpoint_verifier_key() -> str:
    """The signed-note verifier key (``name+hash+base64 key``) for standard note tools."""
    return verifier_key()


def verify(*, actor) -> VerificationOutcome:
    """Verify the whole ledger against its stored and external checkpoints.

    The ledger records the run (``audit.verify``, outcome ``failed`` on tampering).
    """
    try:
        report = ledger_services.audit_verify_run(actor=actor)
    except LedgerTampered as exc:
        return VerificationOutcome(False, ledger_selectors.tree_size(), exc.seq, exc.message)
    return VerificationOutcome(True, report.tree_size, None, "")
