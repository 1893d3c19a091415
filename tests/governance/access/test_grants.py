"""Grants: immediate revocation, automatic expiry and its sweep, who may see a grant."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command

from governance.access import selectors, services
from governance.access.exceptions import GrantInactive, NotDacMember
from governance.access.models import GrantStatus
from governance.errors import InvalidTransition, NotFound, ValidationFailed
from governance.ledger.models import AuditEvent

from .conftest import T0

pytestmark = pytest.mark.django_db


def test_revocation_takes_effect_immediately_and_is_audited(personas, make_grant):
    grant = make_grant()
    assert selectors.access_grant_require_active(grant=grant, at=T0).pk == grant.pk
    services.access_grant_revoke(
        actor=personas.dac_member,
        grant=grant,
        reason="Breach of terms",
        now=T0 + timedelta(hours=1),
    )
    # The caller's stale copy still says active; the check re-reads the row.
    assert grant.status == GrantStatus.ACTIVE
    with pytest.raises(GrantInactive):
        selectors.access_grant_require_active(grant=grant, at=T0 + timedelta(hours=1))
    grant.refresh_from_db()
    assert grant.status == GrantStatus.REVOKED and not grant.is_active(T0 + timedelta(hours=1))
    event = AuditEvent.objects.get(action="access.grant_revoke")
    assert event.object_id == str(grant.pk) and event.purpose == grant.purpose_id
    with pytest.raises(InvalidTransition):
        services.access_grant_revoke(actor=personas.dac_member_2, grant=grant, reason="Again")


def test_only_dac_members_revoke_and_a_reason_is_required(personas, make_grant):
    grant = make_grant()
    with pytest.raises(NotDacMember):
        services.access_grant_revoke(actor=personas.researcher, grant=grant, reason="Done")
    with pytest.raises(ValidationFailed, match="reason"):
        services.access_grant_revoke(actor=personas.dac_member, grant=grant, reason="")
    grant.refresh_from_db()
    assert grant.status == GrantStatus.ACTIVE
    assert not AuditEvent.objects.filter(action="access.grant_revoke").exists()


def test_a_grant_stops_working_at_its_expiry_before_any_sweep(make_grant):
    grant = make_grant(days=30)
    expiry = T0 + timedelta(days=30)
    assert grant.is_active(expiry - timedelta(seconds=1))
    assert not grant.is_active(expiry)
    with pytest.raises(GrantInactive):
        selectors.access_grant_require_active(grant=grant, at=expiry)
    grant.refresh_from_db()
    assert grant.status == GrantStatus.ACTIVE  # not yet swept, and still unusable


def test_the_sweep_records_each_expiry_once(make_grant):
    short = make_grant(days=10)
    long = make_grant(days=100)
    assert services.access_grants_expire(now=T0 + timedelta(days=10)) == 1
    assert services.access_grants_expire(now=T0 + timedelta(days=11)) == 0
    short.refresh_from_db()
    long.refresh_from_db()
    assert short.status == GrantStatus.EXPIRED and short.ended_at == T0 + timedelta(days=10)
    assert long.status == GrantStatus.ACTIVE
    events = AuditEvent.objects.filter(action="access.grant_expire")
    assert [(e.object_id, e.actor) for e in events] == [(str(short.pk), "system")]


def test_the_expiry_command_sweeps_grants_past_their_expiry(make_grant, capsys):
    grant = make_grant(days=1)  # T0 + 1 day lies in the past of the real clock
    call_command("expire_access_grants")
    grant.refresh_from_db()
    assert grant.status == GrantStatus.EXPIRED
    assert "1 grant(s) expired" in capsys.readouterr().out


def test_a_researcher_sees_only_their_own_grant_and_others_get_the_same_not_found(
    personas, make_grant, make_user
):
    grant = make_grant()
    assert selectors.access_grant_get_for_user(user=personas.researcher, grant_id=grant.pk) == grant
    assert selectors.access_grant_get_for_user(user=personas.dac_member, grant_id=grant.pk) == grant
    other_researcher = make_user("researcher_2", "researcher")
    for user in (
        other_researcher,
        personas.patient,
        personas.steward,
        personas.outsider,
        personas.compliance,
    ):
        with pytest.raises(NotFound) as forbidden:
            selectors.access_grant_get_for_user(user=user, grant_id=grant.pk)
        with pytest.raises(NotFound) as missing:
            selectors.access_grant_get_for_user(user=user, grant_id=grant.pk + 1000)
        assert forbidden.value.message == missing.value.message


def test_the_grant_exposes_what_exports_need(personas, make_grant, researcher_pem):
    from genomics.crypt4gh import load_public_key

    grant = make_grant(k=6, categories=("genomic", "clinical"))
    assert grant.purpose.to_dict() == grant.purpose_data
    assert grant.purpose_id == f"grant:{grant.pk}"
    assert (grant.k, grant.l, grant.categories) == (6, None, ["genomic", "clinical"])
    assert selectors.access_grant_public_key(grant=grant) == load_public_key(researcher_pem)
