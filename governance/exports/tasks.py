"""Celery tasks for exports: thin, taking IDs, each calling one service.

``acks_late`` with ``reject_on_worker_lost`` means a worker killed mid-run leaves the
message to be delivered again; the service's claim makes a second delivery harmless.
"""

from __future__ import annotations

from celery import shared_task


@shared_task(name="governance.exports_run", acks_late=True, reject_on_worker_lost=True)
def exports_run(export_id: int) -> str | None:
    from governance.exports.services import cohort_export_run

    export = cohort_export_run(export_id=int(export_id))
    return export.state if export is not None else None


@shared_task(name="governance.exports_reconcile", acks_late=True, reject_on_worker_lost=True)
def exports_reconcile() -> dict:
    from governance.exports.services import cohort_exports_reconcile

    return cohort_exports_reconcile().as_dict()
