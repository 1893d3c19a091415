"""Periodic ledger tasks (scheduled in settings.CELERY_BEAT_SCHEDULE)."""

from celery import shared_task

from governance.ledger.services import audit_verify_run, checkpoint_create
from governance.ledger.verify import LedgerTampered


@shared_task(name="governance.audit_checkpoint")
def audit_checkpoint() -> int:
    """Sign a checkpoint of the ledger; returns its tree size."""
    return checkpoint_create(actor="system:audit_checkpoint").tree_size


@shared_task(name="governance.audit_verify")
def audit_verify() -> dict:
    """Verify the ledger; on failure an alert event is appended and an error logged."""
    try:
        report = audit_verify_run(actor="system:audit_verify", alert=True)
    except LedgerTampered as exc:
        return {"ok": False, "seq": exc.seq, "problem": exc.problem}
    return {"ok": True, "tree_size": report.tree_size, "root_hash": report.root_hash.hex()}
