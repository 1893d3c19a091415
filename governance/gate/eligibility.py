"""Which subjects may a purpose use? The matcher's rules as one SQL query.

``eligible_subjects`` answers for a whole population in the database, never by a
Python loop over subjects, and agrees with ``decide`` subject by subject (the tests
check this on a mixed population). Disease coverage is computed in Python once per
purpose disease (its set of covering terms across vocabularies), then tested in SQL
against each consent's ``ConsentDisease`` rows.

The consent in force now is read from the subject row itself, where the database keeps
the current version's terms as bits and dates (``consent.current_terms``): the query
scans subjects alone, with integer masks for the permission and modifiers. A consent in
force at a past instant is read from the versions, modifiers matched in the
comma-wrapped ``modifiers`` column.
"""

from __future__ import annotations

import json
import operator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import reduce

from django.db import connection
from django.db.models import BooleanField, Exists, F, Func, OuterRef, Q, QuerySet, Subquery
from django.db.models.lookups import Exact, GreaterThan
from django.utils import timezone

from consent import duo
from consent.current_terms import (
    ACTIVE,
    CATEGORY_BITS,
    TERM_BITS,
    term_mask,
    ts_end_postgres,
    ts_end_sqlite,
)
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
        end = ts_end_sqlite(*self._columns(compiler, connection)).replace("%", "%%")
        return f"({end} <= %s)", [self.day.isoformat()]

    def as_postgresql(self, compiler, connection, **extra):
        end = ts_end_postgres(*self._columns(compiler, connection))
        return f"({end} <= %s)", [self.day]


@dataclass(frozen=True)
class _Rules:
    """What a consent version must hold to permit one purpose at one instant, whether its
    terms are read from the version or from the subject's copy of the current one."""

    admitted: tuple[str, ...]  # permissions that admit the purpose without a disease check
    disease_sets: tuple[tuple[str, ...], ...]  # DS: each purpose disease's covering terms
    required: tuple[str, ...]  # modifiers that must be present
    excluded: tuple[str, ...]  # modifiers whose presence excludes
    named: tuple[tuple[str, str, str], ...]  # (modifier, list column, name): must be listed
    use_day: date  # a TS limit must end after this day
    moratorium_day: date | None  # a MOR moratorium must not end after this day


def _rules(purpose: Purpose, at: datetime) -> _Rules:
    p, today = purpose, at.astimezone(UTC).date()
    use_date = p.date or today
    disease_sets = ()
    if p.category in (duo.DS, duo.CC) and p.diseases:
        generation = ontology_generation()
        disease_sets = tuple(
            tuple(covering_terms(disease, generation=generation)) for disease in p.diseases
        )
    excluded = [duo.RS]
    if not (p.not_for_profit and not p.commercial):
        excluded += [duo.NPU, duo.NPUNCU]
    if p.commercial:
        excluded.append(duo.NCU)
    for flag, code in (
        (p.ethics_approval, duo.IRB),
        (p.publication, duo.PUB),
        (p.collaboration, duo.COL),
        (p.return_results, duo.RTN),
        (p.genetic_study, duo.GSO),
    ):
        if not flag:
            excluded.append(code)
    named = []
    for code, column, value in (
        (duo.GS, "countries", p.country),
        (duo.US, "users", p.user),
        (duo.PS, "projects", p.project),
        (duo.IS, "institutions", p.institution),
    ):
        if value:
            named.append((code, column, value))
        else:
            excluded.append(code)
    if p.methods_development and p.category != duo.DS:
        excluded.append(duo.NMDS)
    if p.category == duo.POA:
        excluded.append(duo.NPOA)
    return _Rules(
        admitted=_ADMITTED_BY[p.category],
        disease_sets=disease_sets,
        required=(duo.CC,) if p.category == duo.CC else (),
        excluded=tuple(excluded),
        named=tuple(named),
        use_day=max(today, use_date),
        moratorium_day=use_date if p.publication else None,
    )


def _all_of(conditions) -> Q:
    return reduce(operator.and_, conditions, Q())


def _has(code: str) -> Q:
    return Q(modifiers__contains=f",{code},")


def _version_conditions(rules: _Rules, category: str, at: datetime) -> Q:
    """The Q a ``ConsentRecord`` must satisfy: its own columns, modifiers matched in the
    comma-wrapped ``modifiers`` text."""
    q = Q(status=ConsentStatus.ACTIVE, valid_from__lte=at, **{f"cat_{category}": True})
    q &= Q(valid_until__isnull=True) | Q(valid_until__gt=at)
    allowed = Q(permission__in=rules.admitted)
    if rules.disease_sets:
        # One uncorrelated IN-subquery per disease: the database builds the set of
        # consents naming a covering term once, then probes it per row.
        allowed |= Q(permission=duo.DS) & _all_of(
            Q(pk__in=ConsentDisease.objects.filter(term__in=terms).values("consent_id"))
            for terms in rules.disease_sets
        )
    q &= allowed & _all_of(_has(code) for code in rules.required)
    # The modifiers, each excluding the consents whose condition this purpose fails.
    excluded = [_has(code) for code in rules.excluded]
    excluded += [_has(code) & ~Q(JsonListHas(column, value)) for code, column, value in rules.named]
    excluded.append(_has(duo.TS) & Q(TimeLimitEnded("", rules.use_day)))
    if rules.moratorium_day:
        excluded.append(_has(duo.MOR) & Q(moratorium__gt=rules.moratorium_day))
    # Most consents carry no modifier: one comparison lets them skip the rest.
    return q & (Q(modifiers="") | _all_of(~condition for condition in excluded))


def _bits(mask: int):
    return F("current_terms").bitand(mask)


def _current_conditions(rules: _Rules, category: str, at: datetime) -> Q:
    """The Q a ``Subject`` must satisfy through the terms of its current version kept on
    its own row (``consent.current_terms``): integer masks, date comparisons and, for
    the few consents naming countries, users, projects or institutions, a list test.
    The cheapest and most selective tests come first."""
    required = ACTIVE | CATEGORY_BITS[category] | term_mask(rules.required)
    # Required bits all set and excluded modifiers all absent, in one comparison.
    q = Q(Exact(_bits(required | term_mask(rules.excluded)), required))
    allowed = Q(GreaterThan(_bits(term_mask(rules.admitted)), 0))
    if rules.disease_sets:
        allowed |= Q(GreaterThan(_bits(TERM_BITS[duo.DS]), 0)) & _all_of(
            Q(
                current_consent_id__in=ConsentDisease.objects.filter(term__in=terms).values(
                    "consent_id"
                )
            )
            for terms in rules.disease_sets
        )
    q &= allowed
    q &= Q(current_valid_from__lte=at)
    q &= Q(current_valid_until__isnull=True) | Q(current_valid_until__gt=at)
    # Modifiers that permit on a condition: each passes when absent or when met.
    conditional = {duo.TS: Q(current_use_ends__gt=rules.use_day)}
    if rules.moratorium_day:
        conditional[duo.MOR] = Q(current_moratorium__lte=rules.moratorium_day) | Q(
            current_moratorium__isnull=True
        )
    for code, column, value in rules.named:
        conditional[code] = Q(JsonListHas(f"current_{column}", value))
    checks = _all_of(Q(Exact(_bits(TERM_BITS[code]), 0)) | met for code, met in conditional.items())
    # Most consents carry none of them: one comparison lets them skip the rest.
    return q & (Q(Exact(_bits(term_mask(conditional)), 0)) | checks)


def eligible_subjects(
    *, purpose: Purpose, category: str, at: datetime | None = None
) -> QuerySet[Subject]:
    """Subjects whose consent in force at ``at`` (default now) permits ``purpose`` for
    ``category`` data, as a queryset ordered by primary key. Erased subjects never are.

    When no consent version was recorded after ``at``, each subject's in-force version
    is its ``current_consent``, whose terms the subject row itself holds (no join);
    otherwise it is the version recorded last at or before ``at``, found per subject in
    SQL.
    """
    if category not in CATEGORIES:
        raise ValidationFailed(f"category: expected one of {', '.join(CATEGORIES)}")
    at = at or timezone.now()
    rules = _rules(purpose, at)
    subjects = Subject.objects.filter(erased_at__isnull=True)
    if not ConsentRecord.objects.filter(recorded_at__gt=at).exists():
        return subjects.filter(_current_conditions(rules, category, at)).order_by("pk")
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
    records = records.filter(_version_conditions(rules, category, at))
    return subjects.filter(pk__in=records.values("subject_id")).order_by("pk")
