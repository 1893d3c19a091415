"""Appending to the ledger.

``audit_append`` writes one event inside the caller's transaction, so an event exists
exactly when the change it records does. Appends are serialised (an advisory lock on
PostgreSQL, the IMMEDIATE write lock on SQLite), so sequence numbers are dense and the
Merkle tree over them is linear under concurrent writers.

Work that records many events at once (an export's decisions and reads, an ingest's
stored files) wraps itself in ``audit_batch()``: the events appended inside are numbered,
hashed and inserted together when the block ends, in its transaction, under one lock.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from django.db import connection, transaction
from django.utils import timezone

from governance.errors import ValidationFailed
from governance.ledger.actions import Action, Outcome
from governance.ledger.models import AuditEvent
from governance.ledger.pg_append import LOCK_KEY

_MAX_EXTRA_STRING = 200
_INSERT_BATCH = 1000

# The events held by the innermost open ``audit_batch`` of this thread (None: none open).
_batch = threading.local()


# One encoder for every leaf: identical output to json.dumps with these options, without
# building a new encoder per call (verification runs this a million times).
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)

# The columns a leaf covers, in the order ``leaf_hash_from_row`` expects them.
LEAF_COLUMNS = (
    "seq",
    "occurred_at",
    "actor",
    "actor_id",
    "actor_role",
    "action",
    "object_type",
    "object_id",
    "subject_code",
    "purpose",
    "outcome",
    "extra",
)


def canonical_json(data: dict) -> bytes:
    return _CANONICAL.encode(data).encode("utf-8")


def event_document(event: AuditEvent) -> dict:
    """The exact fields a leaf hash covers."""
    return {
        "seq": event.seq,
        "time": event.occurred_at.astimezone(UTC).isoformat(timespec="microseconds"),
        "actor": event.actor,
        "actor_id": event.actor_id,
        "role": event.actor_role,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "subject": event.subject_code,
        "purpose": event.purpose,
        "outcome": event.outcome,
        "extra": event.extra,
    }


def leaf_hash(event: AuditEvent) -> bytes:
    """RFC 6962 leaf hash: SHA-256(0x00 || canonical JSON)."""
    return hashlib.sha256(b"\x00" + canonical_json(event_document(event))).digest()


def leaf_hash_from_row(row: tuple, *, seq: int | None = None) -> bytes:
    """The leaf hash of a row fetched as ``LEAF_COLUMNS``, without building a model.

    ``seq`` overrides the row's own sequence number: verification uses it to find where
    a moved event was originally recorded.
    """
    return hashlib.sha256(b"\x00" + leaf_document_from_row(row, seq=seq)).digest()


def leaf_document_from_row(row: tuple, *, seq: int | None = None) -> bytes:
    """The canonical JSON of a row fetched as ``LEAF_COLUMNS`` (what its leaf hash covers)."""
    (row_seq, occurred_at, actor, actor_id, role, action, object_type, object_id, subject, purpose, outcome, extra) = row
    document = {
        "seq": row_seq if seq is None else seq,
        "time": occurred_at.astimezone(UTC).isoformat(timespec="microseconds"),
        "actor": actor,
        "actor_id": actor_id,
        "role": role,
        "action": action,
        "object_type": object_type,
        "object_id": object_id,
        "subject": subject,
        "purpose": purpose,
        "outcome": outcome,
        "extra": extra,
    }
    return _CANONICAL.encode(document).encode("utf-8")


def _check_extra(value, path: str = "extra") -> None:
    if value is None or isinstance(value, (bool, int, float)):
        return
    if isinstance(value, str):
        if len(value) > _MAX_EXTRA_STRING:
            raise ValidationFailed(f"{path}: audit extras hold IDs and codes, not long text")
        return
    if isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            _check_extra(item, f"{path}[{index}]")
        return
    if isinstance(value, dict):
        for key, item in value.items():
            _check_extra(item, f"{path}.{key}")
        return
    raise ValidationFailed(f"{path}: unsupported type {type(value).__name__}")


def _actor_fields(actor, role: str | None) -> tuple[int | None, str, str]:
    if actor is None or isinstance(actor, str):
        return None, actor or "system", role or "system"
    from governance.roles import user_roles

    roles = role or ",".join(sorted(user_roles(actor))) or ("staff" if actor.is_staff else "")
    return actor.pk, actor.get_username(), roles


def lock_ledger() -> None:
    """Serialise ledger writers until the current transaction ends."""
    _lock_ledger()


def _lock_ledger() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_KEY])
    # SQLite: the connection opens transactions with BEGIN IMMEDIATE, which already holds
    # the database write lock for the rest of this transaction.


def audit_append(
    *,
    actor,
    action: str,
    object_type: str,
    object_id="",
    subject_code: str | None = None,
    purpose: str | None = None,
    outcome: str = Outcome.ALLOWED,
    extra: dict | None = None,
    role: str | None = None,
    now: datetime | None = None,
) -> AuditEvent:
    """Append one event to the ledger in the caller's transaction.

    ``actor`` is a user, or a string such as ``"system"`` for the platform itself.
    ``extra`` holds IDs and codes only: never names, identifiers, genotypes or keys.
    Inside ``audit_batch()`` the event is written when the batch ends, and its ``seq``
    is set then.
    """
    if action not in Action.all():
        raise ValidationFailed(f"action: unknown audit action {action!r}")
    if outcome not in Outcome.ALL:
        raise ValidationFailed(f"outcome: must be one of {', '.join(Outcome.ALL)}")
    extra = dict(extra or {})
    _check_extra(extra)
    actor_id, actor_label, actor_role = _actor_fields(actor, role)
    event = AuditEvent(
        occurred_at=now or timezone.now(),
        actor_id=actor_id,
        actor=actor_label[:150],
        actor_role=actor_role[:200],
        action=action,
        object_type=object_type,
        object_id=str(object_id)[:64],
        subject_code=subject_code or "",
        purpose=(purpose or "")[:64],
        outcome=outcome,
        # Round-trip the JSON so the hash covers exactly what the database will return.
        extra=json.loads(canonical_json(extra)),
    )
    pending = getattr(_batch, "events", None)
    if pending is not None:
        pending.append(event)
    elif connection.vendor == "postgresql":
        _append_in_database(event)
    else:
        with transaction.atomic():
            _write([event])
    return event


def document_parts(event: AuditEvent) -> tuple[str, str]:
    """The event's canonical document split around its sequence number: the document
    at seq ``n`` is ``prefix + str(n) + suffix``."""
    document = event_document(event)
    del document["seq"]
    encode = _CANONICAL.encode
    before = "".join(f"{encode(k)}:{encode(document[k])}," for k in sorted(document) if k < "seq")
    after = "".join(f",{encode(k)}:{encode(document[k])}" for k in sorted(document) if k > "seq")
    return "{" + before + '"seq":', after + "}"


def _append_in_database(event: AuditEvent) -> None:
    """PostgreSQL: lock, number, hash and insert in one call of ``ledger_append`` (see
    ``governance.ledger.pg_append``), so the lock is held for one round trip and the
    commit, not for several statements built here."""
    prefix, suffix = document_parts(event)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT ledger_append(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s::jsonb)",
            [
                prefix, suffix, event.occurred_at, event.actor_id, event.actor, event.actor_role,
                event.action, event.object_type, event.object_id, event.subject_code,
                event.purpose, event.outcome, json.dumps(event.extra),
            ],
        )  # fmt: skip
        event.seq = cursor.fetchone()[0]
    event.document = prefix + str(event.seq) + suffix
    event.leaf_hash = hashlib.sha256(b"\x00" + event.document.encode("utf-8")).hexdigest()
    event._state.adding = False
    event._state.db = connection.alias


@contextmanager
def audit_batch() -> Iterator[None]:
    """Write the events appended inside the block together when it ends.

    The block runs in one transaction (a savepoint inside an outer one); at its end the
    ledger is locked once and its events are numbered in the order they were appended,
    hashed and inserted in bulk. An exception out of the block writes none of them,
    along with everything else the block changed. A batch opened inside another joins
    it. Events are held until the end even if a savepoint inside the block rolls back,
    so use it around work that either completes or fails as a whole.
    """
    if getattr(_batch, "events", None) is not None:
        yield
        return
    events: list[AuditEvent] = []
    _batch.events = events
    try:
        with transaction.atomic():
            yield
            _batch.events = None
            if events:
                _write(events)
    finally:
        _batch.events = None


def _write(events: list[AuditEvent]) -> None:
    """Number, hash and insert ``events`` after the last one recorded (caller's transaction)."""
    _lock_ledger()
    last = AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first() or 0
    for offset, event in enumerate(events, start=1):
        event.seq = last + offset
        document = canonical_json(event_document(event))
        event.document = document.decode("utf-8")
        event.leaf_hash = hashlib.sha256(b"\x00" + document).hexdigest()
    if len(events) == 1:
        events[0].save(force_insert=True)
    elif connection.vendor == "postgresql":
        _copy(events)  # about four times faster than a multi-row INSERT here
    else:
        AuditEvent.objects.bulk_create(events, batch_size=_INSERT_BATCH)


_COPY_COLUMNS = (
    "seq", "occurred_at", "actor_id", "actor", "actor_role", "action", "object_type",
    "object_id", "subject_code", "purpose", "outcome", "extra", "leaf_hash", "document",
)  # fmt: skip


def _copy(events: list[AuditEvent]) -> None:
    statement = f"COPY ledger_auditevent ({', '.join(_COPY_COLUMNS)}) FROM STDIN"
    with connection.cursor() as cursor, cursor.cursor.copy(statement) as copy:
        for e in events:
            copy.write_row(
                (
                    e.seq, e.occurred_at, e.actor_id, e.actor, e.actor_role, e.action,
                    e.object_type, e.object_id, e.subject_code, e.purpose, e.outcome,
                    json.dumps(e.extra), e.leaf_hash, e.document,
                )
            )  # fmt: skip
