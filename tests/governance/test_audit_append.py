"""Appending to the ledger from day one."""

import hashlib

import pytest

from governance.audit import Action, audit_append
from governance.errors import ValidationFailed
from governance.ledger.append import canonical_json, event_document
from governance.ledger.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_events_get_dense_sequence_numbers_and_rfc6962_leaf_hashes(personas):
    before = AuditEvent.objects.count()
    for _ in range(5):
        audit_append(actor=personas.steward, action=Action.SUBJECT_READ, object_type="subject", object_id="HX-1")
    seqs = list(AuditEvent.objects.values_list("seq", flat=True))
    assert seqs == list(range(1, before + 6))
    for event in AuditEvent.objects.all():
        expected = hashlib.sha256(b"\x00" + canonical_json(event_document(event))).hexdigest()
        assert event.leaf_hash == expected


def test_the_actor_role_is_recorded(personas):
    event = audit_append(actor=personas.steward, action=Action.SUBJECT_READ, object_type="subject")
    assert (event.actor, event.actor_role, event.actor_id) == ("steward", "data_steward", personas.steward.pk)


def test_unknown_actions_are_refused():
    with pytest.raises(ValidationFailed, match="unknown audit action"):
        audit_append(actor="system", action="made.up", object_type="x")


def test_extras_hold_codes_not_free_text():
    with pytest.raises(ValidationFailed, match="extra.note"):
        audit_append(actor="system", action=Action.AUDIT_VIEW, object_type="x", extra={"note": "x" * 500})
    assert not AuditEvent.objects.filter(action=Action.AUDIT_VIEW).exists()


def test_a_batch_writes_its_events_at_its_end_in_order_and_verifiable(personas):
    from governance.audit import audit_batch
    from governance.ledger.verify import verify_ledger

    audit_append(actor="system", action=Action.AUDIT_VIEW, object_type="x")
    before = AuditEvent.objects.count()
    with audit_batch():
        held = [
            audit_append(actor=personas.steward, action=Action.SUBJECT_READ, object_type="subject", object_id=i)
            for i in range(7)
        ]
        assert AuditEvent.objects.count() == before  # nothing written yet
        assert all(event.seq is None for event in held)
    assert [event.seq for event in held] == list(range(before + 1, before + 8))
    stored = list(AuditEvent.objects.filter(seq__gt=before).values_list("object_id", flat=True))
    assert stored == [str(i) for i in range(7)]
    audit_append(actor="system", action=Action.AUDIT_VIEW, object_type="x")
    assert verify_ledger().tree_size == before + 8


def test_a_batch_that_fails_writes_nothing_and_a_nested_batch_joins_the_outer(personas):
    from governance.audit import audit_batch

    before = AuditEvent.objects.count()
    with pytest.raises(RuntimeError), audit_batch():
        audit_append(actor="system", action=Action.AUDIT_VIEW, object_type="x")
        raise RuntimeError("stop")
    assert AuditEvent.objects.count() == before
    with audit_batch():
        with audit_batch():
            inner = audit_append(actor="system", action=Action.AUDIT_VIEW, object_type="inner")
        assert inner.seq is None  # held until the outer batch ends
        audit_append(actor="system", action=Action.AUDIT_VIEW, object_type="outer")
    assert list(AuditEvent.objects.filter(seq__gt=before).values_list("object_type", flat=True)) == [
        "inner",
        "outer",
    ]
    # A fresh append after a failed batch is written at once again.
    assert audit_append(actor="system", action=Action.AUDIT_VIEW, object_type="x").seq == before + 3


def test_the_document_split_around_seq_rejoins_into_the_canonical_document(personas):
    from governance.ledger.append import document_parts

    event = audit_append(
        actor=personas.steward,
        action=Action.SUBJECT_READ,
        object_type="subject",
        object_id="HX-1",
        extra={"seq": 0, "nested": {"seq": 5, "z": ["é ✓", None]}, "a": 1.5},
    )
    prefix, suffix = document_parts(event)
    assert prefix + str(event.seq) + suffix == canonical_json(event_document(event)).decode()
    stored = AuditEvent.objects.get(seq=event.seq)
    assert (stored.document, stored.leaf_hash) == (event.document, event.leaf_hash)
