"""Which subjects may a purpose use? The matcher's rules as one SQL query.

``eligible_subjects`` answers for a whole population in the database, never by a
Python loop over subjects, and agrees with ``decide`` subject by subject (the tests
check this on a mixed population). Disease coverage is computed in Python once per
purpose disease (its set of covering terms across vocabularies), then tested in SQL
against each consent's ``ConsentDisease`` rows; modifiers are tested with LIKE on the
comma-wrapped ``modifiers`` column.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from django.db import connection
from django.db.models import BooleanField, Exists, F, Func, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from consent import duo
from consent.models import ConsentDisease, ConsentRecord, ConsentStatus, Subject
from governance.errors import ValidationFailed
from governance.gate.decision import CATEGORIES
from governance.gate.purpose import Purpose
from governance.gate.selectors import covering_terms, ontology_generation

# Permissions that admit each purpose category without a disease check.
_ADMITTED_BY = {
    duo.GRU: (duo.NRES, duo.GRU),
    duo.HMB: (duo.NRES, duo.GRU, duo.HMB),
    duo.DS: (duo.NRES, duo.GRU, duo.HMB),
    duo.POA: (duo.NRES, duo.GRU, duo.POA),
    duo.CC: (duo.NRES, duo.GRU, duo.HMB, duo.POA),
}


class _Columns(Func):
    """A Func whose SQL is written per database from its compiled column arguments."""

    output_field = BooleanField()

    def _columns(self, compiler, connection) -> list[str]:
        sqls = []
        for expression in self.get_source_expressions():
            sql, params = compiler.compile(expression)
            if params:  # plain columns only: their SQL carries no parameters
                raise ValueError("column expressions only")
            sqls.append(sql)
        return sqls


class JsonListHas(_Columns):
    """True when a JSON list column holds ``value`` exactly."""

    def __init__(self, column: str, value: str):
        super().__init__(F(column))
        self.value = value

    def as_sqlite(self, compiler, connection, **extra):
        (column,) = self._columns(compiler, connection)
        # The column SQL is compiled by Django from a model field; the value is a parameter.
        return f"EXISTS (SELECT 1 FROM json_each({column}) AS je WHERE je.value = %s)", [self.value]  # noqa: S608

    def as_postgresql(self, compiler, connection, **extra):
        (column,) = self._columns(compiler, connection)
        return f"({column} @> %s::jsonb)", [json.dumps([self.value])]


class TimeLimitEnded(_Columns):
    """True when a TS limit (``months`` from ``use_start``, else from the consent's valid
    date) ends on or before ``day``. Months are added with the end of a shorter month
    clamped, as ``dateutil.relativedelta`` does in the matcher."""

    def __init__(self, prefix: str, day):
        super().__init__(F(prefix + "use_start"), F(prefix + "valid_from"), F(prefix + "months"))
        self.day = day

    def as_sqlite(self, compiler, connection, **extra):
        use_start, valid_from, months = self._columns(compiler, connection)
        start = f"COALESCE({use_start}, date({valid_from}))"
        last_day = f"CAST(strftime('%%d', date({start}, 'start of month', '+' || ({months} + 1) || ' months', '-1 day')) AS INTEGER)"
        day = f"min(CAST(strftime('%%d', {start}) AS INTEGER), {last_day})"
        end = f"date({start}, 'start of month', '+' || {months} || ' months', '+' || ({day} - 1) || ' days')"
        return f"({end} <= %s)", [self.day.isoformat()]

    def as_postgresql(self, compiler, connection, **extra):
        use_start, valid_from, months = self._columns(compiler, connection)
        start = f"COALESCE({use_start}, ({valid_from} AT TIME ZONE 'UTC')::date)"
        return f"(({start} + make_interval(months => {months}))::date <= %s)", [self.day]


def _has(prefix: str, code: str) -> Q:
    return Q(**{f"{prefix}modifiers__contains": f",{code},"})


def _named(prefix: str, code: str, column: str, value: str) -> Q:
    """Consents carrying ``code`` whose ``column`` list does not name ``value``."""
    if not value:
        return _has(prefix, code)
    return _has(prefix, code) & ~Q(JsonListHas(prefix + column, value))


def conditions(purpose: Purpose, category: str, at: datetime, *, prefix: str, consent_id: str) -> Q:
    """The Q a consent version (columns under ``prefix``) must satisfy for this purpose."""
    p, today = purpose, at.astimezone(UTC).date()
    use_date = p.date or today
    q = Q(
        **{
            f"{prefix}status": ConsentStatus.ACTIVE,
            f"{prefix}valid_from__lte": at,
            f"{prefix}cat_{category}": True,
        }
    )
    q &= Q(**{f"{prefix}valid_until__isnull": True}) | Q(**{f"{prefix}valid_until__gt": at})
    # The permission, and the disease coverage of disease-specific consents.
    allowed = Q(**{f"{prefix}permission__in": _ADMITTED_BY[p.category]})
    if p.category in (duo.DS, duo.CC) and p.diseases:
        generation = ontology_generation()
        covered = Q(**{f"{prefix}permission": duo.DS})
        for disease in p.diseases:
            terms = list(covering_terms(disease, generation=generation))
            # One uncorrelated IN-subquery per disease: the database builds the set of
            # consents naming a covering term once, then probes it per row.
            with_term = ConsentDisease.objects.filter(term__in=terms).values("consent_id")
            covered &= Q(**{f"{consent_id}__in": with_term})
        allowed |= covered
    q &= allowed
    # The modifiers, each excluding the consents whose condition this purpose fails.
    excluded = [_has(prefix, duo.RS)]
    if not (p.not_for_profit and not p.commercial):
        excluded += [_has(prefix, duo.NPU), _has(prefix, duo.NPUNCU)]
    if p.commercial:
        excluded.append(_has(prefix, duo.NCU))
    for flag, code in (
        (p.ethics_approval, duo.IRB),
        (p.publication, duo.PUB),
        (p.collaboration, duo.COL),
        (p.return_results, duo.RTN),
        (p.genetic_study, duo.GSO),
    ):
        if not flag:
            excluded.append(_has(prefix, code))
    excluded.append(_named(prefix, duo.GS, "countries", p.country))
    excluded.append(_named(prefix, duo.US, "users", p.user))
    excluded.append(_named(prefix, duo.PS, "projects", p.project))
    excluded.append(_named(prefix, duo.IS, "institutions", p.institution))
    excluded.append(_has(prefix, duo.TS) & Q(TimeLimitEnded(prefix, max(today, use_date))))
    if p.publication:
        excluded.append(_has(prefix, duo.MOR) & Q(**{f"{prefix}moratorium__gt": use_date}))
    if p.methods_development and p.category != duo.DS:
        excluded.append(_has(prefix, duo.NMDS))
    if p.category == duo.POA:
        excluded.append(_has(prefix, duo.NPOA))
    if p.category == duo.CC:
        q &= _has(prefix, duo.CC)
    passes = Q()
    for condition in excluded:
        passes &= ~condition
    # Most consents carry no modifier: one comparison lets them skip every LIKE.
    return q & (Q(**{f"{prefix}modifiers": ""}) | passes)


def eligible_subjects(
    *, purpose: Purpose, category: str, at: datetime | None = None
) -> QuerySet[Subject]:
    """Subjects whose consent in force at ``at`` (default now) permits ``purpose`` for
    ``category`` data, as a queryset ordered by primary key. Erased subjects never are.

    When no consent version was recorded after ``at``, each subject's in-force version
    is its ``current_consent`` (one join); otherwise it is the version recorded last at
    or before ``at``, found per subject in SQL.
    """
    if category not in CATEGORIES:
        raise ValidationFailed(f"category: expected one of {', '.join(CATEGORIES)}")
    at = at or timezone.now()
    subjects = Subject.objects.filter(erased_at__isnull=True)
    if not ConsentRecord.objects.filter(recorded_at__gt=at).exists():
        q = conditions(
            purpose, category, at, prefix="current_consent__", consent_id="current_consent_id"
        )
        return subjects.filter(q).order_by("pk")
    # The version in force: the one recorded last at or before ``at``. PostgreSQL runs
    # "no later version recorded by then" as a hash anti-join; SQLite is faster probing
    # its (subject, recorded_at) index once per row for the latest version.
    if connection.vendor == "postgresql":
        later = ConsentRecord.objects.filter(
            subject_id=OuterRef("subject_id"), recorded_at__lte=at, version__gt=OuterRef("version")
        )
        records = ConsentRecord.objects.filter(recorded_at__lte=at).filter(~Exists(later))
    else:
        latest = (
            ConsentRecord.objects.filter(subject_id=OuterRef("subject_id"), recorded_at__lte=at)
            .order_by("-version")
            .values("pk")[:1]
        )
        records = ConsentRecord.objects.filter(pk=Subquery(latest))
    records = records.filter(conditions(purpose, category, at, prefix="", consent_id="pk"))
    return subjects.filter(pk__in=records.values("subject_id")).order_by("pk")
