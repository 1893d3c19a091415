"""DAC review: two distinct members, never the requester; conditions; rejection with a reason."""

from __future__ import annotations

from datetime import timedelta

import pytest

from governance.access import services
from governance.access.exceptions import AlreadyVoted, NotDacMember, SelfApprovalRefused
from governance.access.models import AccessGrant, AccessRequestApproval, GrantStatus, RequestStatus
from governance.errors import InvalidTransition, ValidationFailed
from governance.ledger.models import AuditEvent
from governance.roles import Role

from .conftest import T0, conditions

pytestmark = pytest.mark.django_db


def _actions(request):
    return list(
        AuditEvent.objects.filter(
            action__in=["access.request_approve", "access.request_reject", "access.grant_create"]
        )
        .order_by("seq")
        .values_list("action", "actor")
    )


def test_a_single_approval_leaves_the_request_submitted_and_creates_no_grant(
    personas, make_submitted
):
    request = make_submitted()
    services.access_request_approve(
        actor=personas.dac_member, request=request, conditions=conditions(), now=T0
    )
    request.refresh_from_db()
    assert request.status == RequestStatus.SUBMITTED
    assert not AccessGrant.objects.exists()
    assert _actions(request) == [("access.request_approve", "dac_member")]


def test_two_distinct_members_approve_and_the_grant_carries_the_conditions(
    personas, make_submitted
):
    request = make_submitted(categories=("genomic", "clinical"))
    services.access_request_approve(
        actor=personas.dac_member,
        request=request,
        conditions=conditions(categories=["genomic", "clinical"]),
        now=T0,
    )
    services.access_request_approve(
        actor=personas.dac_member_2,
        request=request,
        conditions=conditions(
            categories=["genomic", "clinical"], k=7, l_diversity=3, sensitive_column="diagnosis"
        ),
        now=T0,
    )
    request.refresh_from_db()
    grant = request.grant
    assert request.status == RequestStatus.APPROVED and request.decided_by == personas.dac_member_2
    assert grant.status == GrantStatus.ACTIVE and grant.researcher == personas.researcher
    assert grant.k == 7 and grant.l == 3 and grant.sensitive_column == "diagnosis"
    assert grant.categories == ["genomic", "clinical"]
    assert grant.expires_at == T0 + timedelta(days=365)
    assert grant.purpose_id == f"grant:{grant.pk}"
    assert grant.purpose.category == "DUO:0000006"
    assert _actions(request) == [
        ("access.request_approve", "dac_member"),
        ("access.request_approve", "dac_member_2"),
        ("access.grant_create", "dac_member_2"),
    ]


def test_the_grant_takes_the_stricter_of_the_two_votes(personas, make_submitted):
    request = make_submitted(categories=("genomic", "clinical", "demographic"))
    services.access_request_approve(
        actor=personas.dac_member,
        request=request,
        conditions=conditions(days=100, k=10, categories=["genomic", "clinical"]),
        now=T0,
    )
    services.access_request_approve(
        actor=personas.dac_member_2,
        request=request,
        conditions=conditions(days=30, k=5, categories=["clinical", "demographic"]),
        now=T0 + timedelta(days=1),
    )
    grant = AccessGrant.objects.get()
    assert grant.expires_at == T0 + timedelta(days=30)
    assert grant.k == 10
    assert grant.categories == ["clinical"]


def test_self_approval_is_refused_with_a_clear_error_even_for_a_dac_member_who_requested(
    personas, make_submitted
):
    personas.researcher.groups.add(*personas.dac_member.groups.filter(name=Role.DAC_MEMBER))
    personas.researcher._helix_roles = None
    request = make_submitted()
    with pytest.raises(SelfApprovalRefused) as caught:
        services.access_request_approve(
            actor=personas.researcher, request=request, conditions=conditions(), now=T0
        )
    assert "own access request" in caught.value.message
    with pytest.raises(SelfApprovalRefused):
        services.access_request_reject(
            actor=personas.researcher, request=request, reason="Mine", now=T0
        )
    assert not AccessRequestApproval.objects.exists()
    assert _actions(request) == []


def test_the_same_member_cannot_approve_twice(personas, make_submitted):
    request = make_submitted()
    services.access_request_approve(
        actor=personas.dac_member, request=request, conditions=conditions(), now=T0
    )
    with pytest.raises(AlreadyVoted):
        services.access_request_approve(
            actor=personas.dac_member, request=request, conditions=conditions(), now=T0
        )
    request.refresh_from_db()
    assert request.status == RequestStatus.SUBMITTED
    assert AccessRequestApproval.objects.count() == 1


def test_people_outside_the_dac_cannot_approve_or_reject(personas, make_submitted):
    request = make_submitted()
    for actor in (personas.steward, personas.compliance, personas.researcher):
        with pytest.raises(NotDacMember):
            services.access_request_approve(
                actor=actor, request=request, conditions=conditions(), now=T0
            )
        with pytest.raises(NotDacMember):
            services.access_request_reject(actor=actor, request=request, reason="No", now=T0)
    assert _actions(request) == []


@pytest.mark.parametrize(
    "bad, field",
    [
        ({"k": 4}, "conditions.k"),
        ({"k": True}, "conditions.k"),
        ({"days": -1}, "conditions.expires_at"),
        ({"categories": ["demographic"]}, "conditions.categories"),
        ({"categories": []}, "conditions.categories"),
        ({"l_diversity": 3}, "conditions.sensitive_column"),
        ({"l_diversity": 1, "sensitive_column": "diagnosis"}, "conditions.l_diversity"),
        ({"sensitive_column": "Diagnosis; DROP", "l_diversity": 2}, "conditions.sensitive_column"),
    ],
)
def test_invalid_conditions_are_refused_naming_the_condition(personas, make_submitted, bad, field):
    request = make_submitted()
    with pytest.raises(ValidationFailed) as caught:
        services.access_request_approve(
            actor=personas.dac_member, request=request, conditions=conditions(**bad), now=T0
        )
    assert caught.value.message.startswith(f"{field}:")
    assert not AccessRequestApproval.objects.exists()


def test_a_missing_expiry_is_refused(personas, make_submitted):
    request = make_submitted()
    with pytest.raises(ValidationFailed, match="conditions.expires_at"):
        services.access_request_approve(
            actor=personas.dac_member, request=request, conditions={"k": 5}, now=T0
        )


def test_rejection_needs_a_reason_and_ends_the_review(personas, make_submitted):
    request = make_submitted()
    services.access_request_approve(
        actor=personas.dac_member, request=request, conditions=conditions(), now=T0
    )
    with pytest.raises(ValidationFailed, match="reason"):
        services.access_request_reject(
            actor=personas.dac_member_2, request=request, reason="   ", now=T0
        )
    services.access_request_reject(
        actor=personas.dac_member_2,
        request=request,
        reason="Purpose too broad for the cohort.",
        now=T0,
    )
    request.refresh_from_db()
    assert request.status == RequestStatus.REJECTED
    assert request.decision_reason == "Purpose too broad for the cohort."
    event = AuditEvent.objects.get(action="access.request_reject")
    assert event.outcome == "denied" and "Purpose" not in str(event.extra)
    with pytest.raises(InvalidTransition):
        services.access_request_approve(
            actor=personas.dac_member_2, request=request, conditions=conditions(), now=T0
        )
    assert not AccessGrant.objects.exists()


def test_drafts_and_withdrawn_requests_cannot_be_reviewed(personas, make_draft, make_submitted):
    draft = make_draft()
    with pytest.raises(InvalidTransition):
        services.access_request_approve(
            actor=personas.dac_member, request=draft, conditions=conditions(), now=T0
        )
    withdrawn = make_submitted()
    services.access_request_withdraw(actor=personas.researcher, request=withdrawn, now=T0)
    with pytest.raises(InvalidTransition):
        services.access_request_reject(
            actor=personas.dac_member, request=withdrawn, reason="Late", now=T0
        )
