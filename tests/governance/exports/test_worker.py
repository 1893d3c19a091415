"""Exports on a real Celery worker over Redis, killed with SIGKILL at random points.

Every export still ends succeeded exactly once, with one published folder and one
completion event, and a watcher polling ``EXPORT_DIR`` throughout never sees a folder
that is not complete. Runs only with REDIS_URL and PostgreSQL (the worker needs a
database it can share with the test).
"""

from __future__ import annotations

import random
import threading
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

from governance.audit import Action
from governance.exports.models import CohortExport, ExportState
from governance.exports.services import cohort_export_request, cohort_exports_reconcile
from governance.ledger.models import AuditEvent
from tests.governance.exports.helpers import complete
from tests.worker import wait_for

ROUNDS = 20
DEADLINE = 10  # seconds: the lease, the reconciler's deadline and Redis's visibility timeout


class Watcher(threading.Thread):
    """Polls the export folder; records any visible folder that is not complete."""

    def __init__(self, root: Path):
        super().__init__(daemon=True)
        self.root = root
        self.stop = threading.Event()
        self.seen: set[str] = set()
        self.partial: list[str] = []
        self.looks = 0

    def run(self) -> None:
        while not self.stop.is_set():
            if self.root.exists():
                for entry in list(self.root.iterdir()):
                    if entry.name.startswith("."):
                        continue
                    try:
                        ok = complete(entry)
                    except (FileNotFoundError, NotADirectoryError):
                        ok = not entry.exists()  # taken away (atomically) while we looked
                    except ValueError:
                        ok = False  # a manifest that is not whole JSON
                    self.looks += 1
                    self.seen.add(entry.name)
                    if not ok:
                        self.partial.append(entry.name)
            time.sleep(0.01)


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_exports_killed_at_random_points_each_finish_once_and_never_show_partial_output(
    celery_worker_process, make_cohort
):
    settings.HELIX_EXPORT_DEADLINE_SECONDS = DEADLINE
    celery_worker_process.env["HELIX_EXPORT_DEADLINE_SECONDS"] = str(DEADLINE)
    celery_worker_process.restart()
    cohort = make_cohort(n=6)
    rng = random.Random(7)  # noqa: S311 - kill timing, not security
    watcher = Watcher(Path(settings.EXPORT_DIR))
    watcher.start()
    exports = []
    try:
        for _ in range(ROUNDS):
            exports.append(cohort_export_request(actor=cohort.researcher, grant=cohort.grant))
            time.sleep(rng.uniform(0.0, 2.5))
            celery_worker_process.kill()
            # Nothing runs now: whatever the dead worker held can be taken back at once.
            cohort_exports_reconcile(now=timezone.now() + timezone.timedelta(seconds=DEADLINE + 1))
            celery_worker_process.start()

        def all_done() -> bool:
            cohort_exports_reconcile()
            states = set(CohortExport.objects.values_list("state", flat=True))
            return states == {ExportState.SUCCEEDED}

        wait_for(all_done, timeout=300, interval=1.0)
        # Late redeliveries of killed tasks must change nothing.
        time.sleep(DEADLINE + 2)
    finally:
        watcher.stop.set()
        watcher.join(5)

    cohort_exports_reconcile()
    ids = sorted(str(e.pk) for e in exports)
    assert sorted(p.name for p in Path(settings.EXPORT_DIR).iterdir()) == ids
    for export in CohortExport.objects.all():
        assert export.state == ExportState.SUCCEEDED
        completions = AuditEvent.objects.filter(
            action=Action.EXPORT_COMPLETE, object_id=str(export.pk)
        )
        assert completions.count() == 1
        included = AuditEvent.objects.filter(
            action=Action.EXPORT_SUBJECT_INCLUDED, object_id=str(export.pk)
        )
        assert included.count() == export.subject_count == 6
        assert complete(Path(export.output_dir))
    assert watcher.looks > 0 and watcher.seen == set(ids)
    assert watcher.partial == []
    restarts = CohortExport.objects.filter(attempt__gt=1).count()
    print(
        f"{ROUNDS} exports, {restarts} needed more than one attempt, watcher looked {watcher.looks} times"
    )
