"""The shapes a researcher and the DAC fill in: categories, cohort criteria, conditions.

Each validator returns a normalised copy or raises ``ValidationFailed`` naming the field.
Nothing is silently fixed: unknown keys and wrong types are refused.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import Q, QuerySet
from django.utils.dateparse import parse_datetime

from governance.access.models import CATEGORIES
from governance.errors import ValidationFailed

_CURIE = re.compile(r"^[A-Za-z][A-Za-z0-9_.]{0,15}:[A-Za-z0-9_.\-]{1,20}$")
_REGION = re.compile(r"^[A-Z]{1,2}[0-9]{0,2}[A-Z]?$")
_COLUMN = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
_SEXES = ("female", "male", "other", "unknown")
_MAX_LIST = 50

MIN_K = 5
MIN_L = 2
PREVIEW_FLOOR = 10


def validate_categories(value, *, field: str = "categories") -> list[str]:
    """A non-empty list of distinct data categories, in canonical order."""
    if not isinstance(value, list) or not value:
        raise ValidationFailed(
            f"{field}: choose at least one of {', '.join(CATEGORIES)}", extra={"field": field}
        )
    for item in value:
        if item not in CATEGORIES:
            raise ValidationFailed(
                f"{field}: unknown data category {item!r}", extra={"field": field}
            )
    return [c for c in CATEGORIES if c in value]


def _string_list(data: dict, key: str, pattern: re.Pattern, *, upper: bool = False) -> list[str]:
    value = data.get(key, [])
    if not isinstance(value, list) or len(value) > _MAX_LIST:
        raise ValidationFailed(
            f"cohort.{key}: expected a list of at most {_MAX_LIST} codes",
            extra={"field": f"cohort.{key}"},
        )
    out = []
    for item in value:
        text = item.strip().upper() if isinstance(item, str) and upper else item
        if not isinstance(text, str) or not pattern.match(text):
            raise ValidationFailed(
                f"cohort.{key}: {item!r} is not a valid code", extra={"field": f"cohort.{key}"}
            )
        if text not in out:
            out.append(text)
    return out


def _age(data: dict, key: str) -> int | None:
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 130:
        raise ValidationFailed(
            f"cohort.{key}: expected a whole number of years from 0 to 130",
            extra={"field": f"cohort.{key}"},
        )
    return value


def validate_cohort(data) -> dict:
    """Cohort criteria: all optional, combined with AND; values within one key with OR.

    ``{"diagnoses": ["MONDO:0005148"], "regions": ["CB", "SW1"],
    "sex": ["female"], "min_age": 18, "max_age": 80}``. ``diagnoses`` are CURIEs matched
    exactly against the subjects' recorded diagnoses; ``regions`` are UK postcode areas
    or districts matched as prefixes of the subject's postcode; ages are whole years at
    the moment of the query.
    """
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ValidationFailed("cohort: expected an object", extra={"field": "cohort"})
    unknown = sorted(set(data) - {"diagnoses", "regions", "sex", "min_age", "max_age"})
    if unknown:
        raise ValidationFailed(
            f"cohort.{unknown[0]}: unknown criterion", extra={"field": f"cohort.{unknown[0]}"}
        )
    sexes = data.get("sex", [])
    if not isinstance(sexes, list) or any(s not in _SEXES for s in sexes):
        raise ValidationFailed(
            f"cohort.sex: expected a list drawn from {', '.join(_SEXES)}",
            extra={"field": "cohort.sex"},
        )
    out: dict = {}
    diagnoses = _string_list(data, "diagnoses", _CURIE)
    regions = _string_list(data, "regions", _REGION, upper=True)
    min_age, max_age = _age(data, "min_age"), _age(data, "max_age")
    if min_age is not None and max_age is not None and min_age > max_age:
        raise ValidationFailed(
            "cohort.max_age: must not be below min_age", extra={"field": "cohort.max_age"}
        )
    for key, value in (
        ("diagnoses", diagnoses),
        ("regions", regions),
        ("sex", [s for s in _SEXES if s in sexes]),
    ):
        if value:
            out[key] = value
    if min_age is not None:
        out["min_age"] = min_age
    if max_age is not None:
        out["max_age"] = max_age
    return out


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February in a non-leap year
        return day.replace(year=day.year - years, day=28)


def cohort_filter(subjects: QuerySet, cohort: dict, *, at: datetime) -> QuerySet:
    """Narrow a subject queryset to the cohort criteria, in SQL."""
    if cohort.get("diagnoses"):
        subjects = subjects.filter(diagnoses__term__in=cohort["diagnoses"])
    if cohort.get("regions"):
        match = Q()
        for region in cohort["regions"]:
            match |= Q(postcode__istartswith=region)
        subjects = subjects.filter(match)
    if cohort.get("sex"):
        subjects = subjects.filter(sex__in=cohort["sex"])
    today = at.date()
    if cohort.get("min_age") is not None:
        subjects = subjects.filter(birth_date__lte=_years_before(today, cohort["min_age"]))
    if cohort.get("max_age") is not None:
        subjects = subjects.filter(birth_date__gt=_years_before(today, cohort["max_age"] + 1))
    return subjects.distinct()


@dataclass(frozen=True)
class Estimate:
    """A cohort size safe to show: never an exact small count."""

    lower_bound: int  # 0 for "fewer than 10"; else the count rounded down to a multiple of 10
    display: str

    @classmethod
    def of(cls, count: int) -> Estimate:
        if count < PREVIEW_FLOOR:
            return cls(0, f"fewer than {PREVIEW_FLOOR}")
        rounded = count // 10 * 10
        return cls(rounded, f"about {rounded} (rounded down to the nearest 10)")


@dataclass(frozen=True)
class GrantConditions:
    """What one DAC member approves with: expiry, minimum k, categories, optional l-diversity."""

    expires_at: datetime
    k: int
    categories: tuple[str, ...]
    l_diversity: int | None = None
    sensitive_column: str = ""

    @classmethod
    def from_dict(cls, data, *, requested: list[str], now: datetime) -> GrantConditions:
        if not isinstance(data, dict):
            raise ValidationFailed("conditions: expected an object", extra={"field": "conditions"})
        unknown = sorted(
            set(data) - {"expires_at", "k", "categories", "l_diversity", "sensitive_column"}
        )
        if unknown:
            raise ValidationFailed(
                f"conditions.{unknown[0]}: unknown condition",
                extra={"field": f"conditions.{unknown[0]}"},
            )
        expires = data.get("expires_at")
        if isinstance(expires, str):
            expires = parse_datetime(expires)
        if not isinstance(expires, datetime) or expires.tzinfo is None:
            raise ValidationFailed(
                "conditions.expires_at: required, as a date and time with a time zone",
                extra={"field": "conditions.expires_at"},
            )
        if expires <= now:
            raise ValidationFailed(
                "conditions.expires_at: must be in the future",
                extra={"field": "conditions.expires_at"},
            )
        k = data.get("k")
        if isinstance(k, bool) or not isinstance(k, int) or not MIN_K <= k <= 1000:
            raise ValidationFailed(
                f"conditions.k: a whole number of at least {MIN_K}", extra={"field": "conditions.k"}
            )
        categories = validate_categories(
            data.get("categories", requested), field="conditions.categories"
        )
        extra_categories = [c for c in categories if c not in requested]
        if extra_categories:
            raise ValidationFailed(
                f"conditions.categories: {extra_categories[0]} was not requested",
                extra={"field": "conditions.categories"},
            )
        l_div = data.get("l_diversity")
        column = data.get("sensitive_column") or ""
        if l_div is not None and (
            isinstance(l_div, bool) or not isinstance(l_div, int) or not MIN_L <= l_div <= 100
        ):
            raise ValidationFailed(
                f"conditions.l_diversity: a whole number of at least {MIN_L}",
                extra={"field": "conditions.l_diversity"},
            )
        if not isinstance(column, str) or (column and not _COLUMN.match(column)):
            raise ValidationFailed(
                "conditions.sensitive_column: a lower-case column name",
                extra={"field": "conditions.sensitive_column"},
            )
        if (l_div is None) != (not column):
            raise ValidationFailed(
                "conditions.sensitive_column: l-diversity needs both l_diversity and sensitive_column",
                extra={"field": "conditions.sensitive_column"},
            )
        return cls(expires, k, tuple(categories), l_div, column)

    def as_dict(self) -> dict:
        return {
            "expires_at": self.expires_at.isoformat(),
            "k": self.k,
            "categories": list(self.categories),
            "l_diversity": self.l_diversity,
            "sensitive_column": self.sensitive_column,
        }

    def strictest(self, other: GrantConditions) -> GrantConditions:
        """The conditions both approvers accept: earliest expiry, larger k, shared categories,
        the larger l. Votes that share no category, or name different sensitive columns,
        cannot be combined."""
        categories = tuple(c for c in self.categories if c in other.categories)
        if not categories:
            raise ValidationFailed(
                "conditions.categories: the approvals share no data category",
                extra={"field": "conditions.categories"},
            )
        if (
            self.sensitive_column
            and other.sensitive_column
            and self.sensitive_column != other.sensitive_column
        ):
            raise ValidationFailed(
                "conditions.sensitive_column: the approvals name different sensitive columns",
                extra={"field": "conditions.sensitive_column"},
            )
        ls = [v for v in (self.l_diversity, other.l_diversity) if v is not None]
        return GrantConditions(
            expires_at=min(self.expires_at, other.expires_at),
            k=max(self.k, other.k),
            categories=categories,
            l_diversity=max(ls) if ls else None,
            sensitive_column=self.sensitive_column or other.sensitive_column,
        )
