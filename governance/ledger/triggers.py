"""Database triggers that make the ledger tables append-only.

PostgreSQL gets a row trigger rejecting UPDATE and DELETE and a statement trigger
rejecting TRUNCATE; SQLite gets row triggers that ``RAISE(ABORT)`` on UPDATE and DELETE
(SQLite has no TRUNCATE). Both surface as ``django.db.IntegrityError``.

The triggers stop the application and anyone using its connection from rewriting
history by accident or by injection. They do not stop a database owner, who can drop
them: that case is what the signed checkpoints written outside the database catch.

``suspended()`` lifts the triggers for a deliberate whole-database operation (the
``flush`` command, tamper tests) and puts them back afterwards.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connections

TABLES = ("ledger_auditevent", "ledger_checkpoint")

_PG_FUNCTION = """
CREATE OR REPLACE FUNCTION ledger_reject_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the % table is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = '23000';
END
$$;
"""


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


@contextmanager
def suspended(using: str = "default") -> Iterator[None]:
    """Lift the append-only triggers for a deliberate operation, then restore them."""
    connection = connections[using]
    uninstall(connection)
    try:
        yield
    finally:
        install(connection)
