"""Taking back exports a worker should have finished, and sweeping orphan folders."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from governance.exports.models import CohortExport, ExportState
from governance.exports.selectors import stale_exports
from governance.exports.services.folders import discard, temp_folders, trash_folders
from governance.exports.services.requests import enqueue
from governance.exports.services.state import lock_export, move


@dataclass(frozen=True)
class ReconcileSummary:
    requeued: list[int]
    removed_folders: int

    def as_dict(self) -> dict:
        return {"requeued": self.requeued, "removed_folders": self.removed_folders}


def cohort_exports_reconcile(*, now: datetime | None = None) -> ReconcileSummary:
    """Re-queue exports stuck past ``HELIX_EXPORT_DEADLINE_SECONDS`` and remove orphans.

    A queued export whose task was lost is queued again; a running export whose lease
    has expired (its worker died) goes back to queued and is queued again; the next
    claim bumps its attempt, so a presumed-dead worker that wakes up can no longer
    publish. Temporary folders of attempts that are not running now are removed, as are
    leftovers of interrupted removals. Re-queueing is not audited as a state change of
    substance: the claim that follows writes ``export.start``.
    """
    now = now or timezone.now()
    deadline = int(settings.HELIX_EXPORT_DEADLINE_SECONDS)
    requeued = []
    for candidate in stale_exports(now=now, deadline_seconds=deadline):
        with transaction.atomic():
            export = lock_export(candidate.pk)
            if export is None:
                continue
            if export.state == ExportState.RUNNING:
                if export.lease_expires_at is None or export.lease_expires_at >= now:
                    continue
                move(export, ExportState.QUEUED)
            elif export.state != ExportState.QUEUED:
                continue
            export.queued_at = now
            export.lease_expires_at = None
            export.save(update_fields=["state", "queued_at", "lease_expires_at"])
            enqueue(export.pk)
        requeued.append(export.pk)

    live = {
        (pk, attempt)
        for pk, attempt in CohortExport.objects.filter(state=ExportState.RUNNING).values_list(
            "pk", "attempt"
        )
    }
    removed = 0
    for path, export_id, attempt in temp_folders():
        if (export_id, attempt) not in live:
            discard(path)
            removed += 1
    for path in trash_folders():
        discard(path)
        removed += 1
    return ReconcileSummary(requeued=requeued, removed_folders=removed)
