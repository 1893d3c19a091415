"""Anomaly flags over the ledger: patterns a compliance officer should look at.

Three kinds: one user reading many distinct subjects in a short window, denials (and
failures) in bursts, and data use under a grant outside the grant's period. A flag is
a prompt to review, not a finding; thresholds are settings.
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from django.conf import settings
from django.db.models import QuerySet

from governance.ledger.actions import Outcome
from governance.ledger.models import AuditEvent

MANY_SUBJECTS = "many_subjects"
DENIAL_BURST = "denial_burst"
OUTSIDE_GRANT = "outside_grant"

KIND_LABELS = {
    MANY_SUBJECTS: "Many subjects in a short time",
    DENIAL_BURST: "Burst of denials",
    OUTSIDE_GRANT: "Use outside the grant's period",
}

# Actions that manage grants and the ledger itself are not uses of data under a grant.
_NOT_DATA_USE = ("access.", "audit.", "auth.")


@dataclass(frozen=True)
class Flag:
    kind: str
    actor: str
    start: datetime
    end: datetime
    count: int
    detail: str
    first_seq: int

    @property
    def label(self) -> str:
        return KIND_LABELS[self.kind]


@dataclass(frozen=True)
class GrantPeriod:
    starts: datetime
    ends: datetime  # the earlier of the expiry and the revocation


class GrantPeriods(Protocol):
    def __call__(self, grant_ids: Iterable[int]) -> dict[int, GrantPeriod]: ...


def access_grant_periods(grant_ids: Iterable[int]) -> dict[int, GrantPeriod]:
    """The period each access grant was usable: from creation to expiry or revocation."""
    from governance.access.models import AccessGrant

    periods = {}
    for grant in AccessGrant.objects.filter(pk__in=list(grant_ids)).only("pk", "created_at", "expires_at", "ended_at"):
        ends = min(grant.expires_at, grant.ended_at) if grant.ended_at else grant.expires_at
        periods[grant.pk] = GrantPeriod(starts=grant.created_at, ends=ends)
    return periods


def _windowed(rows, *, threshold: int, window: timedelta, kind: str, distinct: bool) -> list[Flag]:
    """Slide a window over each actor's events; flag each maximal run that reaches ``threshold``."""
    flags: list[Flag] = []
    per_actor: dict[str, list[tuple[int, datetime, str]]] = defaultdict(list)
    for seq, at, actor, key in rows:
        per_actor[actor].append((seq, at, key))
    for actor, items in per_actor.items():
        items.sort(key=lambda item: (item[1], item[0]))
        inside: deque = deque()
        counts: dict[str, int] = defaultdict(int)
        current: Flag | None = None
        for seq, at, key in items:
            inside.append((seq, at, key))
            counts[key] += 1
            while inside and at - inside[0][1] > window:
                _, _, old = inside.popleft()
                counts[old] -= 1
                if not counts[old]:
                    del counts[old]
            size = len(counts) if distinct else len(inside)
            if size >= threshold:
                start_seq, start_at, _ = inside[0]
                if current and start_at <= current.end:
                    current = Flag(kind, actor, current.start, at, max(current.count, size), current.detail, current.first_seq)
                    flags[-1] = current
                else:
                    current = Flag(kind, actor, start_at, at, size, "", start_seq)
                    flags.append(current)
    return flags


def flag_many_subjects(events: QuerySet[AuditEvent], *, threshold: int | None = None,
                       window: timedelta | None = None) -> list[Flag]:
    """Users who touched at least ``threshold`` distinct subjects within ``window``."""
    threshold = threshold or settings.HELIX_ANOMALY_SUBJECTS
    window = window or timedelta(minutes=settings.HELIX_ANOMALY_SUBJECTS_WINDOW_MINUTES)
    rows = (
        events.exclude(subject_code="")
        .exclude(actor_id=None)
        .order_by()
        .values_list("seq", "occurred_at", "actor", "subject_code")
    )
    flags = _windowed(rows.iterator(), threshold=threshold, window=window, kind=MANY_SUBJECTS, distinct=True)
    return [
        Flag(f.kind, f.actor, f.start, f.end, f.count, f"{f.count} distinct subjects within {window}", f.first_seq)
        for f in flags
    ]


def flag_denial_bursts(events: QuerySet[AuditEvent], *, threshold: int | None = None,
                       window: timedelta | None = None) -> list[Flag]:
    """Actors (anonymous failed logins included) with ``threshold`` denials or failures within ``window``."""
    threshold = threshold or settings.HELIX_ANOMALY_DENIALS
    window = window or timedelta(minutes=settings.HELIX_ANOMALY_DENIALS_WINDOW_MINUTES)
    refused = events.filter(outcome__in=[Outcome.DENIED, Outcome.FAILED]).order_by()
    rows = ((seq, at, actor, seq) for seq, at, actor in refused.values_list("seq", "occurred_at", "actor").iterator())
    flags = _windowed(rows, threshold=threshold, window=window, kind=DENIAL_BURST, distinct=False)
    return [
        Flag(f.kind, f.actor, f.start, f.end, f.count, f"{f.count} denials or failures within {window}", f.first_seq)
        for f in flags
    ]


def flag_outside_grant(events: QuerySet[AuditEvent], *, periods: GrantPeriods = access_grant_periods) -> list[Flag]:
    """Allowed uses recorded under ``grant:<id>`` before the grant began or after it ended."""
    candidates = events.filter(purpose__startswith="grant:", outcome=Outcome.ALLOWED).order_by("seq")
    for prefix in _NOT_DATA_USE:
        candidates = candidates.exclude(action__startswith=prefix)
    rows = list(candidates.values_list("seq", "occurred_at", "actor", "purpose", "action"))
    ids = {int(purpose[6:]) for _, _, _, purpose, _ in rows if purpose[6:].isdigit()}
    known = periods(ids) if ids else {}
    flags = []
    for seq, at, actor, purpose, action in rows:
        grant_id = int(purpose[6:]) if purpose[6:].isdigit() else None
        period = known.get(grant_id)
        if period is None:
            flags.append(Flag(OUTSIDE_GRANT, actor, at, at, 1, f"{action} under {purpose}, which does not exist", seq))
        elif at > period.ends:
            flags.append(Flag(OUTSIDE_GRANT, actor, at, at, 1, f"{action} under {purpose} after it ended", seq))
        elif at < period.starts:
            flags.append(Flag(OUTSIDE_GRANT, actor, at, at, 1, f"{action} under {purpose} before it began", seq))
    return flags


def anomalies(events: QuerySet[AuditEvent], *, periods: GrantPeriods = access_grant_periods) -> list[Flag]:
    """Every flag over ``events``, newest first."""
    flags = flag_many_subjects(events) + flag_denial_bursts(events) + flag_outside_grant(events, periods=periods)
    return sorted(flags, key=lambda flag: flag.end, reverse=True)
