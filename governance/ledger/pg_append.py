"""PostgreSQL: the database function that appends one event.

``ledger_append`` takes the ledger's advisory lock, reads the last sequence number,
splices the next one into the canonical document it is given (as a prefix and a
suffix), hashes it (RFC 6962 leaf) and inserts the row, all in one call. The append
therefore holds the lock for that call and the commit only, instead of for several
statements sent one after another; the document constraint checks the columns against
the spliced document as for any insert.
"""

from __future__ import annotations

LOCK_KEY = 0x48454C4958  # "HELIX": the advisory lock that serialises appends

FUNCTION = """
CREATE OR REPLACE FUNCTION ledger_append(
    prefix text, suffix text, p_occurred_at timestamptz, p_actor_id bigint, p_actor text,
    p_role text, p_action text, p_object_type text, p_object_id text, p_subject text,
    p_purpose text, p_outcome text, p_extra jsonb
) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    next_seq bigint;
    doc text;
BEGIN
    PERFORM pg_advisory_xact_lock(LOCK_KEY);
    SELECT coalesce(max(seq), 0) + 1 INTO next_seq FROM ledger_auditevent;
    doc := prefix || next_seq::text || suffix;
    INSERT INTO ledger_auditevent (
        seq, occurred_at, actor_id, actor, actor_role, action, object_type, object_id,
        subject_code, purpose, outcome, extra, leaf_hash, document
    ) VALUES (
        next_seq, p_occurred_at, p_actor_id, p_actor, p_role, p_action, p_object_type,
        p_object_id, p_subject, p_purpose, p_outcome, p_extra,
        encode(sha256('\\x00'::bytea || convert_to(doc, 'UTF8')), 'hex'), doc
    );
    RETURN next_seq;
END
$$;
""".replace("LOCK_KEY", str(LOCK_KEY))

DROP = "DROP FUNCTION IF EXISTS ledger_append(text, text, timestamptz, bigint, text, text, text, text, text, text, text, text, jsonb)"


def install(connection) -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(FUNCTION)


def uninstall(connection) -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(DROP)
