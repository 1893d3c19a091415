"""Demo seeding: an approved, active grant for the demo researcher, every step audited."""

from __future__ import annotations

from datetime import timedelta

import pytest

from genomics.crypt4gh import generate_keypair
from governance.access import selectors
from governance.access.demo import seed_access
from governance.access.models import RequestStatus
from governance.ledger.models import AuditEvent

from .conftest import T0

pytestmark = pytest.mark.django_db


def test_seed_access_creates_an_approved_one_year_k5_grant_with_the_researchers_key(personas):
    public = generate_keypair()[1]
    grant = seed_access(
        researcher=personas.researcher,
        dac_members=[personas.dac_member, personas.dac_member_2],
        now=T0,
        public_key=public,
        purpose={"category": "DUO:0000042", "not_for_profit": True},
    )
    assert grant.request.status == RequestStatus.APPROVED
    assert grant.is_active(T0) and grant.expires_at == T0 + timedelta(days=365) and grant.k == 5
    assert grant.purpose.category == "DUO:0000042"
    assert selectors.access_grant_public_key(grant=grant) == public
    assert list(
        AuditEvent.objects.filter(action__startswith="access.").values_list("action", flat=True)
    ) == [
        "access.researcher_key_register",
        "access.request_create",
        "access.request_update",
        "access.request_submit",
        "access.request_approve",
        "access.request_approve",
        "access.grant_create",
    ]
