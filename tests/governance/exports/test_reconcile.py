"""The reconciler: stuck exports go back to the queue; orphan folders go away."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils import timezone

from governance.exports.models import CohortExport, ExportState
from governance.exports.services import (
    cohort_export_request,
    cohort_export_run,
    cohort_exports_reconcile,
)
from governance.exports.services.folders import temp_folder

pytestmark = pytest.mark.django_db


@pytest.fixture
def queued(make_cohort, monkeypatch):
    sent = []
    monkeypatch.setattr(
        "governance.exports.tasks.exports_run.delay", lambda export_id: sent.append(export_id)
    )
    cohort = make_cohort(n=6, genotypes=False, categories=("clinical", "demographic"))
    export = cohort_export_request(actor=cohort.researcher, grant=cohort.grant, enqueue_run=False)
    return export, sent


def later(seconds: int = 1):
    return timezone.now() + timezone.timedelta(
        seconds=settings.HELIX_EXPORT_DEADLINE_SECONDS + seconds
    )


def test_an_export_queued_past_the_deadline_is_queued_again(
    queued, django_capture_on_commit_callbacks
):
    export, sent = queued
    assert cohort_exports_reconcile().requeued == []
    with django_capture_on_commit_callbacks(execute=True):
        summary = cohort_exports_reconcile(now=later())
    assert summary.requeued == [export.pk] and sent == [export.pk]
    export.refresh_from_db()
    assert export.state == ExportState.QUEUED


def test_a_running_export_whose_lease_expired_goes_back_to_the_queue_and_finishes_once(
    queued, django_capture_on_commit_callbacks
):
    export, sent = queued
    CohortExport.objects.filter(pk=export.pk).update(
        state=ExportState.RUNNING, attempt=1, lease_expires_at=timezone.now()
    )
    temp_folder(export.pk, 1).mkdir(parents=True)
    with django_capture_on_commit_callbacks(execute=True):
        summary = cohort_exports_reconcile(now=timezone.now() + timezone.timedelta(seconds=1))
    assert summary.requeued == [export.pk] and summary.removed_folders == 1
    assert not temp_folder(export.pk, 1).exists()
    done = cohort_export_run(export_id=export.pk)
    assert done.state == ExportState.SUCCEEDED and done.attempt == 2
    assert cohort_exports_reconcile(now=later()).requeued == []


def test_a_running_export_with_a_live_lease_is_left_alone(queued):
    export, sent = queued
    lease = timezone.now() + timezone.timedelta(minutes=10)
    CohortExport.objects.filter(pk=export.pk).update(
        state=ExportState.RUNNING, attempt=1, lease_expires_at=lease
    )
    temp_folder(export.pk, 1).mkdir(parents=True)
    assert cohort_exports_reconcile().as_dict() == {"requeued": [], "removed_folders": 0}
    assert temp_folder(export.pk, 1).exists()


def test_the_command_prints_what_it_did(queued, capsys):
    export, _ = queued
    temp_folder(export.pk, 7).mkdir(parents=True)
    call_command("reconcile_exports")
    assert capsys.readouterr().out.strip() == '{"requeued": [], "removed_folders": 1}'
