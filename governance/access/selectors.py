"""Reads of access governance, including the access functions for requests and grants.

Each ``*_get_for_user`` raises the same ``NotFound`` for a missing object and for one
the caller may not see, so IDs reveal nothing.
"""

from __future__ import annotations

from datetime import datetime

from django.db.models import QuerySet
from django.utils import timezone

from consent.models import Subject
from governance.access.criteria import Estimate, cohort_filter
from governance.access.exceptions import GrantInactive
from governance.access.models import AccessGrant, AccessRequest, RequestStatus, ResearcherKey
from governance.errors import NotFound, ValidationFailed
from governance.gate import eligible_subjects
from governance.roles import Role, has_role


def researcher_key_active(*, user) -> ResearcherKey | None:
    """The researcher's one active key, or None."""
    return ResearcherKey.objects.filter(user=user, is_active=True).first()


def researcher_public_key(*, user) -> bytes:
    """The raw 32-byte X25519 key that exports for ``user`` are encrypted to."""
    key = researcher_key_active(user=user)
    if key is None:
        raise ValidationFailed(
            "public_key: the researcher has no registered Crypt4GH public key",
            extra={"field": "public_key"},
        )
    return key.public_key_bytes


def access_request_get_for_user(*, user, request_id) -> AccessRequest:
    """A request its requester may see, or a submitted-or-later one a DAC member may see."""
    try:
        request = AccessRequest.objects.select_related("requester").get(pk=int(request_id))
    except (AccessRequest.DoesNotExist, TypeError, ValueError):
        raise NotFound() from None
    if request.requester_id == user.pk and has_role(user, Role.RESEARCHER):
        return request
    if has_role(user, Role.DAC_MEMBER) and request.status != RequestStatus.DRAFT:
        return request
    raise NotFound()


def access_requests_of_researcher(*, user) -> QuerySet[AccessRequest]:
    return AccessRequest.objects.filter(requester=user).order_by("-created_at", "-id")


def access_requests_for_dac(
    *, status: str | None = RequestStatus.SUBMITTED
) -> QuerySet[AccessRequest]:
    """The DAC's view: never drafts. ``status=None`` lists every reviewed-or-pending request."""
    requests = AccessRequest.objects.exclude(status=RequestStatus.DRAFT).select_related("requester")
    if status:
        requests = requests.filter(status=status)
    return requests.prefetch_related("approvals").order_by("submitted_at", "id")


def cohort_subjects(
    *, purpose, categories: list[str], cohort: dict, at: datetime
) -> QuerySet[Subject]:
    """Subjects whose consent in force at ``at`` allows ``purpose`` for every one of
    ``categories`` (the gate decides, in SQL) and who match the cohort criteria."""
    subjects = Subject.objects.all()
    for category in categories:
        subjects = subjects.filter(
            pk__in=eligible_subjects(purpose=purpose, category=category, at=at).values("pk")
        )
    return cohort_filter(subjects, cohort, at=at)


def access_request_eligibility(*, request: AccessRequest, at: datetime | None = None) -> Estimate:
    """How many subjects the request would cover now, safe to show: rounded down to
    the nearest 10, and "fewer than 10" below that, never an exact small count."""
    at = at or timezone.now()
    count = cohort_subjects(
        purpose=request.purpose, categories=request.categories, cohort=request.cohort, at=at
    ).count()
    return Estimate.of(count)


def access_grant_get_for_user(*, user, grant_id) -> AccessGrant:
    """A grant its researcher may see (their own only), or any grant for a DAC member."""
    try:
        grant = AccessGrant.objects.select_related("researcher", "request").get(pk=int(grant_id))
    except (AccessGrant.DoesNotExist, TypeError, ValueError):
        raise NotFound() from None
    if grant.researcher_id == user.pk and has_role(user, Role.RESEARCHER):
        return grant
    if has_role(user, Role.DAC_MEMBER):
        return grant
    raise NotFound()


def access_grants_of_researcher(*, user) -> QuerySet[AccessGrant]:
    return (
        AccessGrant.objects.filter(researcher=user)
        .select_related("request")
        .order_by("-created_at", "-id")
    )


def access_grants_for_dac() -> QuerySet[AccessGrant]:
    return AccessGrant.objects.select_related("researcher", "request").order_by(
        "-created_at", "-id"
    )


def access_grant_require_active(*, grant: AccessGrant, at: datetime | None = None) -> AccessGrant:
    """The grant as stored now, if it is active at ``at``; else ``GrantInactive``.

    It re-reads the row, so a revocation committed a moment ago is seen: exports call
    this before they start and again before they publish.
    """
    at = at or timezone.now()
    current = AccessGrant.objects.filter(pk=grant.pk).first()
    if current is None or not current.is_active(at):
        raise GrantInactive("The access grant is revoked or expired.", extra={"grant": grant.pk})
    return current


def access_grant_public_key(*, grant: AccessGrant) -> bytes:
    """The grant's researcher's active Crypt4GH public key (raw 32 bytes)."""
    return researcher_public_key(user=grant.researcher)
