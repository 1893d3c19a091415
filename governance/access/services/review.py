"""The DAC's review: approval votes (two distinct members) and rejection."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from governance.access.criteria import GrantConditions
from governance.access.exceptions import AlreadyVoted, NotDacMember, SelfApprovalRefused
from governance.access.models import (
    APPROVALS_REQUIRED,
    AccessGrant,
    AccessRequest,
    AccessRequestApproval,
    GrantStatus,
    RequestStatus,
)
from governance.access.services.requests import lock_request, move
from governance.audit import Action, audit_append
from governance.errors import InvalidTransition, ValidationFailed
from governance.roles import Role, has_role


def _reviewable(actor, request: AccessRequest) -> AccessRequest:
    """Lock the request and check that ``actor`` may review it now."""
    if not has_role(actor, Role.DAC_MEMBER):
        raise NotDacMember()
    request = lock_request(request)
    if request.requester_id == actor.pk:
        raise SelfApprovalRefused()
    if request.status != RequestStatus.SUBMITTED:
        raise InvalidTransition(
            f"status: a {request.status} request is not awaiting review",
            extra={"status": request.status},
        )
    return request


@transaction.atomic
def access_request_approve(
    *, actor, request: AccessRequest, conditions: dict, now: datetime | None = None
) -> AccessRequest:
    """Record ``actor``'s approval vote, with the conditions they set.

    Approval needs two distinct DAC members, neither of them the requester. The second
    vote approves the request and creates its ``AccessGrant`` under the strictest
    combination of both votes' conditions (``GrantConditions.strictest``). The request
    row is locked first, so concurrent votes serialise: exactly one of them is second.
    """
    now = now or timezone.now()
    request = _reviewable(actor, request)
    vote = GrantConditions.from_dict(conditions, requested=request.categories, now=now)
    if AccessRequestApproval.objects.filter(request=request, member=actor).exists():
        raise AlreadyVoted()
    earlier = list(
        AccessRequestApproval.objects.filter(request=request).order_by("created_at", "id")
    )
    approval = AccessRequestApproval(
        request=request, member=actor, conditions=vote.as_dict(), created_at=now
    )
    approval.full_clean(exclude=["request", "member"])
    approval.save()
    audit_append(
        actor=actor,
        action=Action.ACCESS_REQUEST_APPROVE,
        object_type="access_request",
        object_id=request.pk,
        purpose=request.purpose_id,
        extra={
            "vote": len(earlier) + 1,
            "of": APPROVALS_REQUIRED,
            "k": vote.k,
            "categories": list(vote.categories),
        },
        now=now,
    )
    if len(earlier) + 1 < APPROVALS_REQUIRED:
        return request

    final = vote
    for other in earlier:
        # Each earlier vote was validated when it was cast; read it back as of then.
        cast = GrantConditions.from_dict(
            other.conditions, requested=request.categories, now=other.created_at
        )
        final = final.strictest(cast)
    if final.expires_at <= now:
        raise ValidationFailed(
            "conditions.expires_at: an earlier approval's expiry has passed; that member must vote again",
            extra={"field": "conditions.expires_at"},
        )
    move(request, RequestStatus.APPROVED)
    request.decided_at = request.updated_at = now
    request.decided_by = actor
    request.save(update_fields=["status", "decided_at", "updated_at", "decided_by"])
    grant = AccessGrant(
        request=request,
        researcher_id=request.requester_id,
        purpose_data=request.purpose_data,
        categories=list(final.categories),
        cohort=request.cohort,
        k=final.k,
        l_diversity=final.l_diversity,
        sensitive_column=final.sensitive_column,
        expires_at=final.expires_at,
        status=GrantStatus.ACTIVE,
        created_at=now,
    )
    grant.full_clean(exclude=["request", "researcher"])
    grant.save()
    audit_append(
        actor=actor,
        action=Action.ACCESS_GRANT_CREATE,
        object_type="access_grant",
        object_id=grant.pk,
        purpose=grant.purpose_id,
        extra={
            "request": request.pk,
            "researcher": request.requester_id,
            "k": grant.k,
            "l": grant.l_diversity,
            "categories": grant.categories,
            "expires_at": grant.expires_at.isoformat(),
            "approvers": [a.member_id for a in earlier] + [actor.pk],
        },
        now=now,
    )
    return request


@transaction.atomic
def access_request_reject(
    *, actor, request: AccessRequest, reason: str, now: datetime | None = None
) -> AccessRequest:
    """Reject a submitted request. The reason is required and shown to the researcher."""
    now = now or timezone.now()
    if not isinstance(reason, str) or not reason.strip():
        raise ValidationFailed("reason: say why the request is rejected", extra={"field": "reason"})
    if len(reason) > 2000:
        raise ValidationFailed("reason: at most 2000 characters", extra={"field": "reason"})
    request = _reviewable(actor, request)
    move(request, RequestStatus.REJECTED)
    request.decided_at = request.updated_at = now
    request.decided_by = actor
    request.decision_reason = reason.strip()
    request.save(
        update_fields=["status", "decided_at", "updated_at", "decided_by", "decision_reason"]
    )
    # The reason is free text for the researcher; the ledger keeps IDs only.
    audit_append(
        actor=actor,
        action=Action.ACCESS_REQUEST_REJECT,
        object_type="access_request",
        object_id=request.pk,
        purpose=request.purpose_id,
        outcome="denied",
        extra={"votes_before": request.approvals.count()},
        now=now,
    )
    return request
