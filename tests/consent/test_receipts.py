"""Signed consent receipts: plain PyJWT verifies them against the served JWKS."""

from __future__ import annotations

import base64
import io
import json

import jwt
import pytest
from django.core.management import CommandError, call_command

from consent import services
from consent.receipts import ReceiptInvalid, receipt_verify, receipt_verify_with_jwks
from consent.texts import consent_text

from .conftest import T0

pytestmark = pytest.mark.django_db


@pytest.fixture
def receipt(personas, ds_breast_cancer) -> str:
    record = services.consent_grant(
        actor=personas.patient, subject=personas.patient_subject, data_use=ds_breast_cancer,
        categories=["genomic"], via="portal", now=T0,
    )  # fmt: skip
    return record.receipt


def _tamper(token: str) -> str:
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["purposes"][0]["code"] = "DUO:0000042"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{header}.{forged}.{signature}"


def test_a_receipt_verifies_with_plain_pyjwt_against_the_served_jwks(client, receipt, personas):
    served = client.get("/.well-known/jwks.json").json()
    header = jwt.get_unverified_header(receipt)
    assert header["alg"] == "EdDSA" and header["kid"]
    key = jwt.PyJWKSet.from_dict(served)[header["kid"]]
    claims = jwt.decode(receipt, key.key, algorithms=["EdDSA"])
    assert claims["sub"] == personas.patient_subject.code
    assert claims["controller"]["name"]
    assert claims["iss"] and claims["jti"] and claims["iat"] == int(T0.timestamp())
    assert claims["event"] == "grant" and claims["consent_version"] == 1
    assert [p["code"] for p in claims["purposes"]] == ["DUO:0000007", "DUO:0000045"]
    assert claims["data_categories"] == ["genomic"]
    assert claims["given_at"] == "2026-01-01T09:00:00Z" and claims["withdrawn_at"] is None
    assert claims["consent_text"]["sha256"] == consent_text("v1").sha256


def test_a_tampered_receipt_fails_everywhere(client, receipt):
    forged = _tamper(receipt)
    served = client.get("/.well-known/jwks.json").json()
    key = jwt.PyJWKSet.from_dict(served)[jwt.get_unverified_header(forged)["kid"]]
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(forged, key.key, algorithms=["EdDSA"])
    with pytest.raises(ReceiptInvalid):
        receipt_verify(forged)
    with pytest.raises(ReceiptInvalid):
        receipt_verify_with_jwks(forged, served)


def test_a_receipt_signed_by_another_key_fails(receipt):
    from governance import keys

    keys.clear_caches()
    from governance.models import KeyMaterial

    KeyMaterial.objects.filter(purpose="signing-ed25519").delete()
    keys.clear_caches()
    with pytest.raises(ReceiptInvalid):
        receipt_verify(receipt)


def test_the_verify_endpoint_confirms_a_receipt_and_rejects_a_forgery(
    client_for, personas, receipt
):
    client = client_for(personas.patient)
    ok = client.post(
        "/api/v1/consent/receipts/verify", {"receipt": receipt}, content_type="application/json"
    )
    assert ok.status_code == 200
    assert ok.json()["valid"] is True and ok.json()["claims"]["consent_version"] == 1
    bad = client.post(
        "/api/v1/consent/receipts/verify",
        {"receipt": _tamper(receipt)},
        content_type="application/json",
    )
    assert bad.status_code == 400 and bad.json()["code"] == "receipt_invalid"
    assert client_for(None).post(
        "/api/v1/consent/receipts/verify", {"receipt": receipt}, content_type="application/json"
    ).status_code in (401, 403)


def test_the_verify_command_works_offline_with_a_jwks_file(client, receipt, tmp_path):
    (tmp_path / "jwks.json").write_text(json.dumps(client.get("/.well-known/jwks.json").json()))
    (tmp_path / "receipt.jwt").write_text(receipt)
    out = io.StringIO()
    call_command(
        "verify_receipt",
        str(tmp_path / "receipt.jwt"),
        "--jwks",
        str(tmp_path / "jwks.json"),
        stdout=out,
    )
    assert out.getvalue().startswith("valid receipt")
    (tmp_path / "forged.jwt").write_text(_tamper(receipt))
    with pytest.raises(CommandError, match="could not be verified"):
        call_command(
            "verify_receipt", str(tmp_path / "forged.jwt"), "--jwks", str(tmp_path / "jwks.json")
        )
    with pytest.raises(CommandError, match="could not be verified"):
        call_command("verify_receipt", str(tmp_path / "forged.jwt"))
