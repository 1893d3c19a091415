"""Concurrent writers get dense sequence numbers and a tree that verifies."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from governance.audit import Action, audit_append
from governance.ledger.models import AuditEvent
from governance.ledger.services import checkpoint_create
from governance.ledger.verify import verify_ledger

WRITERS = 8


def _write(thread: int, count: int, errors: list) -> None:
    try:
        for i in range(count):
            audit_append(
                actor="system",
                action=Action.GATE_DECISION,
                object_type="subject",
                object_id=f"T{thread}-{i}",
                extra={"thread": thread, "i": i},
            )
    except Exception as exc:  # reported by the test, not swallowed
        errors.append(repr(exc))
    finally:
        connections.close_all()


def _run_writers(per_writer: int) -> None:
    errors: list[str] = []
    threads = [
        threading.Thread(target=_write, args=(t, per_writer, errors)) for t in range(WRITERS)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []


def _assert_dense_and_verifying(total: int) -> None:
    seqs = list(AuditEvent.objects.order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, total + 1))
    by_thread: dict[int, list[int]] = {}
    for seq, extra in AuditEvent.objects.order_by("seq").values_list("seq", "extra"):
        by_thread.setdefault(extra["thread"], []).append(extra["i"])
    assert all(order == sorted(order) for order in by_thread.values())
    checkpoint_create()
    report = verify_ledger()
    assert report.tree_size == total + 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_eight_writers_of_a_thousand_events_each_give_seq_1_to_8000_and_a_verifying_tree():
    if connection.vendor != "postgresql":
        pytest.skip("the full concurrency run is for PostgreSQL; SQLite runs the smaller one")
    _run_writers(1000)
    _assert_dense_and_verifying(WRITERS * 1000)


_SQLITE_SCRIPT = """
import django, threading
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from tests.governance.ledger import test_concurrency as t
t._run_writers(100)
t._assert_dense_and_verifying(t.WRITERS * 100)
print("ok")
"""


def test_eight_concurrent_writers_on_a_sqlite_file_also_give_dense_seqs(tmp_path):
    """The test database is SQLite in shared-cache memory, whose table locks are not how
    a SQLite deployment behaves; this runs the writers against a real SQLite file (WAL,
    BEGIN IMMEDIATE) in a fresh process instead."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    from django.conf import settings

    env = {
        **os.environ,
        "DATA_DIR": str(tmp_path),
        "HELIX_TESTING": "1",
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }
    env.pop("DATABASE_URL", None)
    done = subprocess.run(
        [sys.executable, "-c", _SQLITE_SCRIPT],
        cwd=Path(settings.BASE_DIR),
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().endswith("ok")
