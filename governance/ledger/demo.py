"""Demo data for the ledger, called by the ``seed_demo`` command after the world is built.

The ledger fills itself as the other seeders act (every change appends its event);
what the demo needs from here is a signed checkpoint over it, so the patient portal
and the compliance console have a tree head to show and proofs to hand out.
"""

from __future__ import annotations

from datetime import datetime

from governance.ledger.models import Checkpoint
from governance.ledger.selectors import latest_checkpoint, tree_size
from governance.ledger.services import checkpoint_create


def seed_checkpoint(*, now: datetime | None = None) -> Checkpoint | None:
    """Sign a checkpoint over the demo ledger unless the latest one already covers it.

    Idempotent: a second run over an unchanged ledger (its last event being the
    previous checkpoint's own) signs nothing and returns the existing checkpoint.
    """
    latest = latest_checkpoint()
    if latest is not None and tree_size() <= latest.tree_size + 1:
        return latest
    return checkpoint_create(actor="system:seed_demo", now=now)
