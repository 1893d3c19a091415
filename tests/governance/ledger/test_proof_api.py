"""The proof API: who may fetch what, parameter errors, and proofs that verify."""

from __future__ import annotations

import pytest
from django.urls import reverse

from governance.audit import Action, audit_append
from governance.ledger import merkle, notes
from governance.ledger.append import canonical_json
from governance.ledger.models import AuditEvent
from governance.ledger.services import checkpoint_create

INCLUSION = reverse("api:audit-proof-inclusion")
CONSISTENCY = reverse("api:audit-proof-consistency")


@pytest.fixture
def world(personas, ledger):
    """A ledger with events about both patients' subjects and a checkpoint."""
    ledger(10)
    own = audit_append(
        actor=personas.steward,
        action=Action.SUBJECT_READ,
        object_type="subject",
        subject_code=personas.patient_subject.code,
    )
    other = audit_append(
        actor=personas.steward,
        action=Action.SUBJECT_READ,
        object_type="subject",
        subject_code=personas.other_subject.code,
    )
    checkpoint_create()
    ledger(3, start=10)
    return {"own": own.seq, "other": other.seq, "personas": personas}


def _verify_inclusion_bundle(body: dict) -> None:
    leaf = merkle.hash_leaf(canonical_json(body["leaf"]))
    assert leaf.hex() == body["leaf_hash"]
    merkle.verify_inclusion(
        leaf_hash=leaf,
        index=body["seq"] - 1,
        size=body["tree_size"],
        proof=[bytes.fromhex(h) for h in body["proof"]],
        root=bytes.fromhex(body["root_hash"]),
    )


def test_a_compliance_officer_gets_an_inclusion_proof_that_verifies_against_the_checkpoint(
    world, client_for
):
    response = client_for(world["personas"].compliance).get(INCLUSION, {"seq": 3})
    assert response.status_code == 200
    body = response.json()
    assert body["tree_size"] == 12  # the latest checkpoint covers seq 3
    _verify_inclusion_bundle(body)
    signed = notes.parse_and_verify(body["checkpoint"]["note"])
    assert (signed.tree_size, signed.root_hash.hex()) == (12, body["root_hash"])


def test_an_inclusion_proof_at_an_explicit_size_verifies(world, client_for):
    response = client_for(world["personas"].compliance).get(INCLUSION, {"seq": 14, "size": 15})
    assert response.status_code == 200
    body = response.json()
    assert body["tree_size"] == 15 and body["leaf"]["seq"] == 14
    _verify_inclusion_bundle(body)


def test_fetching_a_proof_is_itself_audited(world, client_for):
    client = client_for(world["personas"].patient)
    before = AuditEvent.objects.count()
    client.get(INCLUSION, {"seq": world["own"]})
    assert AuditEvent.objects.count() == before + 1
    event = AuditEvent.objects.order_by("-seq").first()
    assert event.action == Action.AUDIT_VIEW
    assert event.extra == {"proof": "inclusion", "seq": world["own"], "tree_size": 12}
    assert event.subject_code == world["personas"].patient_subject.code


def test_a_patient_gets_proofs_only_for_events_about_their_own_subject(world, client_for):
    patient = client_for(world["personas"].patient)
    own = patient.get(INCLUSION, {"seq": world["own"]})
    assert own.status_code == 200
    _verify_inclusion_bundle(own.json())
    forbidden = patient.get(INCLUSION, {"seq": world["other"]})
    missing = patient.get(INCLUSION, {"seq": 99999})
    unrelated = patient.get(INCLUSION, {"seq": 1})
    assert forbidden.status_code == missing.status_code == unrelated.status_code == 404
    assert forbidden.json() == missing.json() == unrelated.json()


def test_a_patient_may_not_fetch_consistency_proofs(world, client_for):
    assert (
        client_for(world["personas"].patient).get(CONSISTENCY, {"from": 2, "to": 5}).status_code
        == 404
    )


@pytest.mark.parametrize("persona", ["steward", "researcher", "outsider", "dac_member"])
def test_other_roles_get_404_for_both_proofs(world, client_for, persona):
    client = client_for(getattr(world["personas"], persona))
    assert client.get(INCLUSION, {"seq": 3}).status_code == 404
    assert client.get(CONSISTENCY, {"from": 2, "to": 5}).status_code == 404


def test_anonymous_callers_are_refused(world, client_for):
    client = client_for(None)
    assert client.get(INCLUSION, {"seq": 3}).status_code in (401, 403)
    assert client.get(CONSISTENCY, {"from": 2, "to": 5}).status_code in (401, 403)


def test_a_consistency_proof_verifies_between_the_two_roots(world, client_for):
    response = client_for(world["personas"].compliance).get(CONSISTENCY, {"from": 5, "to": 12})
    assert response.status_code == 200
    body = response.json()
    merkle.verify_consistency(
        first=5,
        second=12,
        first_root=bytes.fromhex(body["first_root"]),
        second_root=bytes.fromhex(body["second_root"]),
        proof=[bytes.fromhex(h) for h in body["proof"]],
    )
    assert body["second_root"] == body["checkpoint"]["root_hash"]


@pytest.mark.parametrize(
    ("url", "params", "field"),
    [
        (INCLUSION, {}, "seq"),
        (INCLUSION, {"seq": "abc"}, "seq"),
        (INCLUSION, {"seq": 0}, "seq"),
        (INCLUSION, {"seq": 3, "size": "-1"}, "size"),
        (INCLUSION, {"seq": 3, "size": 9999}, "size"),
        (INCLUSION, {"seq": 8, "size": 5}, "seq"),
        (CONSISTENCY, {"to": 5}, "from"),
        (CONSISTENCY, {"from": "x", "to": 5}, "from"),
        (CONSISTENCY, {"from": 2}, "to"),
        (CONSISTENCY, {"from": 2, "to": 9999}, "to"),
        (CONSISTENCY, {"from": 6, "to": 5}, "from"),
    ],
)
def test_bad_parameters_get_400_naming_the_parameter(world, client_for, url, params, field):
    response = client_for(world["personas"].compliance).get(url, params)
    assert response.status_code == 400
    assert response.json()["message"].startswith(f"{field}:")


def test_the_proof_endpoints_are_in_the_openapi_schema(world, client_for):
    response = client_for(world["personas"].compliance).get(reverse("schema"), {"format": "json"})
    paths = response.json()["paths"]
    inclusion = paths["/api/v1/audit/proof/inclusion"]["get"]
    assert {p["name"] for p in inclusion["parameters"]} >= {"seq", "size"}
    consistency = paths["/api/v1/audit/proof/consistency"]["get"]
    assert {p["name"] for p in consistency["parameters"]} >= {"from", "to"}


def test_a_malformed_stored_leaf_hash_gives_an_integrity_error_not_a_crash(world, client_for, unlocked):
    with unlocked():
        AuditEvent.objects.filter(seq=4).update(leaf_hash="not hex")
    response = client_for(world["personas"].compliance).get(INCLUSION, {"seq": 3})
    assert response.status_code == 400
    assert response.json()["code"] == "integrity_failure"
