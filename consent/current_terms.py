"""The current consent version's gate terms, kept on the subject row.

``Subject.current_consent`` points at the version in force now. Beside the pointer the
subject row holds what the consent gate compares of that version: ``current_terms``,
one integer whose bits say whether the version is active, which data categories it
covers, its permission and each of its modifiers; the dates the gate tests
(``current_valid_from``, ``current_valid_until``, ``current_use_ends`` for a TS time
limit, ``current_moratorium``); and the lists a GS, US, PS or IS modifier names
(``current_countries``, ``current_users``, ``current_projects``,
``current_institutions``). With them the gate decides "current consent permits this
purpose" from one row per subject, mostly with integer masks and date comparisons,
instead of joining every subject to its version and matching modifier strings.

The database keeps them, not the application: migration ``0003_subject_current_terms``
installs triggers that recompute them from the version whenever a row of
``consent_subject`` is inserted or an update names ``current_consent_id`` or one of
these columns. Whatever moves the pointer (the consent services, a bulk import, a
fixture) cannot leave stale terms behind, and the versions are append-only, so a
version's terms never change under a pointer. A full ``save()`` of a stale instance
names the columns and so has them recomputed.

The bit numbers are stored data: never renumber one. Adding a term means a new bit, a
migration that reinstalls the triggers and recomputes every subject (as ``0003`` does).
On SQLite a table rebuild of ``consent_subject`` drops its triggers and the gate's
index (a test checks they exist).
"""

from __future__ import annotations

from consent import duo

TABLE = "consent_subject"
COLUMNS = (
    "current_terms",
    "current_valid_from",
    "current_valid_until",
    "current_use_ends",
    "current_moratorium",
    "current_countries",
    "current_users",
    "current_projects",
    "current_institutions",
)

ACTIVE = 1 << 0
CATEGORY_BITS = {"genomic": 1 << 1, "clinical": 1 << 2, "demographic": 1 << 3}
TERM_BITS = {
    duo.NRES: 1 << 4,
    duo.GRU: 1 << 5,
    duo.HMB: 1 << 6,
    duo.DS: 1 << 7,
    duo.POA: 1 << 8,
    duo.NPU: 1 << 9,
    duo.NCU: 1 << 10,
    duo.NPUNCU: 1 << 11,
    duo.IRB: 1 << 12,
    duo.GS: 1 << 13,
    duo.PUB: 1 << 14,
    duo.COL: 1 << 15,
    duo.RTN: 1 << 16,
    duo.TS: 1 << 17,
    duo.MOR: 1 << 18,
    duo.US: 1 << 19,
    duo.PS: 1 << 20,
    duo.IS: 1 << 21,
    duo.NMDS: 1 << 22,
    duo.GSO: 1 << 23,
    duo.CC: 1 << 24,
    duo.NPOA: 1 << 25,
    duo.RS: 1 << 26,
}
assert set(TERM_BITS) == set(duo.PERMISSIONS) | set(duo.MODIFIERS), "every DUO term has a bit"


def term_mask(codes) -> int:
    """The bits of these DUO permission or modifier codes."""
    mask = 0
    for code in codes:
        mask |= TERM_BITS[code]
    return mask


def ts_end_sqlite(use_start: str, valid_from: str, months: str) -> str:
    """SQLite SQL for the first day a TS limit no longer allows use: ``months`` after
    ``use_start`` (else the date the consent became valid), the day clamped to the end
    of a shorter month as ``dateutil.relativedelta`` does. Arguments are column SQL."""
    start = f"COALESCE({use_start}, date({valid_from}))"
    last_day = f"CAST(strftime('%d', date({start}, 'start of month', '+' || ({months} + 1) || ' months', '-1 day')) AS INTEGER)"
    day = f"min(CAST(strftime('%d', {start}) AS INTEGER), {last_day})"
    return f"date({start}, 'start of month', '+' || {months} || ' months', '+' || ({day} - 1) || ' days')"


def ts_end_postgres(use_start: str, valid_from: str, months: str) -> str:
    """PostgreSQL SQL for the same day (``interval`` months clamp the same way)."""
    start = f"COALESCE({use_start}, ({valid_from} AT TIME ZONE 'UTC')::date)"
    return f"({start} + make_interval(months => {months}))::date"


def _terms_sql(contains) -> str:
    """SQL for ``current_terms`` from the version aliased ``r`` (0 when there is none)."""
    parts = [f"CASE WHEN r.status = 'active' THEN {ACTIVE} ELSE 0 END"]
    parts += [
        f"CASE WHEN r.cat_{name} THEN {bit} ELSE 0 END" for name, bit in CATEGORY_BITS.items()
    ]
    permissions = " ".join(f"WHEN '{code}' THEN {TERM_BITS[code]}" for code in duo.PERMISSIONS)
    parts.append(f"CASE r.permission {permissions} ELSE 0 END")
    parts += [
        f"CASE WHEN {contains(f',{code},')} THEN {TERM_BITS[code]} ELSE 0 END"
        for code in duo.MODIFIERS
    ]
    return "\n            + ".join(parts)


def _select_sql(vendor: str, into: str = "") -> str:
    """The SELECT of the terms of the version ``NEW.current_consent_id`` (one row, NULLs
    and 0 without a version), in the column order of ``COLUMNS``."""
    if vendor == "sqlite":
        terms = _terms_sql(lambda text: f"instr(r.modifiers, '{text}') > 0")
        use_ends = ts_end_sqlite("r.use_start", "r.valid_from", "r.months")
    else:
        terms = _terms_sql(lambda text: f"strpos(r.modifiers, '{text}') > 0")
        use_ends = ts_end_postgres("r.use_start", "r.valid_from", "r.months")
    lines = [
        f"SELECT {terms},",
        f"            r.valid_from, r.valid_until, {use_ends}, r.moratorium,",
        "            r.countries, r.users, r.projects, r.institutions",
        *([f"        {into}"] if into else []),
        "        FROM (SELECT NEW.current_consent_id AS id) AS p",
        "        LEFT JOIN consent_consentrecord AS r ON r.id = p.id",
    ]
    return "\n".join(lines)


def sqlite_sql() -> list[str]:
    columns = ", ".join(COLUMNS)
    # The gate scans subjects in ID order reading only these columns: on SQLite a partial
    # index holding them (and the column of its condition, always NULL in it, without
    # which SQLite reads the table too) is a narrower scan than the table. PostgreSQL
    # scans the table and sorts, and its B-tree entries are limited in size: none there.
    index = (
        f"CREATE INDEX {TABLE}_gate_idx ON {TABLE} (id, {columns}, current_consent_id, "
        "erased_at) WHERE erased_at IS NULL;"
    )
    # Built from this module's constants only; nothing here comes from input.
    refresh = f"UPDATE {TABLE} SET ({columns}) = ({_select_sql('sqlite')}) WHERE id = NEW.id;"  # noqa: S608
    # Recursive triggers are off (SQLite's default), so the refresh does not fire again.
    return [
        index,
        # A new row without a version and without terms is already right.
        f"CREATE TRIGGER {TABLE}_current_terms_insert AFTER INSERT ON {TABLE} "
        "WHEN NEW.current_consent_id IS NOT NULL OR NEW.current_terms <> 0 "
        f"BEGIN {refresh} END;",
        f"CREATE TRIGGER {TABLE}_current_terms_update AFTER UPDATE OF current_consent_id, "
        f"{columns} ON {TABLE} BEGIN {refresh} END;",
    ]


def sqlite_reverse_sql() -> list[str]:
    return [
        f"DROP TRIGGER IF EXISTS {TABLE}_current_terms_{kind};" for kind in ("insert", "update")
    ] + [f"DROP INDEX IF EXISTS {TABLE}_gate_idx;"]


def postgres_sql() -> list[str]:
    select = _select_sql("postgresql", into="INTO " + ", ".join(f"NEW.{c}" for c in COLUMNS))
    return [
        f"""
        CREATE OR REPLACE FUNCTION consent_subject_current_terms() RETURNS trigger AS $$
        BEGIN
            {select};
            RETURN NEW;
        END;
        $$ LANGUAGE plpgsql;
        """,
        f"CREATE TRIGGER {TABLE}_current_terms BEFORE INSERT OR UPDATE OF current_consent_id, "
        f"{', '.join(COLUMNS)} ON {TABLE} FOR EACH ROW EXECUTE FUNCTION consent_subject_current_terms();",
    ]


def postgres_reverse_sql() -> list[str]:
    return [
        f"DROP TRIGGER IF EXISTS {TABLE}_current_terms ON {TABLE};",
        "DROP FUNCTION IF EXISTS consent_subject_current_terms();",
    ]


def refresh_all_sql() -> str:
    """Recompute every subject's terms through the triggers (after installing them)."""
    return f"UPDATE {TABLE} SET current_consent_id = current_consent_id"  # noqa: S608
