"""Concurrent DAC votes serialise on the request row: one final state, exact audit events.

Real threads, real transactions, on PostgreSQL (SQLite's in-memory test database is
one connection, so it cannot host the race).
"""

from __future__ import annotations

import threading

import pytest
from django.contrib.auth.models import Group
from django.db import connection

from governance.access import services
from governance.access.models import AccessGrant, AccessRequest, RequestStatus
from governance.errors import DomainError
from governance.ledger.models import AuditEvent
from governance.roles import Role

from .conftest import T0, conditions

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _postgres_with_roles(transactional_db):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL")
    # Transactional tests flush the database between tests, data migrations included.
    for role in Role.ALL:
        Group.objects.get_or_create(name=role)


def _race(*calls):
    """Run each call in its own thread and connection, released together by a barrier."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait(timeout=10)
            results[index] = call()
        except DomainError as exc:
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


def _events(request):
    grant_ids = [
        str(pk) for pk in AccessGrant.objects.filter(request=request).values_list("pk", flat=True)
    ]
    return sorted(
        AuditEvent.objects.filter(
            object_type="access_request",
            object_id=str(request.pk),
            action__in=["access.request_approve", "access.request_reject"],
        ).values_list("action", flat=True)
    ) + sorted(
        AuditEvent.objects.filter(
            action="access.grant_create", object_id__in=grant_ids
        ).values_list("action", flat=True)
    )


@pytest.mark.parametrize("round_", range(5))
def test_two_concurrent_approvals_end_approved_with_exactly_one_grant(
    personas, make_submitted, round_
):
    request = make_submitted()
    results = _race(
        lambda: services.access_request_approve(
            actor=personas.dac_member, request=request, conditions=conditions(), now=T0
        ),
        lambda: services.access_request_approve(
            actor=personas.dac_member_2, request=request, conditions=conditions(), now=T0
        ),
    )
    assert not [r for r in results if isinstance(r, Exception)]
    request.refresh_from_db()
    assert request.status == RequestStatus.APPROVED
    assert AccessGrant.objects.filter(request=request).count() == 1
    assert _events(request) == [
        "access.request_approve",
        "access.request_approve",
        "access.grant_create",
    ]


@pytest.mark.parametrize("round_", range(5))
def test_a_concurrent_second_approval_and_rejection_leave_one_final_state(
    personas, make_submitted, make_user, round_
):
    third = make_user(f"dac_member_3_{round_}", "dac_member")
    request = make_submitted()
    services.access_request_approve(
        actor=personas.dac_member, request=request, conditions=conditions(), now=T0
    )
    results = _race(
        lambda: services.access_request_approve(
            actor=personas.dac_member_2, request=request, conditions=conditions(), now=T0
        ),
        lambda: services.access_request_reject(
            actor=third, request=request, reason="Insufficient safeguards", now=T0
        ),
    )
    request = AccessRequest.objects.get(pk=request.pk)
    failures = [r for r in results if isinstance(r, Exception)]
    assert len(failures) == 1 and failures[0].code == "invalid_transition"
    if request.status == RequestStatus.APPROVED:
        assert AccessGrant.objects.filter(request=request).count() == 1
        assert _events(request) == [
            "access.request_approve",
            "access.request_approve",
            "access.grant_create",
        ]
    else:
        assert request.status == RequestStatus.REJECTED
        assert not AccessGrant.objects.filter(request=request).exists()
        assert _events(request) == ["access.request_approve", "access.request_reject"]
