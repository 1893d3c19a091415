"""Audit ledger: append throughput under concurrent writers, and verification speed.

In a scratch PostgreSQL database (created here, dropped at the end):

1. Append: 8 writer threads call ``audit_append`` (each event its own transaction, as
   the platform appends them), side by side with 8 threads doing plain single-row
   INSERTs, each its own transaction, into an unchained table of the same shape (no
   lock, no sequence read, no hash). Reports events/s and p50/p99 latency.
2. Verify: bulk-loads N events (default 1,000,000) with precomputed leaf hashes via
   COPY, signs a checkpoint (which also writes the external tiles), then times
   ``verify_ledger`` over all of it, side by side with hashing the same leaf bytes
   with ``hashlib`` alone. Also times the bare row fetch, to show where time goes.

Run: .venv/bin/python bench/bench_audit.py [--events 1000000] [--appends 500]
     [--url postgres://postgres@127.0.0.1:5432/h_bench_audit]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import platform
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

WRITERS = 8
TARGET_APPEND = 0.30
TARGET_VERIFY = 0.40


def _admin_url(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    return urlunsplit(parts._replace(path="/postgres")), name


def _recreate_database(url: str, *, drop_only: bool = False) -> None:
    import psycopg

    admin, name = _admin_url(url)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if not drop_only:
            conn.execute(f'CREATE DATABASE "{name}"')


def _setup_django(url: str, data_dir: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ["DATA_DIR"] = data_dir
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ["CONN_MAX_AGE"] = "0"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", "governance", verbosity=0, skip_checks=True)
    call_command("migrate", "ledger", verbosity=0, skip_checks=True)


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def _run_threads(work, per_writer: int) -> tuple[float, list[float]]:
    from django.db import connections

    latencies: list[list[float]] = [[] for _ in range(WRITERS)]
    errors: list[str] = []
    barrier = threading.Barrier(WRITERS + 1)

    def writer(index: int) -> None:
        try:
            barrier.wait()
            for i in range(per_writer):
                began = time.perf_counter()
                work(index, i)
                latencies[index].append(time.perf_counter() - began)
        except Exception as exc:
            errors.append(repr(exc))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=writer, args=(t,)) for t in range(WRITERS)]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    if errors:
        sys.exit(f"writer failed: {errors[0]}")
    return elapsed, [x for per in latencies for x in per]


PLAIN_TABLE = """
CREATE TABLE IF NOT EXISTS bench_plain_event (
    seq bigserial PRIMARY KEY,
    occurred_at timestamptz NOT NULL,
    actor_id bigint NULL,
    actor varchar(150) NOT NULL,
    actor_role varchar(200) NOT NULL,
    action varchar(64) NOT NULL,
    object_type varchar(64) NOT NULL,
    object_id varchar(64) NOT NULL,
    subject_code varchar(32) NOT NULL,
    purpose varchar(64) NOT NULL,
    outcome varchar(16) NOT NULL,
    extra jsonb NOT NULL,
    leaf_hash varchar(64) NOT NULL
);
CREATE INDEX IF NOT EXISTS bench_plain_occ ON bench_plain_event (occurred_at);
CREATE INDEX IF NOT EXISTS bench_plain_act ON bench_plain_event (action);
CREATE INDEX IF NOT EXISTS bench_plain_subj ON bench_plain_event (subject_code);
CREATE INDEX IF NOT EXISTS bench_plain_purp ON bench_plain_event (purpose);
CREATE INDEX IF NOT EXISTS bench_plain_actid ON bench_plain_event (actor_id);
CREATE INDEX IF NOT EXISTS bench_plain_act_occ ON bench_plain_event (action, occurred_at);
CREATE INDEX IF NOT EXISTS bench_plain_actid_occ ON bench_plain_event (actor_id, occurred_at);
"""


def bench_append(per_writer: int) -> dict:
    import json

    from django.db import connection

    from governance.audit import Action, audit_append

    with connection.cursor() as cursor:
        cursor.execute(PLAIN_TABLE)

    def chained(thread: int, i: int) -> None:
        audit_append(
            actor="system",
            action=Action.GATE_DECISION,
            object_type="subject",
            object_id=f"T{thread}-{i}",
            subject_code=f"HX-{i % 97:010d}",
            purpose="PRJ-1",
            extra={"thread": thread, "i": i, "terms": ["DUO:0000042"]},
        )

    def plain(thread: int, i: int) -> None:
        from django.db import connection as conn

        with conn.cursor() as cursor:
            cursor.execute(
                "INSERT INTO bench_plain_event (occurred_at, actor_id, actor, actor_role, action, object_type,"
                " object_id, subject_code, purpose, outcome, extra, leaf_hash)"
                " VALUES (%s, NULL, %s, %s, %s, %s, %s, %s, %s, %s, %s, '')",
                [
                    datetime.now(UTC),
                    "system",
                    "system",
                    Action.GATE_DECISION,
                    "subject",
                    f"T{thread}-{i}",
                    f"HX-{i % 97:010d}",
                    "PRJ-1",
                    "allowed",
                    json.dumps({"thread": thread, "i": i, "terms": ["DUO:0000042"]}),
                ],
            )

    results = {}
    for label, work in (("plain", plain), ("chained", chained), ("plain_again", plain), ("chained_again", chained)):
        elapsed, latencies = _run_threads(work, per_writer)
        total = WRITERS * per_writer
        results.setdefault(label.replace("_again", ""), []).append(
            {"rate": total / elapsed, "p50": _percentile(latencies, 0.50), "p99": _percentile(latencies, 0.99)}
        )
    # Best of two rounds each, interleaved, to damp noise from other load on the machine.
    return {label: max(runs, key=lambda r: r["rate"]) for label, runs in results.items()}


def _rows(count: int, start_seq: int):
    """Synthetic events with their canonical leaf bytes, like the platform writes them."""
    from governance.ledger.append import canonical_json

    base = datetime(2026, 1, 1, tzinfo=UTC)
    actions = ["gate.decision", "genomic.read", "consent.grant", "export.start"]
    outcomes = ["allowed", "denied", "allowed", "failed"]
    for seq in range(start_seq, start_seq + count):
        i = seq - 1
        occurred = base + timedelta(microseconds=i * 1000)
        extra = {"n": i, "terms": ["DUO:0000042", f"MONDO:{i % 5000:07d}"], "grant": f"G{i % 300}"}
        document = {
            "seq": seq,
            "time": occurred.isoformat(timespec="microseconds"),
            "actor": f"user{i % 50}",
            "actor_id": i % 50 + 1,
            "role": "researcher",
            "action": actions[i % 4],
            "object_type": "subject",
            "object_id": f"OBJ{i}",
            "subject": f"HX-{i % 20000:010d}",
            "purpose": f"PRJ-{i % 40}",
            "outcome": outcomes[i % 4],
            "extra": extra,
        }
        data = canonical_json(document)
        yield document, data


def load_events(count: int) -> float:
    """COPY ``count`` events with precomputed leaf hashes. Returns the hashlib-only rate."""
    import json

    from django.db import connection

    columns = (
        "seq, occurred_at, actor_id, actor, actor_role, action, object_type, object_id,"
        " subject_code, purpose, outcome, extra, leaf_hash, document"
    )
    hashing_seconds = 0.0
    chunk = 100_000
    with connection.cursor() as cursor:
        raw = cursor.cursor
        for start in range(1, count + 1, chunk):
            size = min(chunk, count - start + 1)
            batch = list(_rows(size, start))
            # The baseline: hashlib alone over exactly the bytes verification hashes.
            sha = hashlib.sha256
            began = time.perf_counter()
            hashes = [sha(b"\x00" + data).hexdigest() for _, data in batch]
            hashing_seconds += time.perf_counter() - began
            with raw.copy(f"COPY ledger_auditevent ({columns}) FROM STDIN") as copy:
                for (doc, data), leaf in zip(batch, hashes, strict=True):
                    copy.write_row(
                        (
                            doc["seq"],
                            doc["time"],
                            doc["actor_id"],
                            doc["actor"],
                            doc["role"],
                            doc["action"],
                            doc["object_type"],
                            doc["object_id"],
                            doc["subject"],
                            doc["purpose"],
                            doc["outcome"],
                            json.dumps(doc["extra"]),
                            leaf,
                            data.decode("utf-8"),
                        )
                    )
        cursor.execute("ANALYZE ledger_auditevent")
    return count / hashing_seconds


def bench_verify(count: int) -> dict:
    from governance.ledger.selectors import leaf_rows
    from governance.ledger.services import checkpoint_create
    from governance.ledger.verify import verify_ledger

    began = time.perf_counter()
    hashlib_rate = load_events(count)
    load_seconds = time.perf_counter() - began

    began = time.perf_counter()
    checkpoint = checkpoint_create(actor="system:bench")
    checkpoint_seconds = time.perf_counter() - began

    began = time.perf_counter()
    fetched = sum(1 for _ in leaf_rows())
    fetch_seconds = time.perf_counter() - began

    runs = []
    for _ in range(2):
        report = verify_ledger()
        runs.append(report)
    best = min(runs, key=lambda r: r.seconds)
    assert best.tree_size == count + 1 == fetched
    return {
        "events": best.tree_size,
        "load_seconds": load_seconds,
        "checkpoint_seconds": checkpoint_seconds,
        "checkpoint_size": checkpoint.tree_size,
        "fetch_rate": fetched / fetch_seconds,
        "verify_seconds": best.seconds,
        "verify_rate": best.tree_size / best.seconds,
        "hashlib_rate": hashlib_rate,
        "tiled": best.tiled_leaves,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default="postgres://postgres@127.0.0.1:5432/h_bench_audit")
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--appends", type=int, default=500, help="events per writer in the append test")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database (for profiling)")
    args = parser.parse_args()
    if not args.url.startswith("postgres://"):
        sys.exit("--url: a postgres:// scratch database (it is dropped at the end)")

    _recreate_database(args.url)
    try:
        with tempfile.TemporaryDirectory(prefix="helix-bench-audit-") as data_dir:
            _setup_django(args.url, data_dir)
            from django.db import connection

            from governance.ledger.models import AuditEvent

            with connection.cursor() as cursor:
                cursor.execute("SHOW server_version")
                server = cursor.fetchone()[0]
            print(f"# audit ledger benchmark: PostgreSQL {server}, Python {platform.python_version()}, "
                  f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")

            appends = bench_append(args.appends)
            chained, plain = appends["chained"], appends["plain"]
            ratio = chained["rate"] / plain["rate"]
            print(f"append, {WRITERS} writers x {args.appends} events, one transaction each (best of 2):")
            print(f"  audit_append (locked, hashed): {chained['rate']:8.0f} events/s  "
                  f"p50 {chained['p50'] * 1000:6.2f} ms  p99 {chained['p99'] * 1000:6.2f} ms")
            print(f"  plain INSERT, unchained table: {plain['rate']:8.0f} events/s  "
                  f"p50 {plain['p50'] * 1000:6.2f} ms  p99 {plain['p99'] * 1000:6.2f} ms")
            print(f"  ratio {ratio:.2f} (target >= {TARGET_APPEND:.2f}): {'met' if ratio >= TARGET_APPEND else 'NOT met'}")

            # Start the verification test from an empty ledger.
            from governance.ledger import triggers

            with triggers.suspended():
                AuditEvent.objects.all().delete()
            verify = bench_verify(args.events)
            vratio = verify["verify_rate"] / verify["hashlib_rate"]
            print(f"verify, {verify['events']:,} events (loaded by COPY in {verify['load_seconds']:.1f}s; "
                  f"first checkpoint over them {verify['checkpoint_seconds']:.1f}s):")
            print(f"  verify_ledger:         {verify['verify_rate']:10,.0f} events/s ({verify['verify_seconds']:.1f}s, "
                  f"{verify['tiled']:,} leaves checked against external tiles)")
            print(f"  hashlib alone:         {verify['hashlib_rate']:10,.0f} events/s (SHA-256 over the same leaf bytes)")
            print(f"  row fetch alone:       {verify['fetch_rate']:10,.0f} events/s (the chunked query, no hashing)")
            print(f"  ratio {vratio:.2f} (target >= {TARGET_VERIFY:.2f}): {'met' if vratio >= TARGET_VERIFY else 'NOT met'}")
            from django.db import connections

            connections.close_all()
    finally:
        if not args.keep:
            _recreate_database(args.url, drop_only=True)


if __name__ == "__main__":
    main()
