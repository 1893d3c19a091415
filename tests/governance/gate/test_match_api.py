import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

URL = "/api/v1/duo/match"


def _post(client, body):
    return client.post(URL, body, content_type="application/json")


def test_the_url_is_named():
    assert reverse("api:duo-match") == URL


def test_any_authenticated_user_gets_a_decision_with_reasons(personas, client_for):
    body = {
        "data_use": {
            "permission": "DUO:0000007",
            "diseases": ["MONDO:0007254"],
            "modifiers": ["DUO:0000045", "DUO:0000022"],
            "countries": ["ES"],
        },
        "purpose": {
            "category": "DUO:0000007",
            "diseases": ["MONDO:0007254"],
            "not_for_profit": True,
            "country": "ES",
        },
    }
    for user in (personas.researcher, personas.patient, personas.outsider, personas.dac_member):
        response = _post(client_for(user), body)
        assert response.status_code == 200
        assert response.json()["result"] == "permit"
        assert [r["code"] for r in response.json()["reasons"]] == [
            "DUO:0000007",
            "DUO:0000045",
            "DUO:0000022",
        ]
        assert all(
            r["term"] and r["message"] and r["outcome"] == "permit"
            for r in response.json()["reasons"]
        )


def test_a_general_use_purpose_against_a_disease_specific_consent_is_denied(personas, client_for):
    response = _post(
        client_for(personas.researcher),
        {
            "data_use": {"permission": "DS", "diseases": ["MONDO:0007254"]},
            "purpose": {"category": "GRU"},
        },
    )
    assert response.status_code == 200 and response.json()["result"] == "deny"


def test_a_free_text_restriction_needs_review(personas, client_for):
    response = _post(
        client_for(personas.researcher),
        {
            "data_use": {
                "permission": "GRU",
                "modifiers": ["RS"],
                "restriction_text": "Cardiac only",
            },
            "purpose": {"category": "HMB"},
        },
    )
    assert response.json()["result"] == "review"
    assert response.json()["reasons"][1] == {
        "code": "DUO:0000012",
        "term": "RS",
        "outcome": "review",
        "message": "A research-specific restriction in free text needs a person's review.",
    }


@pytest.mark.parametrize(
    "body, message",
    [
        (
            {
                "data_use": {"permission": "GRU", "modifiers": ["DUO:0000045", "DUO:0000005"]},
                "purpose": {"category": "HMB"},
            },
            "data_use.modifiers[1]: DUO:0000005 is obsolete (GRU-CC)",
        ),
        (
            {"data_use": {"permission": "DUO:0000007"}, "purpose": {"category": "HMB"}},
            "data_use.diseases: disease-specific research (DS) needs at least one disease term",
        ),
        (
            {
                "data_use": {"permission": "GRU"},
                "purpose": {"category": "DUO:0000007", "diseases": ["cancer"]},
            },
            "purpose.diseases[0]: 'cancer' is not a disease CURIE",
        ),
        (
            {"data_use": {"permission": "GRU"}, "purpose": {"category": "DUO:0000999"}},
            "purpose.category: DUO:0000999 is not a DUO term",
        ),
        (
            {"data_use": {"permission": "GRU"}, "purpose": {"category": "HMB", "date": "soon"}},
            "purpose.date: expected a date",
        ),
        ({"data_use": {"permission": "GRU"}}, "purpose: This field is required."),
    ],
)
def test_bad_input_gets_a_400_naming_the_field(personas, client_for, body, message):
    response = _post(client_for(personas.researcher), body)
    assert response.status_code == 400
    assert response.json()["message"].startswith(message), response.json()


def test_anonymous_users_are_refused_and_get_is_not_allowed(personas, client_for):
    body = {"data_use": {"permission": "GRU"}, "purpose": {"category": "HMB"}}
    assert _post(client_for(None), body).status_code in (401, 403)
    assert client_for(personas.researcher).get(URL).status_code == 405


def test_the_openapi_schema_documents_the_endpoint_with_examples(personas, client_for):
    response = client_for(personas.researcher).get("/api/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    import json

    schema = (
        json.loads(response.content)
        if response["Content-Type"].startswith("application/json")
        else None
    )
    if schema is None:
        import yaml

        schema = yaml.safe_load(response.content)
    operation = schema["paths"]["/api/v1/duo/match"]["post"]
    examples = operation["requestBody"]["content"]["application/json"]["examples"]
    assert any(e["value"]["purpose"]["category"] == "DUO:0000007" for e in examples.values())
    assert "200" in operation["responses"]
