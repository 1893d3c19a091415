"""GA4GH Passport visas: signed ES256 JWTs that verify with plain PyJWT against our JWKS."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import jwt
import pytest
from django.utils import timezone

from consent.services import consent_grant
from governance.access import services
from governance.access.visas import passport_visas_for_user
from governance.ledger.models import AuditEvent

from .conftest import T0

pytestmark = pytest.mark.django_db

AT = T0 + timedelta(days=1)
GRU = {"permission": "DUO:0000042"}


@pytest.fixture
def consenting(personas, make_subject):
    def make(n=3, data_use=GRU, *, valid_until=None, now=T0 - timedelta(days=30)):
        for _ in range(n):
            consent_grant(
                actor=personas.steward,
                subject=make_subject(),
                data_use=data_use,
                categories=("genomic", "clinical"),
                via="staff",
                valid_until=valid_until,
                now=now,
            )

    return make


def _jwks_key(client, token):
    jwks = jwt.PyJWKSet.from_dict(client.get("/.well-known/jwks.json").json())
    kid = jwt.get_unverified_header(token)["kid"]
    return next(key for key in jwks.keys if key.key_id == kid)


def _claims(client, token, *, at):
    """Verify the signature with the published key; check exp against ``at``."""
    key = _jwks_key(client, token)
    claims = jwt.decode(
        token,
        key.key,
        algorithms=["ES256"],
        options={"verify_exp": False, "require": ["iss", "sub", "iat", "exp", "jti"]},
    )
    assert claims["iat"] == int(at.timestamp())
    return claims


def test_a_visa_is_signed_es256_and_says_what_the_dac_granted(
    personas, make_grant, consenting, client, settings
):
    settings.HELIX_ISSUER = "https://helix.example.org"
    consenting()
    grant = make_grant(days=30)
    [token] = passport_visas_for_user(user=personas.researcher, now=AT)
    header = jwt.get_unverified_header(token)
    assert header["typ"] == "vnd.ga4gh.visa+jwt" and header["alg"] == "ES256" and header["kid"]
    claims = _claims(client, token, at=AT)
    assert claims["iss"] == "https://helix.example.org"
    assert claims["sub"] == "researcher"
    assert claims["scope"] == "openid"
    assert claims["ga4gh_visa_v1"] == {
        "type": "ControlledAccessGrants",
        "asserted": int(grant.created_at.timestamp()),
        "value": f"https://helix.example.org/datasets/grant/{grant.pk}",
        "source": "https://helix.example.org/dac",
        "by": "dac",
    }
    event = AuditEvent.objects.get(action="access.visa_issue")
    assert event.object_id == str(grant.pk) and event.extra["jti"] == claims["jti"]


def test_exp_is_the_grant_expiry_when_that_comes_first(personas, make_grant, consenting, client):
    consenting()
    grant = make_grant(days=30)
    [token] = passport_visas_for_user(user=personas.researcher, now=AT)
    assert _claims(client, token, at=AT)["exp"] == int(grant.expires_at.timestamp())


def test_exp_is_the_end_of_a_ts_time_limit_when_that_comes_first(
    personas, make_grant, consenting, client
):
    consenting(2)
    consenting(
        1,
        {
            "permission": "DUO:0000042",
            "modifiers": ["DUO:0000025"],
            "months": 6,
            "start": "2026-01-15",
        },
    )
    make_grant(days=365)
    [token] = passport_visas_for_user(user=personas.researcher, now=AT)
    assert _claims(client, token, at=AT)["exp"] == int(
        datetime(2026, 7, 15, tzinfo=UTC).timestamp()
    )


def test_exp_is_the_end_of_a_consent_period_when_that_comes_first(
    personas, make_grant, consenting, client
):
    consenting(2)
    consenting(1, valid_until=T0 + timedelta(days=10))
    make_grant(days=365)
    [token] = passport_visas_for_user(user=personas.researcher, now=AT)
    assert _claims(client, token, at=AT)["exp"] == int((T0 + timedelta(days=10)).timestamp())


def test_revoked_and_expired_grants_yield_no_visa(personas, make_grant, consenting):
    consenting()
    revoked = make_grant(days=365)
    short = make_grant(days=2)
    kept = make_grant(days=365)
    services.access_grant_revoke(
        actor=personas.dac_member, grant=revoked, reason="Ended early", now=AT
    )
    tokens = passport_visas_for_user(user=personas.researcher, now=T0 + timedelta(days=3))
    values = [
        jwt.decode(t, options={"verify_signature": False})["ga4gh_visa_v1"]["value"] for t in tokens
    ]
    short.refresh_from_db()
    assert short.status == "active"  # past its expiry but not yet swept: still no visa
    assert len(values) == 1 and values[0].endswith(f"/datasets/grant/{kept.pk}")
    assert AuditEvent.objects.filter(action="access.visa_issue").count() == 1


def test_the_passport_endpoint_serves_verifiable_visas_to_the_researcher_only(
    personas, make_grant, consenting, client_for
):
    now = timezone.now()
    consenting(now=now - timedelta(days=30))
    make_grant(days=90, now=now)
    response = client_for(personas.researcher).get("/ga4gh/passport/v1/visas")
    assert response.status_code == 200
    [token] = response.json()["ga4gh_passport_v1"]
    client = client_for(None)
    key = _jwks_key(client, token)
    claims = jwt.decode(
        token, key.key, algorithms=["ES256"]
    )  # verifies exp against the real clock too
    assert claims["sub"] == "researcher"
    for user in (personas.dac_member, personas.patient, personas.outsider):
        assert client_for(user).get("/ga4gh/passport/v1/visas").status_code == 404
    assert client_for(None).get("/ga4gh/passport/v1/visas").status_code in (401, 403)
