"""The access API: the whole flow, owner-only objects, DAC-only actions, errors naming the field."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from governance.access.models import AccessGrant, RequestStatus
from governance.roles import Role

from .conftest import ETHICS, HMB

pytestmark = pytest.mark.django_db

BASE = "/api/v1/access"


def _draft_via_api(client, pem):
    assert (
        client.post(
            f"{BASE}/keys", {"public_key": pem}, content_type="application/json"
        ).status_code
        == 201
    )
    response = client.post(
        f"{BASE}/requests/create",
        {
            "title": "Metabolic traits",
            "purpose": HMB,
            "categories": ["genomic"],
            "cohort": {"min_age": 18},
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.json()
    return response.json()["id"]


def test_a_request_goes_from_draft_to_grant_through_the_api(personas, client_for, researcher_pem):
    client = client_for(personas.researcher)
    pk = _draft_via_api(client, researcher_pem)
    assert client.get(f"{BASE}/keys/active").json()["public_key"] == researcher_pem
    assert client.get(f"{BASE}/requests/{pk}/eligibility").json() == {
        "lower_bound": 0,
        "display": "fewer than 10",
    }
    upload = SimpleUploadedFile("ethics.txt", ETHICS, content_type="text/plain")
    assert (
        client.post(f"{BASE}/requests/{pk}/ethics", {"document": upload}).json()[
            "ethics_media_type"
        ]
        == "text/plain"
    )
    assert client.post(f"{BASE}/requests/{pk}/submit").json()["status"] == RequestStatus.SUBMITTED

    expires = (timezone.now() + timedelta(days=200)).isoformat()
    for member in (personas.dac_member, personas.dac_member_2):
        dac = client_for(member)
        assert [r["id"] for r in dac.get(f"{BASE}/requests/queue").json()] == [pk]
        response = dac.post(
            f"{BASE}/requests/{pk}/approve",
            {"expires_at": expires, "k": 5},
            content_type="application/json",
        )
        assert response.status_code == 200, response.json()
    assert response.json()["status"] == RequestStatus.APPROVED
    grant = AccessGrant.objects.get(request_id=pk)

    mine = client_for(personas.researcher).get(f"{BASE}/grants").json()
    assert [(g["id"], g["k"], g["categories"], g["active"]) for g in mine] == [
        (grant.pk, 5, ["genomic"], True)
    ]
    revoked = client_for(personas.dac_member).post(
        f"{BASE}/grants/{grant.pk}/revoke", {"reason": "Ended"}, content_type="application/json"
    )
    assert revoked.json()["status"] == "revoked" and revoked.json()["active"] is False


def test_requests_and_grants_answer_404_to_everyone_but_their_owner_and_the_dac(
    personas, client_for, researcher_pem, make_user, make_grant
):
    pk = _draft_via_api(client_for(personas.researcher), researcher_pem)
    other = make_user("researcher_2", Role.RESEARCHER)
    for user in (
        other,
        personas.patient,
        personas.steward,
        personas.compliance,
        personas.dac_member,
    ):
        client = client_for(user)
        for path in ("", "/eligibility"):
            assert client.get(f"{BASE}/requests/{pk}{path}").status_code == 404, (user, path)
        for path in ("/submit", "/withdraw", "/ethics", "/update"):
            assert client.post(f"{BASE}/requests/{pk}{path}").status_code == 404, (user, path)
    grant = make_grant()
    for user in (other, personas.patient, personas.outsider):
        assert client_for(user).get(f"{BASE}/grants/{grant.pk}").status_code == 404
    assert client_for(personas.dac_member).get(f"{BASE}/grants/{grant.pk}").status_code == 200


def test_dac_actions_are_dac_only_and_self_approval_is_refused(
    personas, client_for, make_submitted
):
    request = make_submitted()
    body = {"expires_at": (timezone.now() + timedelta(days=30)).isoformat(), "k": 5}
    for user in (personas.researcher, personas.steward, personas.patient):
        client = client_for(user)
        assert (
            client.post(
                f"{BASE}/requests/{request.pk}/approve", body, content_type="application/json"
            ).status_code
            == 404
        )
        assert (
            client.post(
                f"{BASE}/requests/{request.pk}/reject",
                {"reason": "x"},
                content_type="application/json",
            ).status_code
            == 404
        )
        assert client.get(f"{BASE}/requests/queue").status_code == 404
    personas.researcher.groups.add(*personas.dac_member.groups.all())
    response = client_for(personas.researcher).post(
        f"{BASE}/requests/{request.pk}/approve", body, content_type="application/json"
    )
    assert response.status_code == 403
    assert response.json()["code"] == "self_approval_refused"
    request.refresh_from_db()
    assert request.status == RequestStatus.SUBMITTED and not request.approvals.exists()


@pytest.mark.parametrize(
    "body, field",
    [
        (
            {"title": "T", "purpose": {"category": "DUO:0000007"}, "categories": ["genomic"]},
            "purpose.diseases",
        ),
        (
            {
                "title": "T",
                "purpose": HMB,
                "categories": ["genomic"],
                "cohort": {"regions": ["??"]},
            },
            "cohort.regions",
        ),
        ({"title": "T", "purpose": HMB, "categories": ["financial"]}, "categories"),
        ({"purpose": HMB, "categories": ["genomic"]}, "title"),
    ],
)
def test_bad_requests_get_a_400_naming_the_field(personas, client_for, body, field):
    response = client_for(personas.researcher).post(
        f"{BASE}/requests/create", body, content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["message"].startswith(field)


def test_an_approval_with_k_below_5_or_a_past_expiry_gets_a_400(
    personas, client_for, make_submitted
):
    request = make_submitted()
    client = client_for(personas.dac_member)
    low_k = {"expires_at": (timezone.now() + timedelta(days=30)).isoformat(), "k": 4}
    past = {"expires_at": (timezone.now() - timedelta(days=1)).isoformat(), "k": 5}
    assert (
        client.post(f"{BASE}/requests/{request.pk}/approve", low_k, content_type="application/json")
        .json()["message"]
        .startswith("k")
    )
    response = client.post(
        f"{BASE}/requests/{request.pk}/approve", past, content_type="application/json"
    )
    assert response.status_code == 400 and response.json()["message"].startswith(
        "conditions.expires_at"
    )
    assert not request.approvals.exists()


def test_the_schema_documents_every_access_endpoint(personas, client_for):
    paths = client_for(personas.researcher).get("/api/schema/?format=json").json()["paths"]
    for path in (
        "/api/v1/access/keys",
        "/api/v1/access/requests/create",
        "/api/v1/access/requests/{id}/approve",
        "/api/v1/access/requests/{id}/eligibility",
        "/api/v1/access/grants/{id}/revoke",
        "/ga4gh/passport/v1/visas",
    ):
        assert path in paths, path
