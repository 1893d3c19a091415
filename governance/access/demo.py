"""Demo data for access governance: an approved grant for the demo researcher.

``seed_demo`` (the platform's seeding command) calls ``seed_access`` once the demo
users, subjects and consents exist.
"""

from __future__ import annotations

import io
from datetime import datetime, timedelta

from genomics.crypt4gh import public_key_pem
from governance.access import services
from governance.access.models import AccessGrant

DEFAULT_PURPOSE = {
    "category": "DUO:0000006",  # HMB: health, medical or biomedical research
    "genetic_study": True,
    "not_for_profit": True,
    "ethics_approval": True,
    "publication": True,
    "country": "GB",
    "project": "HELIX-DEMO-1",
}
_ETHICS_TEXT = (
    "Research Ethics Committee approval (demonstration document)\n"
    "Project HELIX-DEMO-1: genetic and clinical determinants of metabolic traits.\n"
    "Favourable opinion given for the use of consented, de-identified data.\n"
)


def seed_access(
    *,
    researcher,
    dac_members,
    now: datetime,
    public_key: bytes,
    purpose: dict | None = None,
    categories: list[str] | None = None,
    cohort: dict | None = None,
    title: str = "Genetic and clinical determinants of metabolic traits",
    k: int = 5,
    valid_for: timedelta = timedelta(days=365),
) -> AccessGrant:
    """Register ``researcher``'s Crypt4GH public key (raw 32 bytes), then file, submit and
    approve (by the first two of ``dac_members``) an access request for ``purpose``
    (default: HMB health research, not for profit, in GB). Returns the active grant:
    k=5 and a one-year expiry from ``now`` unless told otherwise. Every step is audited
    as it would be through the pages."""
    first, second = list(dac_members)[:2]
    categories = categories or ["genomic", "clinical", "demographic"]
    services.researcher_key_register(
        actor=researcher, public_key_pem=public_key_pem(public_key), now=now
    )
    request = services.access_request_create(
        actor=researcher,
        title=title,
        purpose=purpose or DEFAULT_PURPOSE,
        categories=categories,
        cohort=cohort or {},
        ethics_reference="REC 26/DEMO/0001",
        now=now,
    )
    services.access_request_attach_ethics(
        actor=researcher, request=request, document=io.BytesIO(_ETHICS_TEXT.encode()), now=now
    )
    services.access_request_submit(actor=researcher, request=request, now=now)
    conditions = {"expires_at": now + valid_for, "k": k, "categories": categories}
    services.access_request_approve(actor=first, request=request, conditions=conditions, now=now)
    services.access_request_approve(actor=second, request=request, conditions=conditions, now=now)
    return AccessGrant.objects.get(request=request)
