"""Database-level protection of the append-only consent tables.

Migration ``0002_append_only`` installs triggers that reject UPDATE and DELETE on
``consent_consentrecord`` and ``consent_consentdisease``:

* PostgreSQL: a PL/pgSQL trigger function raising ``check_violation``. TRUNCATE (an
  operator wiping the whole database, as ``manage.py flush`` does) is not blocked.
* SQLite: ``BEFORE UPDATE`` / ``BEFORE DELETE`` triggers calling ``RAISE(ABORT, ...)``.
  SQLite has no TRUNCATE: ``manage.py flush`` empties tables with ``DELETE``, so the
  delete trigger asks ``helix_append_only()``, a function this app registers on every
  connection, which answers 0 only while that connection runs a full-database flush.
  A connection without the function (another tool) cannot delete rows at all.

Nothing else may change a version: a correction is a new version.
"""

from __future__ import annotations

import threading
from contextlib import contextmanager

TABLES = ("consent_consentrecord", "consent_consentdisease")
_state = threading.local()


def _append_only() -> int:
    return 0 if getattr(_state, "flushing", False) else 1


@contextmanager
def _flushing():
    _state.flushing = True
    try:
        yield
    finally:
        _state.flushing = False


def register_sqlite_guard(sender, connection, **kwargs) -> None:
    """``connection_created`` receiver: install the guard function and let a full
    flush (and only a flush) through."""
    if connection.vendor != "sqlite":
        return
    connection.connection.create_function("helix_append_only", 0, _append_only)
    ops = connection.ops
    if getattr(ops, "_helix_flush_wrapped", False):
        return
    original = ops.execute_sql_flush

    def execute_sql_flush(sql_list):
        with _flushing():
            return original(sql_list)

    ops.execute_sql_flush = execute_sql_flush
    ops._helix_flush_wrapped = True


def postgres_sql() -> list[str]:
    statements = [
        """
        CREATE OR REPLACE FUNCTION consent_reject_change() RETURNS trigger AS $$
        BEGIN
            RAISE EXCEPTION 'consent versions are append-only: % on % is not allowed', TG_OP, TG_TABLE_NAME
                USING ERRCODE = 'check_violation';
        END;
        $$ LANGUAGE plpgsql;
        """
    ]
    for table in TABLES:
        statements.append(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION consent_reject_change();"
        )
    return statements


def postgres_reverse_sql() -> list[str]:
    return [f"DROP TRIGGER IF EXISTS {table}_append_only ON {table};" for table in TABLES] + [
        "DROP FUNCTION IF EXISTS consent_reject_change();"
    ]


def sqlite_sql() -> list[str]:
    statements = []
    for table in TABLES:
        statements.append(
            f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} "
            f"BEGIN SELECT RAISE(ABORT, 'consent versions are append-only: UPDATE on {table} is not allowed'); END;"
        )
        statements.append(
            f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} WHEN helix_append_only() "
            f"BEGIN SELECT RAISE(ABORT, 'consent versions are append-only: DELETE on {table} is not allowed'); END;"
        )
    return statements


def sqlite_reverse_sql() -> list[str]:
    return [
        f"DROP TRIGGER IF EXISTS {t}_{kind};" for t in TABLES for kind in ("no_update", "no_delete")
    ]
