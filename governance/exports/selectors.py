"""Reads of cohort exports, including the one access function for an export.

``cohort_export_get_for_user`` raises the same ``NotFound`` for a missing export and for
one the caller may not see: an export belongs to its researcher alone, so the DAC, a
steward, a patient and every other researcher get a 404.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.db.models import Q, QuerySet

from governance.errors import NotFound
from governance.exports.models import CohortExport, ExportState
from governance.ledger.actions import Action
from governance.ledger.models import AuditEvent
from governance.roles import Role, has_role


def cohort_export_get_for_user(*, user, export_id) -> CohortExport:
    """The export if ``user`` is the researcher who owns it; otherwise ``NotFound``."""
    try:
        export = CohortExport.objects.select_related("grant").get(pk=int(export_id))
    except (CohortExport.DoesNotExist, TypeError, ValueError, OverflowError):
        raise NotFound() from None
    if export.researcher_id != getattr(user, "pk", None):
        raise NotFound()
    if not has_role(user, Role.RESEARCHER):
        raise NotFound()
    return export


def cohort_exports_of_researcher(*, user, grant=None) -> QuerySet[CohortExport]:
    exports = CohortExport.objects.filter(researcher=user).select_related("grant")
    if grant is not None:
        exports = exports.filter(grant=grant)
    return exports.order_by("-requested_at", "-id")


def cohort_export_exists(*, user, grant, key: str | None) -> bool:
    """Whether ``user`` already asked for an export under ``grant`` with this key."""
    if not key:
        return False
    return CohortExport.objects.filter(researcher=user, grant=grant, idempotency_key=key).exists()


def export_root() -> Path:
    """Where published exports live; read at call time so tests can move it."""
    return Path(settings.EXPORT_DIR)


def export_folder(export: CohortExport) -> Path:
    return export_root() / str(export.pk)


def cohort_export_file_path(*, export: CohortExport, name: str) -> Path:
    """The path of one published file of a succeeded export, or ``NotFound``.

    Only names listed in the export's manifest are served, so a name can never reach
    outside the export's folder.
    """
    if export.state != ExportState.SUCCEEDED or name not in export.file_names():
        raise NotFound()
    path = export_folder(export) / name
    if not path.is_file():
        raise NotFound()
    return path


def released_exports_for_subject(subject) -> list[dict]:
    """Exports published with ``subject`` in them (IDs and times only), for erasure
    certificates: what had already left before the subject was erased."""
    events = AuditEvent.objects.filter(
        action=Action.EXPORT_SUBJECT_INCLUDED, subject_code=subject.code
    ).order_by("seq")
    released = []
    for event in events:
        released.append(
            {
                "export_id": event.object_id,
                "released_at": event.occurred_at.isoformat(),
                "recipient": str(event.extra.get("researcher_key", "")),
            }
        )
    return released


def subject_exports(*, subject_code: str) -> list[dict]:
    """The exports that included a subject, for the patient's "who used my data"."""
    return [
        {"export_id": e.object_id, "purpose": e.purpose, "at": e.occurred_at}
        for e in AuditEvent.objects.filter(
            action=Action.EXPORT_SUBJECT_INCLUDED, subject_code=subject_code
        ).order_by("-seq")
    ]


def stale_exports(*, now: datetime, deadline_seconds: int) -> QuerySet[CohortExport]:
    """Exports a worker should have finished by now: queued too long, or running with an
    expired lease."""
    return CohortExport.objects.filter(
        Q(state=ExportState.QUEUED, queued_at__lt=now - timedelta(seconds=deadline_seconds))
        | Q(state=ExportState.RUNNING, lease_expires_at__lt=now)
    ).order_by("id")


def consent_status_for_grant(subject, grant, at: datetime) -> str:
    """``active``, ``withdrawn`` or ``out_of_scope``: may an export under ``grant`` use
    ``subject`` at ``at``? Asked of the gate without auditing (a description, not a use)."""
    from governance.gate.decide import consent_in_force, decide

    record = consent_in_force(subject=subject, at=at)
    if record is not None and record.status == "withdrawn":
        return "withdrawn"
    for category in grant.categories:
        decision = decide(
            subject=subject,
            purpose=grant.purpose,
            purpose_id=grant.purpose_id,
            category=category,
            at=at,
            audit=False,
        )
        if not decision.allowed:
            return "out_of_scope"
    return "active"
