"""Periodic ledger tasks run on a real Celery worker over Redis."""

import pytest

from governance.audit import Action, audit_append
from governance.ledger.models import Checkpoint
from governance.ledger.tasks import audit_checkpoint
from tests.worker import wait_for


@pytest.mark.worker
def test_a_real_worker_signs_a_checkpoint_sent_over_redis(celery_worker_process):
    audit_append(actor="system", action=Action.AUDIT_VIEW, object_type="ledger")
    audit_checkpoint.delay()
    checkpoint = wait_for(lambda: Checkpoint.objects.order_by("-id").first(), timeout=60)
    assert checkpoint.tree_size >= 1
