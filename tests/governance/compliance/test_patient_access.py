"""The patient's "who used my data": own events only, in plain words, with proofs that verify."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime

import pytest
from django.urls import reverse

from governance.audit import Action, Outcome, audit_append
from governance.compliance.proofs import VERIFY_SNIPPET
from governance.ledger import merkle
from governance.ledger.models import AuditEvent

pytestmark = pytest.mark.django_db

WHEN = datetime(2026, 4, 2, 10, 30, tzinfo=UTC)


@pytest.fixture
def uses(personas):
    """Two uses of the patient's data and one of the other patient's."""
    mine_read = audit_append(actor=personas.researcher, action=Action.GENOMIC_READ, object_type="genomic_file",
                             object_id=1, subject_code=personas.patient_subject.code, purpose="grant:41", now=WHEN)
    mine_denied = audit_append(actor=personas.researcher, action=Action.GATE_DECISION, object_type="subject",
                               subject_code=personas.patient_subject.code, purpose="grant:41",
                               outcome=Outcome.DENIED, now=WHEN)
    theirs = audit_append(actor=personas.steward, action=Action.SUBJECT_READ, object_type="subject",
                          subject_code=personas.other_subject.code, now=WHEN)
    for index in range(5):  # more leaves, so the audit path has several levels
        audit_append(actor="system", action=Action.AUDIT_CHECKPOINT, object_type="checkpoint", object_id=index)
    return mine_read, mine_denied, theirs


def test_the_patient_sees_only_events_about_their_own_subject(personas, uses, client_for):
    mine_read, mine_denied, theirs = uses
    response = client_for(personas.patient).get(reverse("portal_access:list"))
    assert response.status_code == 200
    assert [row["seq"] for row in response.context["rows"]] == [mine_denied.seq, mine_read.seq]
    other = client_for(personas.other_patient).get(reverse("portal_access:list"))
    assert [row["seq"] for row in other.context["rows"]] == [theirs.seq]


def test_events_are_described_in_plain_words_not_codes(personas, uses, client_for):
    html = client_for(personas.patient).get(reverse("portal_access:list")).content.decode()
    assert "Your genomic data was read" in html
    assert "A researcher" in html
    assert "Refused: your consent does not allow this use" in html
    assert "2 April 2026, 10:30" in html
    assert Action.GENOMIC_READ not in html and Action.GATE_DECISION not in html
    assert "data_steward" not in html and "researcher," not in html


def test_a_grant_purpose_is_named_by_its_project(personas, uses, client_for):
    from governance.compliance.plain import describe_purposes

    names = describe_purposes({"grant:41", "", "request:999999"})
    assert names[""] == "Not part of a research project"
    assert names["grant:41"] == "Recorded under reference grant:41"  # no such grant
    assert names["request:999999"] == "Recorded under reference request:999999"


def test_looking_is_audited_but_does_not_clutter_the_patients_own_list(personas, uses, client_for):
    client = client_for(personas.patient)
    client.get(reverse("portal_access:list"))
    client.get(reverse("portal_access:list"))
    views = AuditEvent.objects.filter(action=Action.AUDIT_VIEW, actor_id=personas.patient.pk)
    assert views.count() == 2
    assert set(views.values_list("subject_code", flat=True)) == {personas.patient_subject.code}
    assert len(client.get(reverse("portal_access:list")).context["rows"]) == 2


def test_a_compliance_officers_look_at_the_patients_record_is_shown_to_the_patient(personas, uses, client_for):
    client_for(personas.compliance).get(
        reverse("compliance:subject_report", kwargs={"code": personas.patient_subject.code})
    )
    html = client_for(personas.patient).get(reverse("portal_access:list")).content.decode()
    assert "A compliance officer reviewed the record of uses of your data" in html


def test_the_proof_of_another_patients_event_is_the_same_404_as_a_missing_one(personas, uses, client_for):
    _, _, theirs = uses
    client = client_for(personas.patient)
    assert client.get(reverse("portal_access:proof", kwargs={"seq": theirs.seq})).status_code == 404
    assert client.get(reverse("portal_access:proof", kwargs={"seq": 999999})).status_code == 404
    login = AuditEvent.objects.filter(action=Action.LOGIN, actor_id=personas.patient.pk).first()
    if login is not None:  # an event by the patient that is not about their subject
        assert client.get(reverse("portal_access:proof", kwargs={"seq": login.seq})).status_code == 404


def test_other_roles_get_404_from_the_patient_pages(personas, uses, client_for):
    mine_read, _, _ = uses
    for user in (personas.steward, personas.researcher, personas.compliance, personas.outsider):
        client = client_for(user)
        assert client.get(reverse("portal_access:list")).status_code == 404
        assert client.get(reverse("portal_access:proof", kwargs={"seq": mine_read.seq})).status_code == 404


def test_a_patient_account_without_a_subject_gets_404(make_user, client_for):
    lonely = make_user("lonely", "patient")
    assert client_for(lonely).get(reverse("portal_access:list")).status_code == 404


def _proof(client, seq) -> dict:
    response = client.get(reverse("portal_access:proof", kwargs={"seq": seq}))
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="helix-proof-event-{seq}.json"'
    return json.loads(response.content)


def test_the_downloaded_proof_verifies_with_the_ledgers_rfc9162_verifier(personas, uses, client_for):
    mine_read, _, _ = uses
    proof = _proof(client_for(personas.patient), mine_read.seq)
    assert proof["leaf_document"]["seq"] == mine_read.seq
    assert proof["leaf_hash"] == mine_read.leaf_hash
    assert proof["leaf_index"] == mine_read.seq - 1
    assert len(proof["audit_path"]) >= 3
    merkle.verify_inclusion(
        leaf_hash=bytes.fromhex(proof["leaf_hash"]), index=proof["leaf_index"], size=proof["tree_size"],
        proof=[bytes.fromhex(h) for h in proof["audit_path"]], root=bytes.fromhex(proof["root_hash"]),
    )
    leaves = [bytes.fromhex(h) for h in AuditEvent.objects.filter(seq__lte=proof["tree_size"])
              .order_by("seq").values_list("leaf_hash", flat=True)]
    assert merkle.root_hash(leaves).hex() == proof["root_hash"]
    assert proof["public_keys"].endswith("/.well-known/jwks.json")


def test_the_proof_carries_a_signed_checkpoint_for_exactly_its_tree_size(personas, uses, client_for):
    from governance.ledger import notes

    mine_read, _, _ = uses
    proof = _proof(client_for(personas.patient), mine_read.seq)
    note = notes.parse_and_verify(proof["checkpoint"])
    assert note.tree_size == proof["tree_size"] >= mine_read.seq
    assert note.root_hash.hex() == proof["root_hash"]
    assert proof["checkpoint_verifier_key"] == notes.verifier_key()
    again = _proof(client_for(personas.patient), mine_read.seq)
    assert again["tree_size"] == proof["tree_size"]  # the same checkpoint, not a new one each time


def test_a_tampered_proof_is_rejected(personas, uses, client_for):
    mine_read, _, _ = uses
    proof = _proof(client_for(personas.patient), mine_read.seq)
    path = [bytes.fromhex(h) for h in proof["audit_path"]]
    path[0] = bytes([path[0][0] ^ 1]) + path[0][1:]
    with pytest.raises(merkle.ProofInvalid):
        merkle.verify_inclusion(
            leaf_hash=bytes.fromhex(proof["leaf_hash"]), index=proof["leaf_index"], size=proof["tree_size"],
            proof=path, root=bytes.fromhex(proof["root_hash"]),
        )


def _run_snippet(tmp_path, proof: dict) -> subprocess.CompletedProcess:
    (tmp_path / "proof.json").write_text(json.dumps(proof))
    (tmp_path / "check_proof.py").write_text(VERIFY_SNIPPET)
    return subprocess.run(
        [sys.executable, "-I", str(tmp_path / "check_proof.py"), str(tmp_path / "proof.json")],
        capture_output=True, text=True, timeout=30,
    )


def test_the_how_to_verify_snippet_accepts_a_genuine_proof_with_the_standard_library_only(
    personas, uses, client_for, tmp_path
):
    mine_read, mine_denied, _ = uses
    client = client_for(personas.patient)
    for event in (mine_read, mine_denied):
        result = _run_snippet(tmp_path, _proof(client, event.seq))
        assert result.returncode == 0, result.stderr
        assert f"Event {event.seq} is in the ledger" in result.stdout
    assert "import base64, hashlib, json, sys" in VERIFY_SNIPPET
    assert "cryptography" not in VERIFY_SNIPPET and "django" not in VERIFY_SNIPPET


@pytest.mark.parametrize("mutation", ["document", "index", "size", "path", "root"])
def test_the_how_to_verify_snippet_rejects_a_mutated_proof(personas, uses, client_for, tmp_path, mutation):
    mine_read, _, _ = uses
    proof = _proof(client_for(personas.patient), mine_read.seq)
    if mutation == "document":
        proof["leaf_document"]["purpose"] = "grant:42"
    elif mutation == "index":
        proof["leaf_index"] += 1
    elif mutation == "size":
        proof["tree_size"] -= 1
    elif mutation == "path":
        proof["audit_path"] = proof["audit_path"][:-1]
    else:
        proof["root_hash"] = "00" * 32
    result = _run_snippet(tmp_path, proof)
    assert result.returncode != 0
    assert "AssertionError" in result.stderr


def test_the_how_to_verify_page_explains_the_hashing_and_shows_the_snippet(personas, client_for):
    response = client_for(personas.patient).get(reverse("portal_access:how_to_verify"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "RFC 6962" in html and "SHA-256(0x00 ||" in html and "SHA-256(0x01 ||" in html
    assert reverse("jwks") in html
    assert "import base64, hashlib, json, sys" in html
    assert "<script" not in html and "style=" not in html
