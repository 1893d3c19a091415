"""Every write of the compliance console: its own audit trail and verification runs.

Reading the ledger is itself an access to personal data about who did what, so each
view and each export of the console is recorded in the ledger it reads.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from governance.audit import Action, audit_append
from governance.compliance import ledger_port
from governance.compliance.forms import EventFilter
from governance.compliance.models import VerificationRun
from governance.errors import ValidationFailed
from governance.ledger.models import AuditEvent

EXPORT_FORMATS = ("csv", "json")


@transaction.atomic
def audit_view_record(
    *,
    actor,
    view: str,
    filters: EventFilter | None = None,
    subject_code: str | None = None,
    object_id: str = "",
    count: int | None = None,
    now: datetime | None = None,
) -> AuditEvent:
    """Record that ``actor`` looked at ``view`` of the ledger (with these filters)."""
    extra: dict = {"view": view}
    if filters is not None:
        extra["filters"] = filters.audit_codes()
    if count is not None:
        extra["count"] = count
    return audit_append(
        actor=actor, action=Action.AUDIT_VIEW, object_type="audit_ledger", object_id=object_id,
        subject_code=subject_code or (filters.subject_code if filters else None), extra=extra, now=now,
    )


@transaction.atomic
def audit_export_record(
    *, actor, fmt: str, filters: EventFilter, count: int, now: datetime | None = None
) -> AuditEvent:
    """Record that ``actor`` exported ``count`` filtered events as ``fmt``."""
    if fmt not in EXPORT_FORMATS:
        raise ValidationFailed(f"format: one of {', '.join(EXPORT_FORMATS)}", extra={"field": "format"})
    return audit_append(
        actor=actor, action=Action.AUDIT_EXPORT, object_type="audit_ledger", subject_code=filters.subject_code or None,
        extra={"format": fmt, "count": count, "filters": filters.audit_codes()}, now=now,
    )


def ledger_verification_run(*, actor, now: datetime | None = None) -> VerificationRun:
    """Verify the whole ledger now and keep the result for the console.

    The ledger records the run itself (``audit.verify``, outcome ``failed`` and the
    first bad sequence number on tampering). A failed verification is stored, not
    raised, because the console must show it.
    """
    now = now or timezone.now()
    outcome = ledger_port.verify(actor=actor)
    checkpoint = ledger_port.latest_checkpoint()
    run = VerificationRun(
        started_at=now,
        finished_at=timezone.now(),
        requested_by=actor if getattr(actor, "pk", None) else None,
        ok=outcome.ok,
        tree_size=outcome.tree_size,
        first_bad_seq=outcome.first_bad_seq,
        problem=outcome.problem[:200],
        checkpoint_size=checkpoint.tree_size if checkpoint else None,
    )
    run.full_clean()
    run.save()
    return run
