"""The ledger tables are append-only in the database itself, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction

from governance.ledger import triggers
from governance.ledger.models import AuditEvent, Checkpoint
from governance.ledger.services import checkpoint_create


def test_the_migration_installed_the_triggers(db):
    assert triggers.installed(connection)


def test_updating_an_event_is_refused_by_the_database(ledger):
    ledger(3)
    with pytest.raises(IntegrityError), transaction.atomic():
        AuditEvent.objects.filter(seq=2).update(outcome="allowed")
    assert AuditEvent.objects.get(seq=2).outcome == "denied"
    with pytest.raises(IntegrityError), transaction.atomic():
        AuditEvent.objects.filter(seq=1).update(extra={"n": 99})
    assert AuditEvent.objects.get(seq=1).extra["n"] == 0


def test_deleting_an_event_is_refused_by_the_database(ledger):
    ledger(3)
    with pytest.raises(IntegrityError), transaction.atomic():
        AuditEvent.objects.filter(seq=3).delete()
    with pytest.raises(IntegrityError), transaction.atomic():
        AuditEvent.objects.all().delete()
    assert AuditEvent.objects.count() == 3


def test_saving_a_changed_event_through_the_orm_is_refused(ledger):
    ledger(1)
    event = AuditEvent.objects.get(seq=1)
    event.actor = "someone-else"
    with pytest.raises(IntegrityError), transaction.atomic():
        event.save(update_fields=["actor"])
    assert AuditEvent.objects.get(seq=1).actor == "system"


def test_checkpoints_cannot_be_updated_or_deleted(ledger):
    ledger(2)
    checkpoint = checkpoint_create()
    with pytest.raises(IntegrityError), transaction.atomic():
        Checkpoint.objects.filter(pk=checkpoint.pk).update(root_hash="0" * 64)
    with pytest.raises(IntegrityError), transaction.atomic():
        Checkpoint.objects.filter(pk=checkpoint.pk).delete()
    assert Checkpoint.objects.get(pk=checkpoint.pk).root_hash == checkpoint.root_hash


@pytest.mark.postgres
def test_truncate_is_refused_on_postgresql(ledger):
    if connection.vendor != "postgresql":
        pytest.skip("TRUNCATE exists on PostgreSQL only")
    ledger(2)
    checkpoint_create()
    for table in triggers.TABLES:
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"TRUNCATE {table} CASCADE")
    assert AuditEvent.objects.count() == 3
    assert Checkpoint.objects.count() == 1


def test_the_triggers_can_be_lifted_for_a_deliberate_operation_and_come_back(ledger, unlocked):
    ledger(2)
    with unlocked():
        assert not triggers.installed(connection)
        AuditEvent.objects.filter(seq=2).update(actor="x")
    assert triggers.installed(connection)
    with pytest.raises(IntegrityError), transaction.atomic():
        AuditEvent.objects.filter(seq=1).update(actor="y")


@pytest.mark.django_db(transaction=True)
def test_flush_still_empties_the_database_and_restores_the_triggers():
    from django.core.management import call_command

    from tests.governance.ledger.conftest import fill

    fill(2)
    call_command("flush", interactive=False, verbosity=0)
    assert AuditEvent.objects.count() == 0
    assert triggers.installed(connection)
