"""The leaf rule, and the two ways verification recomputes it, agree on awkward events."""

from __future__ import annotations

import hashlib

import pytest
from django.db import connection

from governance.audit import Action, audit_append
from governance.ledger import verify
from governance.ledger.append import canonical_json, event_document
from governance.ledger.models import AuditEvent

AWKWARD_EXTRAS = [
    {},
    {
        "quote": 'say "hi"',
        "backslash": "a\\b",
        "newline": "a\nb",
        "tab": "\t",
        "bell": "\x07",
        "del": "\x7f",
    },
    {"unicode": "é ✓ 漢字 😀", "Zebra": 1, "apple": 2, "éclair": 3, "a_b": 4, "a-b": 5, "a": 6},
    {"nested": {"list": [1, [2, {"z": None, "a": True}], "x"], "empty": {}, "none": None}},
    {"big": 2**62, "negative": -17, "float": 1.5, "small": 0.25, "bool": False},
    {"duo": ["DUO:0000042", "DUO:0000045"], "grant": "G-12", "k": 5},
]


@pytest.fixture
def awkward(db, personas):
    events = []
    for index, extra in enumerate(AWKWARD_EXTRAS):
        events.append(
            audit_append(
                actor=personas.compliance if index % 2 else "system",
                action=Action.AUDIT_VIEW,
                object_type='weird "type"',
                object_id=f"ID\\{index}",
                subject_code=personas.patient_subject.code,
                purpose="PRJ-ü",
                extra=extra,
            )
        )
    return events


def test_the_stored_document_is_exactly_what_the_leaf_hash_covers(awkward):
    for event in AuditEvent.objects.filter(seq__in=[e.seq for e in awkward]):
        assert event.document == canonical_json(event_document(event)).decode()
        assert hashlib.sha256(b"\x00" + event.document.encode()).hexdigest() == event.leaf_hash


def test_awkward_events_verify(awkward):
    assert verify.verify_ledger().tree_size == AuditEvent.objects.count()


@pytest.mark.postgres
def test_postgresql_recomputes_every_awkward_leaf_in_the_database(awkward):
    if connection.vendor != "postgresql":
        pytest.skip("the in-database leaf check is PostgreSQL's")
    for query in (verify._PG_FAST_CHUNK, verify._PG_HASH_CHUNK):
        rows = verify._postgres_chunk(0, 1000, query)
        assert len(rows) == AuditEvent.objects.count()
        assert all(ok for _, _, ok in rows), [seq for seq, _, ok in rows if not ok]


@pytest.mark.postgres
def test_postgresql_flags_a_row_whose_columns_no_longer_match_its_document(awkward, unlocked):
    if connection.vendor != "postgresql":
        pytest.skip("the in-database leaf check is PostgreSQL's")
    seq = awkward[2].seq
    with unlocked():
        AuditEvent.objects.filter(seq=seq).update(purpose="PRJ-u")
    flags = {row[0]: row[2] for row in verify._postgres_chunk(0, 1000, verify._PG_FAST_CHUNK)}
    assert flags[seq] is False
    assert all(ok for s, ok in flags.items() if s != seq)
    with pytest.raises(verify.LedgerTampered) as caught:
        verify.verify_ledger()
    assert (caught.value.seq, caught.value.problem) == (seq, verify.EDITED)


def test_an_edited_stored_document_alone_is_reported(awkward, unlocked):
    seq = awkward[1].seq
    with unlocked():
        AuditEvent.objects.filter(seq=seq).update(document='{"forged":true}')
    with pytest.raises(verify.LedgerTampered) as caught:
        verify.verify_ledger()
    assert (caught.value.seq, caught.value.problem) == (seq, verify.EDITED)


def test_an_unparseable_document_falls_back_and_is_reported(awkward, unlocked):
    seq = awkward[3].seq
    with unlocked():
        AuditEvent.objects.filter(seq=seq).update(document="{not json", leaf_hash="zz")
    with pytest.raises(verify.LedgerTampered) as caught:
        verify.verify_ledger()
    assert (caught.value.seq, caught.value.problem) == (seq, verify.EDITED)


@pytest.mark.postgres
def test_postgresql_refuses_a_row_whose_columns_disagree_with_its_document(awkward):
    if connection.vendor != "postgresql":
        pytest.skip("the document constraint is PostgreSQL's")
    from django.db import IntegrityError, transaction

    from governance.ledger import triggers

    assert triggers.document_check(connection) == "validated"
    assert "document constraint" in verify.verify_ledger().summary()
    triggers.uninstall(connection)  # the append-only triggers lifted, the constraint kept
    try:
        with pytest.raises(IntegrityError, match=triggers.DOCUMENT_CHECK), transaction.atomic():
            AuditEvent.objects.filter(seq=awkward[2].seq).update(purpose="PRJ-u")
    finally:
        triggers.install(connection)


@pytest.mark.postgres
def test_postgresql_comes_back_not_valid_after_tampering_and_verification_rederives(
    awkward, unlocked
):
    if connection.vendor != "postgresql":
        pytest.skip("the document constraint is PostgreSQL's")
    from governance.ledger import triggers

    seq = awkward[4].seq
    with unlocked():
        AuditEvent.objects.filter(seq=seq).update(outcome="denied")
    assert triggers.document_check(connection) == "not valid"
    with pytest.raises(verify.LedgerTampered) as caught:
        verify.verify_ledger()
    assert (caught.value.seq, caught.value.problem) == (seq, verify.EDITED)
