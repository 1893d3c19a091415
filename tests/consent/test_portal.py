"""The patient portal and the staff pages, through Django's test client."""

from __future__ import annotations

import json

import pytest

from consent import duo, services
from consent.models import ConsentRecord
from consent.receipts import receipt_verify
from governance.ledger.models import AuditEvent

from .conftest import BREAST_CANCER, T0

pytestmark = pytest.mark.django_db

GRANT_FORM = {
    "permission": "duo-0000007",
    "diseases": ["mondo-0007254"],
    "modifiers": ["duo-0000045"],
    "categories": ["genomic", "clinical"],
    "read_text": "on",
}


def test_a_patient_without_consent_is_told_so_and_can_grant_from_one_form(personas, client_for):
    client = client_for(personas.patient)
    home = client.get("/portal/").content.decode()
    assert "You have not given consent" in home
    response = client.post("/portal/consent/", GRANT_FORM)
    assert response.status_code == 302
    record = ConsentRecord.objects.get(subject=personas.patient_subject)
    assert (record.version, record.event, record.recorded_via) == (1, "grant", "portal")
    assert record.permission == duo.DS and record.diseases == [BREAST_CANCER]
    home = client.get("/portal/").content.decode()
    assert "only to study breast cancer, and only in not-for-profit organisations" in home


def test_the_form_refuses_bad_choices_in_plain_words_and_stores_nothing(personas, client_for):
    client = client_for(personas.patient)
    response = client.post("/portal/consent/", {**GRANT_FORM, "diseases": []})
    assert response.status_code == 200
    assert "needs at least one disease" in response.content.decode()
    response = client.post("/portal/consent/", {**GRANT_FORM, "modifiers": ["duo-0000022"]})
    assert "needs at least one country" in response.content.decode()
    response = client.post(
        "/portal/consent/", {k: v for k, v in GRANT_FORM.items() if k != "read_text"}
    )
    assert "confirm you have read" in response.content.decode()
    assert not ConsentRecord.objects.exists()


def test_changing_narrows_or_widens_as_a_new_version(personas, client_for):
    client = client_for(personas.patient)
    client.post("/portal/consent/", GRANT_FORM)
    client.post("/portal/consent/", {**GRANT_FORM, "diseases": ["mondo-0007254", "mondo-0005147"]})
    client.post(
        "/portal/consent/",
        {**GRANT_FORM, "permission": "duo-0000042", "diseases": [], "modifiers": []},
    )
    versions = list(
        ConsentRecord.objects.filter(subject=personas.patient_subject).order_by("version")
    )
    assert [(v.version, v.event) for v in versions] == [(1, "grant"), (2, "amend"), (3, "amend")]
    assert versions[1].diseases == [BREAST_CANCER, "MONDO:0005147"]
    assert versions[2].permission == duo.GRU and versions[0].permission == duo.DS


def test_withdrawing_is_one_click_and_a_confirmation(personas, client_for):
    client = client_for(personas.patient)
    client.post("/portal/consent/", GRANT_FORM)
    confirm = client.get("/portal/withdraw/")
    assert confirm.status_code == 200 and "Yes, withdraw my consent" in confirm.content.decode()
    assert ConsentRecord.objects.count() == 1  # the GET changes nothing
    response = client.post("/portal/withdraw/")
    assert response.status_code == 302 and response.url == "/portal/history/"
    personas.patient_subject.refresh_from_db()
    assert personas.patient_subject.current_consent.status == "withdrawn"
    history = client.get("/portal/history/").content.decode()
    assert "Version 2: You withdrew consent" in history


def test_history_lists_every_version_with_a_receipt_that_verifies(personas, client_for):
    client = client_for(personas.patient)
    client.post("/portal/consent/", GRANT_FORM)
    client.post("/portal/withdraw/")
    response = client.get("/portal/history/2/receipt.jwt")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/jwt"
    assert "attachment" in response["Content-Disposition"]
    claims = receipt_verify(response.content.decode())
    assert claims["event"] == "withdraw" and claims["consent_version"] == 2
    assert AuditEvent.objects.filter(
        action="consent.receipt_download", subject_code=personas.patient_subject.code
    ).exists()


def test_a_patient_never_reaches_another_patients_receipts(personas, client_for):
    services.consent_grant(
        actor=personas.other_patient, subject=personas.other_subject, data_use={"permission": duo.GRU},
        categories=["genomic"], via="portal", now=T0,
    )  # fmt: skip
    client = client_for(personas.patient)
    assert client.get("/portal/history/1/receipt.jwt").status_code == 404
    assert personas.other_subject.code not in client.get("/portal/history/").content.decode()
    assert (
        client_for(personas.other_patient).get("/portal/history/1/receipt.jwt").status_code == 200
    )


@pytest.mark.parametrize(
    "persona", ["steward", "researcher", "outsider", "dac_member", "compliance"]
)
def test_portal_pages_are_for_patients_only(personas, client_for, persona):
    client = client_for(getattr(personas, persona))
    for url in (
        "/portal/",
        "/portal/consent/",
        "/portal/withdraw/",
        "/portal/history/",
        "/portal/my-data.json",
    ):
        assert client.get(url).status_code == 404, url
    assert client.post("/portal/withdraw/").status_code == 404


def test_download_my_data_holds_consents_receipts_and_access_events(personas, client_for):
    client = client_for(personas.patient)
    client.post("/portal/consent/", GRANT_FORM)
    response = client.get("/portal/my-data.json")
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    data = json.loads(response.content)
    assert data["subject"] == personas.patient_subject.code
    assert data["personal_details"]["name"] == "Patient One"
    assert (
        data["consents"][0]["receipt"] and data["consents"][0]["data_use"]["permission"] == duo.DS
    )
    assert {e["action"] for e in data["access_events"]} >= {"consent.grant"}
    event = AuditEvent.objects.filter(action="patient.data_download").get()
    assert event.subject_code == personas.patient_subject.code and "Patient One" not in json.dumps(
        event.extra
    )


def test_a_steward_records_consent_from_a_paper_form_with_the_same_validation(personas, client_for):
    client = client_for(personas.steward)
    found = client.post("/portal/staff/", {"mrn": "MRN" + personas.patient_subject.code[3:]})
    assert (
        found.status_code == 302 and found.url == f"/portal/staff/{personas.patient_subject.code}/"
    )
    bad = client.post(found.url, {**GRANT_FORM, "action": "record", "diseases": []})
    assert "needs at least one disease" in bad.content.decode()
    client.post(found.url, {**GRANT_FORM, "action": "record"})
    record = ConsentRecord.objects.get(subject=personas.patient_subject)
    assert record.recorded_via == "staff" and record.recorded_by == personas.steward
    client.post(found.url, {"action": "withdraw"})
    assert ConsentRecord.objects.count() == 1  # not confirmed
    client.post(found.url, {"action": "withdraw", "confirm": "yes"})
    assert ConsentRecord.objects.filter(
        subject=personas.patient_subject, event="withdraw", recorded_via="staff"
    ).exists()


def test_staff_pages_are_for_stewards_only_and_unknown_subjects_404(personas, client_for):
    for persona in ("patient", "researcher", "outsider"):
        assert client_for(getattr(personas, persona)).get("/portal/staff/").status_code == 404
        assert (
            client_for(getattr(personas, persona))
            .get(f"/portal/staff/{personas.patient_subject.code}/")
            .status_code
            == 404
        )
    assert client_for(personas.steward).get("/portal/staff/HX-0000000000/").status_code == 404
    assert client_for(personas.steward).post("/portal/staff/", {"mrn": "nope"}).status_code == 200


def test_pages_work_on_a_phone_with_a_viewport_and_no_inline_script_or_style(personas, client_for):
    client = client_for(personas.patient)
    client.post("/portal/consent/", GRANT_FORM)
    for url in (
        "/portal/",
        "/portal/consent/",
        "/portal/withdraw/",
        "/portal/history/",
        "/portal/consent-text/",
    ):
        html = client.get(url).content.decode()
        assert 'name="viewport"' in html
        assert "style=" not in html and "<script>" not in html and "<style" not in html
