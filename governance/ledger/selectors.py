"""Reads of the ledger: rows in sequence order, events by filter, checkpoints.

``audit_event_get_for_user`` is the access function for events: compliance officers
see every event; a patient sees only events about their own subject; anyone else, and
any missing event, gets the same ``NotFound``.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from django.db.models import Max, QuerySet

from governance.errors import IntegrityFailure, NotFound
from governance.ledger.append import LEAF_COLUMNS
from governance.ledger.models import AuditEvent, Checkpoint
from governance.roles import Role, user_roles

CHUNK = 10_000


def tree_size() -> int:
    """The number of events in the ledger (sequence numbers are dense from 1)."""
    return AuditEvent.objects.aggregate(top=Max("seq"))["top"] or 0


def leaf_rows(
    *, after: int = 0, upto: int | None = None, chunk_size: int = CHUNK
) -> Iterator[tuple]:
    """Rows as ``LEAF_COLUMNS + ("leaf_hash", "document")`` in order, ``after < seq <= upto``.

    Keyset pagination: one bounded query per chunk, so memory stays flat over a
    million events and each query walks the primary key index.
    """
    columns = (*LEAF_COLUMNS, "leaf_hash", "document")
    last = after
    while True:
        query = AuditEvent.objects.filter(seq__gt=last)
        if upto is not None:
            if last >= upto:
                return
            query = query.filter(seq__lte=upto)
        rows = list(query.order_by("seq").values_list(*columns)[:chunk_size])
        if not rows:
            return
        yield from rows
        last = rows[-1][0]
        if len(rows) < chunk_size:
            return


def stored_leaf_hashes(lo: int, hi: int) -> Iterator[bytes]:
    """A Merkle ``LeafSource``: the stored leaf hashes of leaves ``lo .. hi-1`` (seq lo+1 .. hi)."""
    last = lo
    while last < hi:
        chunk = list(
            AuditEvent.objects.filter(seq__gt=last, seq__lte=hi)
            .order_by("seq")
            .values_list("seq", "leaf_hash")[: CHUNK * 5]
        )
        if not chunk:
            return
        for seq, value in chunk:
            if seq != last + 1:
                return  # a gap: the caller sees a short read
            last = seq
            try:
                leaf = bytes.fromhex(value)
            except ValueError:
                leaf = b""
            if len(leaf) != 32:
                raise IntegrityFailure(f"seq {seq}: malformed leaf hash; run verify_audit.")
            yield leaf


def latest_checkpoint() -> Checkpoint | None:
    return Checkpoint.objects.order_by("-tree_size").first()


def checkpoint_covering(tree_size: int) -> Checkpoint | None:
    """The smallest checkpoint whose tree includes the first ``tree_size`` events."""
    return Checkpoint.objects.filter(tree_size__gte=tree_size).order_by("tree_size").first()


def events_for_subject(*, subject_code: str) -> QuerySet[AuditEvent]:
    """Every event about one subject, newest first (the patient's "who used my data")."""
    return AuditEvent.objects.filter(subject_code=subject_code).order_by("-seq")


def event_list(
    *,
    actor_id: int | None = None,
    actor: str | None = None,
    subject_code: str | None = None,
    action: str | None = None,
    purpose: str | None = None,
    outcome: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> QuerySet[AuditEvent]:
    """Events filtered by any combination of fields, newest first; ``until`` is exclusive."""
    query = AuditEvent.objects.all()
    if actor_id is not None:
        query = query.filter(actor_id=actor_id)
    if actor:
        query = query.filter(actor=actor)
    if subject_code:
        query = query.filter(subject_code=subject_code)
    if action:
        query = query.filter(action=action)
    if purpose:
        query = query.filter(purpose=purpose)
    if outcome:
        query = query.filter(outcome=outcome)
    if since is not None:
        query = query.filter(occurred_at__gte=since)
    if until is not None:
        query = query.filter(occurred_at__lt=until)
    return query.order_by("-seq")


def _own_subject_code(user) -> str | None:
    # The ledger sits below consent: it follows the user's reverse one-to-one accessor
    # instead of importing the Subject model.
    subject = getattr(user, "subject", None)
    return subject.code if subject is not None else None


def audit_event_get_for_user(*, user, seq: int) -> AuditEvent:
    """The event ``seq`` if ``user`` may see it, else ``NotFound`` (missing or forbidden alike)."""
    roles = user_roles(user)
    event = AuditEvent.objects.filter(seq=seq).first()
    if event is None:
        raise NotFound()
    if Role.COMPLIANCE_OFFICER in roles:
        return event
    if (
        Role.PATIENT in roles
        and event.subject_code
        and event.subject_code == _own_subject_code(user)
    ):
        return event
    raise NotFound()
