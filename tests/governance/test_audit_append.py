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
