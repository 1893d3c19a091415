"""A research purpose: what a project will do, coded so the gate can match it.

The JSON shape (omitted keys mean false, empty or none)::

    {"category": "DUO:0000007", "diseases": ["MONDO:0005015"], "methods_development": false,
     "genetic_study": true, "commercial": false, "not_for_profit": true, "country": "ES",
     "institution": "", "user": "", "project": "", "ethics_approval": true,
     "collaboration": false, "publication": true, "return_results": false,
     "date": "2026-11-22"}

``date`` is the day the use takes place: the matcher checks time limits (TS) and
publication moratoria (MOR) against it, and against the instant of the decision.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from consent import duo
from governance.errors import ValidationFailed

# The purpose categories: research permissions, and clinical care.
CATEGORIES = (duo.DS, duo.HMB, duo.GRU, duo.POA, duo.CC)
_BOOLEANS = (
    "methods_development",
    "genetic_study",
    "commercial",
    "not_for_profit",
    "ethics_approval",
    "collaboration",
    "publication",
    "return_results",
)
_NAMES = ("institution", "user", "project")
_KEYS = frozenset({"category", "diseases", "country", "date", *_BOOLEANS, *_NAMES})
_MAX_NAME = 200


@dataclass(frozen=True)
class Purpose:
    category: str
    diseases: tuple[str, ...] = ()
    methods_development: bool = False
    genetic_study: bool = False
    commercial: bool = False
    not_for_profit: bool = False
    country: str = ""
    institution: str = ""
    user: str = ""
    project: str = ""
    ethics_approval: bool = False
    collaboration: bool = False
    publication: bool = False
    return_results: bool = False
    date: date | None = None

    @classmethod
    def from_dict(cls, data, *, where: str = "purpose") -> Purpose:
        """Validate a purpose dict; errors name the field (``purpose.diseases[0]: ...``)."""
        if not isinstance(data, dict):
            raise ValidationFailed(f"{where}: expected an object")
        unknown = sorted(set(data) - _KEYS)
        if unknown:
            raise ValidationFailed(f"{where}.{unknown[0]}: unknown field")
        category = _category(data.get("category"), f"{where}.category")
        diseases = duo.disease_list(
            data.get("diseases"), f"{where}.diseases", required=category == duo.DS
        )
        if diseases and category not in (duo.DS, duo.CC):
            raise ValidationFailed(
                f"{where}.diseases: only a disease-specific (DS) or clinical care (CC) purpose names diseases"
            )
        flags = {}
        for key in _BOOLEANS:
            value = data.get(key, False)
            if value is None:
                value = False
            if not isinstance(value, bool):
                raise ValidationFailed(f"{where}.{key}: expected true or false")
            flags[key] = value
        if flags["commercial"] and flags["not_for_profit"]:
            raise ValidationFailed(
                f"{where}.not_for_profit: a commercial purpose is not a not-for-profit one"
            )
        names = {}
        for key in _NAMES:
            value = data.get(key) or ""
            if not isinstance(value, str) or len(value) > _MAX_NAME:
                raise ValidationFailed(
                    f"{where}.{key}: expected a name of at most {_MAX_NAME} characters"
                )
            names[key] = value.strip()
        country = data.get("country") or ""
        if not isinstance(country, str) or (country and country not in duo.ISO_COUNTRIES):
            raise ValidationFailed(
                f"{where}.country: expected an ISO 3166-1 alpha-2 country code such as ES"
            )
        return cls(
            category=category,
            diseases=diseases,
            country=country,
            date=duo.parse_date(data.get("date"), f"{where}.date"),
            **flags,
            **names,
        )

    def to_dict(self) -> dict:
        out: dict = {"category": self.category}
        if self.diseases:
            out["diseases"] = list(self.diseases)
        for key in _BOOLEANS:
            if getattr(self, key):
                out[key] = True
        for key in ("country", *_NAMES):
            if getattr(self, key):
                out[key] = getattr(self, key)
        if self.date is not None:
            out["date"] = self.date.isoformat()
        return out


def _category(value, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValidationFailed(
            f"{where}: required, one of "
            + ", ".join(f"{c} ({duo.shorthand(c)})" for c in CATEGORIES)
        )
    value = value.strip()
    by_short = {duo.shorthand(c): c for c in CATEGORIES}
    curie = by_short.get(value, value)
    if curie not in CATEGORIES:
        known = duo.terms().get(curie)
        what = (
            f"{curie} ({known.shorthand or known.label}) is not a purpose category"
            if known
            else f"{value} is not a DUO term"
        )
        raise ValidationFailed(
            f"{where}: {what}; expected one of " + ", ".join(duo.shorthand(c) for c in CATEGORIES)
        )
    return curie
