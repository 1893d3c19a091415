"""The steward API for subjects and consent versions, FHIR Consent and receipts."""

from __future__ import annotations

import json

import pytest

from consent import duo, services
from consent.models import ConsentRecord, Subject

from .conftest import BREAST_CANCER, T0

pytestmark = pytest.mark.django_db

NEW_SUBJECT = {
    "name": "Canary Apiname", "email": "canary.api@example.org", "mrn": "API-CANARY-1", "birth_date": "1975-04-03",
    "sex": "male", "postcode": "OX1 2JD", "ethnic_background": "Irish", "diagnoses": ["ICD10:E10"],
}  # fmt: skip


def post(client, url, data):
    return client.post(url, json.dumps(data), content_type="application/json")


def test_a_steward_creates_a_subject_and_never_gets_identifiers_back_in_lists(personas, client_for):
    client = client_for(personas.steward)
    created = post(client, "/api/v1/subjects/new", NEW_SUBJECT)
    assert created.status_code == 201
    code = created.json()["code"]
    listing = client.get("/api/v1/subjects?sex=male&status=none")
    assert listing.status_code == 200
    assert [row["code"] for row in listing.json()["results"]] == [code]
    text = listing.content.decode() + created.content.decode()
    for value in ("Canary Apiname", "canary.api@example.org", "API-CANARY-1", "1975-04-03"):
        assert value not in text
    detail = client.get(f"/api/v1/subjects/{code}").json()
    assert detail["diagnoses"] == ["ICD10:E10"] and "identifiers" not in detail
    revealed = client.get(f"/api/v1/subjects/{code}?include=identifiers").json()
    assert revealed["identifiers"]["mrn"] == "API-CANARY-1"


def test_bad_subject_input_is_a_400_naming_the_field(personas, client_for):
    response = post(
        client_for(personas.steward),
        "/api/v1/subjects/new",
        {**NEW_SUBJECT, "diagnoses": ["breast cancer"]},
    )
    assert response.status_code == 400
    assert response.json()["message"].startswith("diagnoses[0]")


def test_consent_versions_are_created_listed_and_read_but_never_edited(personas, client_for):
    client = client_for(personas.steward)
    code = personas.patient_subject.code
    url = f"/api/v1/subjects/{code}/consents"
    granted = post(
        client,
        url,
        {
            "event": "grant",
            "data_use": {"permission": "DS", "diseases": [BREAST_CANCER]},
            "categories": ["genomic"],
        },
    )
    assert granted.status_code == 201, granted.json()
    assert granted.json()["version"] == 1 and granted.json()["permission"] == duo.DS
    amended = post(
        client,
        url,
        {
            "event": "amend",
            "via": "staff",
            "data_use": {"permission": "HMB", "modifiers": ["IRB"]},
            "categories": ["genomic", "clinical"],
        },
    )
    assert amended.json()["modifiers"] == [duo.IRB] and amended.json()["recorded_via"] == "staff"
    withdrawn = post(client, url, {"event": "withdraw"})
    assert withdrawn.json()["status"] == "withdrawn" and withdrawn.json()["version"] == 3
    again = post(
        client,
        url,
        {"event": "amend", "data_use": {"permission": "GRU"}, "categories": ["genomic"]},
    )
    assert again.status_code == 409 and again.json()["code"] == "consent_transition_invalid"
    assert client.get(f"{url}/1").json()["event"] == "grant"
    listing = client.get(f"/api/v1/consents?subject={code}&status=active").json()
    assert [row["version"] for row in listing["results"]] == [1, 2]
    assert client.get("/api/v1/consents?current=true&status=withdrawn").json()["count"] == 1
    for method in ("put", "patch", "delete"):
        assert getattr(client, method)(f"{url}/1").status_code == 405


def test_bad_terms_are_a_400_naming_the_field(personas, client_for):
    client = client_for(personas.steward)
    response = post(
        client,
        f"/api/v1/subjects/{personas.patient_subject.code}/consents",
        {"event": "grant", "data_use": {"permission": "DUO:0000005"}, "categories": ["genomic"]},
    )
    assert response.status_code == 400
    assert response.json()["message"].startswith("data_use.permission: DUO:0000005 is obsolete")
    assert not ConsentRecord.objects.exists()


@pytest.mark.parametrize(
    "persona", ["patient", "researcher", "outsider", "dac_member", "compliance"]
)
def test_the_steward_api_is_a_404_for_everyone_else(personas, client_for, persona):
    client = client_for(getattr(personas, persona))
    code = personas.patient_subject.code
    for url in (
        "/api/v1/subjects",
        f"/api/v1/subjects/{code}",
        "/api/v1/consents",
        f"/api/v1/fhir/Consent/{code}-v1",
    ):
        assert client.get(url).status_code == 404, url
    assert (
        post(client, f"/api/v1/subjects/{code}/consents", {"event": "withdraw"}).status_code == 404
    )
    assert post(client, "/api/v1/subjects/new", NEW_SUBJECT).status_code == 404
    assert Subject.objects.count() == 2


def test_missing_and_forbidden_look_the_same(personas, client_for):
    missing = client_for(personas.steward).get("/api/v1/subjects/HX-0000000000")
    forbidden = client_for(personas.researcher).get(
        f"/api/v1/subjects/{personas.patient_subject.code}"
    )
    assert missing.status_code == forbidden.status_code == 404
    assert missing.json() == forbidden.json()


def test_fhir_read_and_import_over_the_api(personas, client_for):
    services.consent_grant(
        actor=personas.patient, subject=personas.patient_subject, data_use={"permission": duo.GRU, "modifiers": [duo.NPU]},
        categories=["genomic"], via="portal", now=T0,
    )  # fmt: skip
    client = client_for(personas.steward)
    rid = f"{personas.patient_subject.code}-v1"
    r5 = client.get(f"/api/v1/fhir/Consent/{rid}")
    assert r5.status_code == 200 and r5["Content-Type"].startswith("application/fhir+json")
    assert r5.json()["decision"] == "permit"
    r4 = client.get(f"/api/v1/fhir/Consent/{rid}?fhir=r4").json()
    assert r4["provision"]["type"] == "permit"
    assert client.get(f"/api/v1/fhir/Consent/{personas.patient_subject.code}-v9").status_code == 404
    imported = post(client, "/api/v1/fhir/Consent", r4)
    assert imported.status_code == 201 and imported.json()["version"] == 2
    r4["provision"]["provision"] = [{"type": "deny"}]
    refused = post(client, "/api/v1/fhir/Consent", r4)
    assert refused.status_code == 400
    assert refused.json()["extra"]["fhirpath"] == "Consent.provision.provision[0]"
    assert (
        refused.json()["message"]
        == "Consent.provision.provision[0]: nested provisions are not supported"
    )


def test_the_openapi_schema_documents_every_consent_endpoint(personas, client_for):
    schema = client_for(personas.steward).get("/api/schema/", HTTP_ACCEPT="application/json")
    assert schema.status_code == 200
    paths = (
        json.loads(schema.content)["paths"]
        if schema["Content-Type"].startswith("application/json")
        else schema.content.decode()
    )
    for path in (
        "/api/v1/subjects", "/api/v1/subjects/new", "/api/v1/subjects/{code}", "/api/v1/subjects/{code}/consents",
        "/api/v1/subjects/{code}/consents/{version}", "/api/v1/consents", "/api/v1/consent/receipts/verify",
        "/api/v1/fhir/Consent", "/api/v1/fhir/Consent/{id}",
    ):  # fmt: skip
        assert path in paths, path
