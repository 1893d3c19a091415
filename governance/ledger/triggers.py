"""Database triggers that make the ledger tables append-only.

PostgreSQL gets a row trigger rejecting UPDATE and DELETE and a statement trigger
rejecting TRUNCATE; SQLite gets row triggers that ``RAISE(ABORT)`` on UPDATE and DELETE
(SQLite has no TRUNCATE). Both surface as ``django.db.IntegrityError``.

The triggers stop the application and anyone using its connection from rewriting
history by accident or by injection. They do not stop a database owner, who can drop
them: that case is what the signed checkpoints written outside the database catch.

On PostgreSQL the event table also carries a CHECK constraint (``DOCUMENT_CHECK``):
each row's columns must say exactly what its hashed canonical document says. With the
constraint validated, verification hashes the stored documents without re-deriving
them from the columns. Whoever drops it and edits rows leaves it missing, or re-added
``NOT VALID``, and verification then re-derives every document.

``suspended()`` lifts the triggers and the constraint for a deliberate whole-database
operation (the ``flush`` command, tamper tests) and puts them back afterwards; the
constraint comes back validated only if every row still satisfies it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import DatabaseError, connections, transaction

TABLES = ("ledger_auditevent", "ledger_checkpoint")

_PG_FUNCTION = """
CREATE OR REPLACE FUNCTION ledger_reject_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the % table is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = '23000';
END
$$;
"""


DOCUMENT_CHECK = "ledger_auditevent_document_matches"

# The canonical document (``append.event_document``) built from a row's columns, as JSON.
PG_COLUMNS_AS_DOCUMENT = """jsonb_build_object(
    'seq', seq,
    'time', to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"'),
    'actor', actor, 'actor_id', actor_id, 'role', actor_role, 'action', action,
    'object_type', object_type, 'object_id', object_id, 'subject', subject_code,
    'purpose', purpose, 'outcome', outcome, 'extra', extra)"""


def _pg_statements(table: str) -> list[str]:
    return [
        f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}",
        f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}",
        f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
        "FOR EACH ROW EXECUTE FUNCTION ledger_reject_change()",
        f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
        "FOR EACH STATEMENT EXECUTE FUNCTION ledger_reject_change()",
    ]


def _sqlite_statements(table: str) -> list[str]:
    return [
        f"CREATE TRIGGER IF NOT EXISTS {table}_no_{op.lower()} BEFORE {op} ON {table} "
        f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: {op} refused'); END"
        for op in ("UPDATE", "DELETE")
    ]


def _sqlite_trigger_names(table: str) -> list[str]:
    return [f"{table}_no_update", f"{table}_no_delete"]


def _existing_tables(connection) -> list[str]:
    with connection.cursor() as cursor:
        present = set(connection.introspection.table_names(cursor))
    return [table for table in TABLES if table in present]


def install(connection) -> None:
    """Install (or reinstall) the append-only triggers on every ledger table present."""
    tables = _existing_tables(connection)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            if tables:
                cursor.execute(_PG_FUNCTION)
            for table in tables:
                for statement in _pg_statements(table):
                    cursor.execute(statement)
        elif connection.vendor == "sqlite":
            for table in tables:
                for statement in _sqlite_statements(table):
                    cursor.execute(statement)


def uninstall(connection) -> None:
    with connection.cursor() as cursor:
        for table in _existing_tables(connection):
            if connection.vendor == "postgresql":
                cursor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
                cursor.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
            elif connection.vendor == "sqlite":
                for name in _sqlite_trigger_names(table):
                    cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
        if connection.vendor == "postgresql":
            cursor.execute("DROP FUNCTION IF EXISTS ledger_reject_change()")


def installed(connection) -> bool:
    """Whether every ledger table present carries its enabled append-only triggers."""
    tables = _existing_tables(connection)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT count(*) FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                "WHERE c.relname = ANY(%s) AND NOT t.tgisinternal AND t.tgenabled <> 'D'",
                [tables],
            )
            return cursor.fetchone()[0] == 2 * len(tables)
        if connection.vendor == "sqlite":
            names = [name for table in tables for name in _sqlite_trigger_names(table)]
            if not names:
                return True
            cursor.execute(
                f"SELECT count(*) FROM sqlite_master WHERE type = 'trigger' "  # noqa: S608
                f"AND name IN ({', '.join(['%s'] * len(names))})",
                names,
            )
            return cursor.fetchone()[0] == len(names)
    return False


def document_check(connection) -> str | None:
    """The state of the document constraint: "validated", "not valid", or None if absent
    (always None off PostgreSQL)."""
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT convalidated FROM pg_constraint WHERE conname = %s "
            "AND conrelid = 'ledger_auditevent'::regclass",
            [DOCUMENT_CHECK],
        )
        row = cursor.fetchone()
    if row is None:
        return None
    return "validated" if row[0] else "not valid"


def install_document_check(connection) -> str | None:
    """Add the document constraint (PostgreSQL) and validate it if every row satisfies it."""
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        if document_check(connection) is None:
            cursor.execute(
                f"ALTER TABLE ledger_auditevent ADD CONSTRAINT {DOCUMENT_CHECK} "
                f"CHECK (document::jsonb = {PG_COLUMNS_AS_DOCUMENT}) NOT VALID"
            )
        try:
            with transaction.atomic(using=connection.alias):
                cursor.execute(f"ALTER TABLE ledger_auditevent VALIDATE CONSTRAINT {DOCUMENT_CHECK}")
        except DatabaseError:
            pass  # a row disagrees with its document: the constraint stays NOT VALID
    return document_check(connection)


def uninstall_document_check(connection) -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"ALTER TABLE ledger_auditevent DROP CONSTRAINT IF EXISTS {DOCUMENT_CHECK}")


@contextmanager
def suspended(using: str = "default") -> Iterator[None]:
    """Lift the append-only triggers (and the document constraint) for a deliberate
    operation, then restore them."""
    connection = connections[using]
    had_check = document_check(connection) is not None
    uninstall(connection)
    uninstall_document_check(connection)
    try:
        yield
    finally:
        install(connection)
        if had_check:
            install_document_check(connection)
