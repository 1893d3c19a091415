"""The admin shows the ledger and never offers to change it."""

import pytest
from django.contrib.auth.models import User
from django.urls import reverse


@pytest.fixture
def admin_client(client, ledger):
    ledger(3)
    from governance.ledger.services import checkpoint_create

    checkpoint_create()
    client.force_login(User.objects.create_superuser("root", "root@example.org", "x" * 12))
    return client


@pytest.mark.parametrize("model", ["auditevent", "checkpoint"])
def test_the_ledger_admin_lists_but_cannot_add_change_or_delete(admin_client, model):
    from governance.ledger.models import AuditEvent, Checkpoint

    pk = (AuditEvent if model == "auditevent" else Checkpoint).objects.order_by("pk").first().pk
    assert admin_client.get(reverse(f"admin:ledger_{model}_changelist")).status_code == 200
    assert admin_client.get(reverse(f"admin:ledger_{model}_add")).status_code == 403
    assert admin_client.post(reverse(f"admin:ledger_{model}_delete", args=[pk])).status_code == 403
    page = admin_client.get(reverse(f"admin:ledger_{model}_change", args=[pk]))
    assert page.status_code == 200  # a read-only view
    assert b'name="_save"' not in page.content
