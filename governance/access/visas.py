"""GA4GH Passport ``ControlledAccessGrants`` visas for active grants.

One visa per active grant, a JWT signed by the platform's ES256 key (its ``kid`` is in
the JWKS at ``/.well-known/jwks.json``), asserting on behalf of the DAC that the
researcher may access the grant's dataset.

A visa must not outlive what it asserts, so its ``exp`` is the earliest of:

* the grant's expiry;
* the end of any time limit (DUO TS, ``months`` from the consent's ``start``, or from
  the start of its validity when no start is given) in the consents in force of the
  subjects the grant covers now;
* the end of those consents' validity periods (``valid_until``), where set.

The subjects covered are those the gate finds eligible now for the grant's purpose in
every granted category, narrowed by the cohort criteria. A grant that is revoked,
expired, or whose visa would already be expired yields no visa.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from django.conf import settings
from django.db import transaction
from django.db.models import Min
from django.db.models.functions import TruncDate
from django.utils import timezone

from consent import duo
from consent.duo import DataUse
from consent.models import ConsentRecord
from governance import keys
from governance.access.models import AccessGrant, GrantStatus
from governance.access.selectors import cohort_subjects
from governance.audit import Action, audit_append
from governance.gate.matcher import ts_end

VISA_TYP = "vnd.ga4gh.visa+jwt"
VISA_TYPE = "ControlledAccessGrants"


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def visa_expiry(*, grant: AccessGrant, at: datetime) -> datetime:
    """The instant a visa for ``grant`` issued at ``at`` must stop being valid."""
    candidates = [grant.expires_at]
    subjects = cohort_subjects(
        purpose=grant.purpose, categories=grant.categories, cohort=grant.cohort, at=at
    )
    consents = ConsentRecord.objects.filter(
        pk__in=subjects.exclude(current_consent__isnull=True).values("current_consent_id")
    )
    earliest_end = consents.aggregate(end=Min("valid_until"))["end"]
    if earliest_end is not None:
        candidates.append(earliest_end)
    limited = (
        consents.filter(modifiers__contains=f",{duo.TS},", months__isnull=False)
        .annotate(valid_from_day=TruncDate("valid_from", tzinfo=UTC))
        .values_list("use_start", "months", "valid_from_day")
        .distinct()
    )
    for use_start, months, valid_from_day in limited:
        end = ts_end(
            DataUse(permission=duo.GRU, modifiers=(duo.TS,), months=months, start=use_start),
            valid_from_day,
        )
        if end is not None:
            candidates.append(_midnight(end))
    return min(candidates)


def issuer() -> str:
    return settings.HELIX_ISSUER.rstrip("/")


def dataset_url(grant: AccessGrant) -> str:
    return f"{issuer()}/datasets/grant/{grant.pk}"


def _visa_claims(*, grant: AccessGrant, user, at: datetime, exp: datetime) -> dict:
    return {
        "iss": issuer(),
        "sub": user.get_username(),
        "iat": int(at.timestamp()),
        "exp": int(exp.timestamp()),
        "jti": uuid.uuid4().hex,
        "scope": "openid",
        "ga4gh_visa_v1": {
            "type": VISA_TYPE,
            "asserted": int(grant.created_at.timestamp()),
            "value": dataset_url(grant),
            "source": f"{issuer()}/dac",
            "by": "dac",
        },
    }


@dataclass(frozen=True)
class IssuedVisa:
    grant_id: int
    token: str
    value: str
    expires_at: datetime


def passport_visas_issue(*, user, now: datetime | None = None) -> list[IssuedVisa]:
    """Sign one visa per grant of ``user`` that is active at ``now``; audit each issuance.

    Grants are read fresh, so a revocation committed before the call yields no visa.
    """
    now = now or timezone.now()
    issued = []
    grants = AccessGrant.objects.filter(
        researcher=user, status=GrantStatus.ACTIVE, expires_at__gt=now
    ).order_by("pk")
    for grant in grants:
        exp = visa_expiry(grant=grant, at=now)
        if int(exp.timestamp()) <= int(now.timestamp()):
            continue
        claims = _visa_claims(grant=grant, user=user, at=now, exp=exp)
        token = keys.sign_jwt(claims, typ=VISA_TYP, alg="ES256")
        with transaction.atomic():
            audit_append(
                actor=user,
                action=Action.VISA_ISSUE,
                object_type="access_grant",
                object_id=grant.pk,
                purpose=grant.purpose_id,
                extra={"jti": claims["jti"], "exp": claims["exp"]},
                now=now,
            )
        issued.append(IssuedVisa(grant.pk, token, claims["ga4gh_visa_v1"]["value"], exp))
    return issued


def passport_visas_for_user(*, user, now: datetime | None = None) -> list[str]:
    """The compact visa JWTs for ``ga4gh_passport_v1``."""
    return [visa.token for visa in passport_visas_issue(user=user, now=now)]
