"""Researcher and DAC pages: the flow end to end, 404s for others, no inline script or style."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from governance.access.models import (
    AccessGrant,
    AccessRequest,
    GrantStatus,
    RequestStatus,
    ResearcherKey,
)
from governance.roles import Role

from .conftest import ETHICS

pytestmark = pytest.mark.django_db

REQUEST_FORM = {
    "title": "Metabolic traits",
    "category": "DUO:0000006",
    "not_for_profit": "on",
    "genetic_study": "on",
    "country": "GB",
    "categories": ["genomic", "clinical"],
    "cohort_regions": "CB, sw1",
    "cohort_min_age": "18",
}


def _clean(response):
    html = response.content.decode()
    assert "<script>" not in html and not re.search(r"<script(?![^>]*\bsrc=)", html)
    assert " style=" not in html
    return html


def test_a_researcher_registers_a_key_drafts_checks_the_preview_attaches_ethics_and_submits(
    personas, client_for, researcher_pem
):
    client = client_for(personas.researcher)
    _clean(client.get("/research/key/"))
    assert client.post("/research/key/", {"public_key": researcher_pem}).status_code == 302
    assert ResearcherKey.objects.filter(user=personas.researcher, is_active=True).count() == 1
    _clean(client.get("/research/requests/new/"))
    response = client.post("/research/requests/new/", REQUEST_FORM)
    request = AccessRequest.objects.get()
    assert response.url == f"/research/requests/{request.pk}/"
    assert request.cohort == {"regions": ["CB", "SW1"], "min_age": 18}
    html = _clean(client.get(response.url))
    assert "fewer than 10" in html and "Health, medical or biomedical research" in html
    upload = SimpleUploadedFile("ethics.txt", ETHICS)
    client.post(f"/research/requests/{request.pk}/ethics/", {"document": upload})
    client.post(f"/research/requests/{request.pk}/submit/")
    request.refresh_from_db()
    assert request.status == RequestStatus.SUBMITTED
    assert "Withdraw request" in _clean(client.get(f"/research/requests/{request.pk}/"))


def test_a_bad_key_or_request_shows_the_error_and_stores_nothing(personas, client_for):
    client = client_for(personas.researcher)
    response = client.post("/research/key/", {"public_key": "not a key"}, follow=True)
    assert "public_key:" in response.content.decode()
    response = client.post(
        "/research/requests/new/", {**REQUEST_FORM, "category": "DUO:0000007"}, follow=True
    )
    assert "purpose.diseases" in response.content.decode()
    assert not ResearcherKey.objects.exists() and not AccessRequest.objects.exists()


def test_two_dac_members_approve_on_the_page_and_a_third_view_revokes(
    personas, client_for, make_submitted
):
    request = make_submitted()
    expires = (timezone.now() + timezone.timedelta(days=100)).date().isoformat()
    first = client_for(personas.dac_member)
    html = _clean(first.get("/dac/"))
    assert "Metabolic traits" in html
    html = _clean(first.get(f"/dac/requests/{request.pk}/"))
    document = first.get(f"/dac/requests/{request.pk}/ethics/")
    assert document.status_code == 200 and b"".join(document.streaming_content) == ETHICS
    assert "Health, medical or biomedical research" in html and "Is a genetic study." in html
    first.post(
        f"/dac/requests/{request.pk}/approve/",
        {"expires_on": expires, "k": "5", "categories": ["genomic"]},
    )
    request.refresh_from_db()
    assert request.status == RequestStatus.SUBMITTED
    client_for(personas.dac_member_2).post(
        f"/dac/requests/{request.pk}/approve/",
        {"expires_on": expires, "k": "6", "categories": ["genomic"]},
    )
    grant = AccessGrant.objects.get()
    assert grant.k == 6 and grant.categories == ["genomic"]
    client = client_for(personas.dac_member)
    assert f"Revoke grant {grant.pk}" in _clean(client.get("/dac/grants/"))
    client.post(f"/dac/grants/{grant.pk}/revoke/", {"reason": "Study closed"})
    grant.refresh_from_db()
    assert grant.status == GrantStatus.REVOKED


def test_the_researcher_sees_their_grant_and_its_visa(personas, client_for, make_grant):
    make_grant(now=timezone.now())
    client = client_for(personas.researcher)
    assert "Issue my visas" in _clean(client.get("/research/grants/"))
    html = _clean(client.get("/research/grants/?visas=1"))
    assert re.search(r"<textarea id=\"visa-\d+\"[^>]*readonly", html)


def test_a_dac_member_is_told_they_cannot_review_their_own_request(
    personas, client_for, make_submitted
):
    personas.researcher.groups.add(*personas.dac_member.groups.filter(name=Role.DAC_MEMBER))
    request = make_submitted()
    client = client_for(personas.researcher)
    assert "your own request" in _clean(client.get(f"/dac/requests/{request.pk}/"))
    response = client.post(
        f"/dac/requests/{request.pk}/approve/",
        {"expires_on": "2099-01-01", "k": "5", "categories": ["genomic"]},
        follow=True,
    )
    assert "cannot review your own access request" in response.content.decode()
    assert not request.approvals.exists()


def test_request_pages_404_for_other_researchers_and_drafts_404_for_the_dac(
    personas, client_for, make_draft, make_user
):
    draft = make_draft()
    other = make_user("researcher_2", Role.RESEARCHER)
    assert client_for(other).get(f"/research/requests/{draft.pk}/").status_code == 404
    assert client_for(other).post(f"/research/requests/{draft.pk}/submit/").status_code == 404
    assert client_for(personas.dac_member).get(f"/dac/requests/{draft.pk}/").status_code == 404
    assert client_for(personas.researcher).get(f"/dac/requests/{draft.pk}/").status_code == 404
    assert client_for(personas.researcher).get(f"/research/requests/{draft.pk}/").status_code == 200
