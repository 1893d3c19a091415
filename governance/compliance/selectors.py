"""Reads of the ledger for the console and the patient view.

``patient_event_get_for_user`` is the access function for a single event seen from the
portal: it raises the same ``NotFound`` for an event that does not exist and for one
about someone else.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.db.models import Count, Max, Min, Q, QuerySet
from django.db.models.functions import TruncDay, TruncHour

from consent.models import Subject
from governance.compliance.forms import EventFilter
from governance.compliance.models import VerificationRun
from governance.errors import NotFound
from governance.ledger import selectors as ledger_selectors
from governance.ledger.actions import Outcome
from governance.ledger.models import AuditEvent

# The console's and the patient's own reading of the ledger, which the patient's list
# of "who used my data" leaves out (it would otherwise grow each time they look).
AUDIT_READ_ACTIONS = ("audit.view", "audit.export")


def events_filtered(*, filters: EventFilter) -> QuerySet[AuditEvent]:
    """Events matching ``filters``, newest first. The actor is a username or a user ID."""
    events = ledger_selectors.event_list(
        subject_code=filters.subject_code or None,
        action=filters.action or None,
        purpose=filters.purpose or None,
        outcome=filters.outcome or None,
        since=filters.since,
        until=filters.until,
    )
    if filters.actor:
        condition = Q(actor=filters.actor)
        if filters.actor.isdigit():
            condition |= Q(actor_id=int(filters.actor))
        events = events.filter(condition)
    return events


@dataclass(frozen=True)
class Summary:
    total: int
    first: datetime | None
    last: datetime | None
    by_action: list[tuple[str, int]]
    by_outcome: list[tuple[str, int]]
    by_purpose: list[tuple[str, int]]
    by_actor: list[tuple[str, int]]
    subjects: int


def _counts(events: QuerySet[AuditEvent], field: str, limit: int = 50) -> list[tuple[str, int]]:
    rows = events.order_by().values(field).annotate(n=Count("seq")).order_by("-n", field)[:limit]
    return [(row[field], row["n"]) for row in rows]


def events_summary(events: QuerySet[AuditEvent]) -> Summary:
    """Counts by action, outcome, purpose and actor over ``events``."""
    bounds = events.order_by().aggregate(total=Count("seq"), first=Min("occurred_at"), last=Max("occurred_at"))
    return Summary(
        total=bounds["total"],
        first=bounds["first"],
        last=bounds["last"],
        by_action=_counts(events, "action"),
        by_outcome=_counts(events, "outcome"),
        by_purpose=[(p, n) for p, n in _counts(events.exclude(purpose=""), "purpose")],
        by_actor=_counts(events, "actor"),
        subjects=events.exclude(subject_code="").order_by().values("subject_code").distinct().count(),
    )


@dataclass(frozen=True)
class Bucket:
    start: datetime
    allowed: int
    refused: int

    @property
    def total(self) -> int:
        return self.allowed + self.refused


def accesses_over_time(events: QuerySet[AuditEvent], *, max_buckets: int = 60) -> tuple[str, list[Bucket]]:
    """Events per hour (spans up to a day) or per day, split into allowed and the rest.

    Returns the bucket unit ("hour" or "day") and the buckets, empty ones included, so
    gaps show as gaps. At most ``max_buckets`` of the most recent buckets are kept.
    """
    bounds = events.order_by().aggregate(first=Min("occurred_at"), last=Max("occurred_at"))
    if bounds["first"] is None:
        return "day", []
    hourly = bounds["last"] - bounds["first"] <= timedelta(days=1)
    unit, trunc, step = ("hour", TruncHour, timedelta(hours=1)) if hourly else ("day", TruncDay, timedelta(days=1))
    rows = (
        events.order_by()
        .annotate(bucket=trunc("occurred_at"))
        .values("bucket")
        .annotate(allowed=Count("seq", filter=Q(outcome=Outcome.ALLOWED)), total=Count("seq"))
    )
    found = {row["bucket"]: row for row in rows}
    if not found:
        return unit, []
    start, end = min(found), max(found)
    if (end - start) / step >= max_buckets:
        start = end - step * (max_buckets - 1)
    buckets = []
    at = start
    while at <= end:
        row = found.get(at)
        allowed = row["allowed"] if row else 0
        total = row["total"] if row else 0
        buckets.append(Bucket(start=at, allowed=allowed, refused=total - allowed))
        at += step
    return unit, buckets


def subjects_seen(*, limit: int = 200) -> list[str]:
    """Subject codes that appear in the ledger, for the report picker."""
    codes = AuditEvent.objects.exclude(subject_code="").order_by("subject_code")
    return list(codes.values_list("subject_code", flat=True).distinct()[:limit])


def actors_seen(*, limit: int = 200) -> list[tuple[int, str]]:
    """Users who appear in the ledger as actors: (user ID, username)."""
    ids = AuditEvent.objects.exclude(actor_id=None).order_by().values_list("actor_id", flat=True).distinct()
    users = get_user_model().objects.filter(pk__in=ids).order_by("username")[:limit]
    return [(user.pk, user.get_username()) for user in users]


def report_user_get(*, user_id) -> object:
    """A user the per-user report is about, or NotFound."""
    try:
        return get_user_model().objects.get(pk=int(user_id))
    except (get_user_model().DoesNotExist, TypeError, ValueError):
        raise NotFound() from None


def verification_latest() -> VerificationRun | None:
    return VerificationRun.objects.order_by("-started_at", "-id").first()


# The patient's view.


def patient_subject_for_user(*, user) -> Subject:
    """The subject a patient account stands for, or NotFound if it stands for none."""
    subject = Subject.objects.filter(user=user, user__isnull=False).first()
    if subject is None or user is None or not user.is_authenticated:
        raise NotFound()
    return subject


def patient_events(*, user) -> QuerySet[AuditEvent]:
    """The events about the patient's own subject, newest first."""
    subject = patient_subject_for_user(user=user)
    events = ledger_selectors.events_for_subject(subject_code=subject.code)
    return events.exclude(action__in=AUDIT_READ_ACTIONS, actor_id=user.pk)


def patient_event_get_for_user(*, user, seq) -> AuditEvent:
    """One event about the patient's own subject. Missing and someone else's: the same NotFound."""
    try:
        seq = int(seq)
    except (TypeError, ValueError):
        raise NotFound() from None
    event = patient_events(user=user).filter(seq=seq).first()
    if event is None:
        raise NotFound()
    return event
