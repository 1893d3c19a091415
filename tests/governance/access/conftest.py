"""Shared setup for the access governance tests."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest

from genomics.crypt4gh import generate_keypair, public_key_pem
from governance.access import services

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
HMB = {"category": "DUO:0000006", "not_for_profit": True, "genetic_study": True}
ETHICS = b"Ethics committee approval: favourable opinion.\n"


def conditions(*, days=365, k=5, categories=("genomic",), now=T0, **more) -> dict:
    return {
        "expires_at": now + timedelta(days=days),
        "k": k,
        "categories": list(categories),
        **more,
    }


@pytest.fixture
def researcher_pem() -> str:
    return public_key_pem(generate_keypair()[1])


@pytest.fixture
def make_draft(personas, researcher_pem):
    """A draft request by the persona researcher (who gets a key), optionally with ethics."""

    def make(
        *,
        actor=None,
        ethics=True,
        categories=("genomic", "clinical"),
        purpose=None,
        cohort=None,
        now=T0,
    ):
        actor = actor or personas.researcher
        services.researcher_key_register(actor=actor, public_key_pem=researcher_pem, now=now)
        request = services.access_request_create(
            actor=actor,
            title="Metabolic traits",
            purpose=purpose or HMB,
            categories=list(categories),
            cohort=cohort or {},
            now=now,
        )
        if ethics:
            request = services.access_request_attach_ethics(
                actor=actor, request=request, document=io.BytesIO(ETHICS), now=now
            )
        return request

    return make


@pytest.fixture
def make_submitted(make_draft):
    def make(**kwargs):
        request = make_draft(**kwargs)
        return services.access_request_submit(
            actor=request.requester, request=request, now=kwargs.get("now", T0)
        )

    return make


@pytest.fixture
def make_grant(personas, make_submitted):
    """An approved request's grant (approved by both DAC personas)."""

    def make(*, days=365, k=5, categories=("genomic",), now=T0, **kwargs):
        request = make_submitted(now=now, **kwargs)
        for member in (personas.dac_member, personas.dac_member_2):
            services.access_request_approve(
                actor=member,
                request=request,
                conditions=conditions(days=days, k=k, categories=categories, now=now),
                now=now,
            )
        request.refresh_from_db()
        return request.grant

    return make
