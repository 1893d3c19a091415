"""Signed consent receipts.

Every grant, amendment and withdrawal yields a receipt: a compact JWS (EdDSA, Ed25519;
the key id in the header names an entry of the JWKS published at
``/.well-known/jwks.json``) whose claims follow the ISO/IEC TS 27560 consent record
information structure: the controller, the subject's public code (never an identifier),
the purposes as DUO terms, the data categories, when consent was given or withdrawn, the
digest of the consent text the patient saw, the event and the version.

The receipt is computed before its consent version is inserted and stored with it, so
the append-only consent table never needs an UPDATE. Anyone holding the JWKS can verify
a receipt offline; verification raises one opaque error whatever check failed.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

import jwt
from django.conf import settings

from governance import keys
from governance.errors import IntegrityFailure

RECEIPT_TYPE = "consent-receipt+jwt"
RECEIPT_SCHEMA = "helix-consent-receipt/1 (ISO/IEC TS 27560)"
REQUIRED_CLAIMS = (
    "iss", "iat", "jti", "sub", "controller", "event", "consent_version", "status", "purposes",
    "data_categories", "consent_text", "schema",
)  # fmt: skip


class ReceiptInvalid(IntegrityFailure):
    """A receipt did not verify. Deliberately does not say which check failed."""

    def __init__(self):
        super().__init__("The receipt could not be verified.", code="receipt_invalid")


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z") if value else None


def _term(code: str) -> dict:
    from consent.plain_language import term_label, term_shorthand

    return {"code": code, "shorthand": term_shorthand(code), "label": term_label(code)}


def receipt_claims(record, *, subject_code: str, previous=None, now: datetime) -> dict:
    """The claims for ``record`` (a consent version about to be inserted).

    ``previous`` is the version a withdrawal ends; its start is the receipt's ``given_at``.
    """
    permission = _term(record.permission)
    if record.diseases:
        permission["diseases"] = list(record.diseases)
    withdrawn = record.status == "withdrawn"
    given_at = previous.valid_from if (withdrawn and previous is not None) else record.valid_from
    parameters = {
        name: value
        for name, value in (
            ("countries", list(record.countries or [])),
            ("months", record.months),
            ("use_start", record.use_start.isoformat() if record.use_start else None),
            ("moratorium", record.moratorium.isoformat() if record.moratorium else None),
            ("users", list(record.users or [])),
            ("projects", list(record.projects or [])),
            ("institutions", list(record.institutions or [])),
            ("restriction", record.restriction_text or None),
        )
        if value not in (None, [], "")
    }
    return {
        "iss": settings.HELIX_ISSUER,
        "iat": int(now.timestamp()),
        "jti": str(uuid.uuid4()),
        "sub": subject_code,
        "schema": RECEIPT_SCHEMA,
        "controller": {"name": settings.HELIX_CONTROLLER},
        "event": record.event,
        "consent_version": record.version,
        "status": record.status,
        "recorded_via": record.recorded_via,
        "purposes": [permission, *(_term(code) for code in record.modifier_list)],
        "duo_parameters": parameters,
        "data_categories": record.categories,
        "given_at": _iso(given_at),
        "withdrawn_at": _iso(record.valid_from) if withdrawn else None,
        "valid_until": _iso(record.valid_until),
        "consent_text": {"version": record.text_version, "sha256": record.text_digest},
    }


def receipt_sign(claims: dict) -> str:
    """Sign receipt claims with the platform's Ed25519 key (EdDSA JWS, ``kid`` set)."""
    return keys.sign_jwt(claims, typ=RECEIPT_TYPE, alg="EdDSA")


def _check_claims(claims: dict) -> dict:
    if any(name not in claims for name in REQUIRED_CLAIMS):
        raise ReceiptInvalid()
    return claims


def receipt_verify(token: str) -> dict:
    """Verify a receipt against the platform's own key; return its claims.

    Raises ``ReceiptInvalid`` for a bad signature, a foreign key, a malformed token or
    missing receipt claims alike.
    """
    try:
        claims = keys.verify_jwt((token or "").strip(), verify_exp=False)
    except IntegrityFailure:
        raise ReceiptInvalid() from None
    return _check_claims(claims)


def receipt_verify_with_jwks(token: str, jwks: dict | str) -> dict:
    """Verify a receipt offline against a JWKS document (as served at /.well-known/jwks.json).

    Only the EdDSA key named by the token's ``kid`` is accepted.
    """
    token = (token or "").strip()
    try:
        key_set = jwt.PyJWKSet.from_dict(json.loads(jwks) if isinstance(jwks, str) else jwks)
        header = jwt.get_unverified_header(token)
        if header.get("alg") != "EdDSA":
            raise ReceiptInvalid()
        key = key_set[header.get("kid", "")]
        claims = jwt.decode(token, key.key, algorithms=["EdDSA"], options={"verify_exp": False})
    except (jwt.PyJWTError, KeyError, ValueError, TypeError):
        raise ReceiptInvalid() from None
    return _check_claims(claims)
