"""The DUO matcher: may this research purpose use data under these data-use terms?

``match(data_use, purpose, at)`` consults every DUO term of the data use and gives one
reason per term: the permission first, then each modifier in the order given.

Rules (GA4GH DUO with the Broad DUOS matching rules, made complete):

- Permission hierarchy. NRES and GRU permit every research category (GRU, HMB, DS,
  POA). HMB permits HMB and DS purposes, not general (non-health) or ancestry ones. DS
  permits DS purposes whose every disease lies at or below a consented disease, in any
  loaded vocabulary through the mappings; a general-use or HMB purpose is denied (DUOS
  lets a general-use purpose through here; we deny). POA permits POA purposes only.
- Clinical care (purpose category CC) needs the CC modifier; against a DS consent its
  diseases must be covered as for research.
- NPU needs a not-for-profit purpose; NCU a non-commercial one; NPUNCU both.
- IRB needs ethics approval; PUB, COL and RTN need the publication, collaboration and
  return-of-results commitments; GS needs the purpose's country among the consented
  ones; US, PS and IS need the purpose's user, project and institution to be listed.
- TS: use ends ``months`` after ``start`` (or after the consent became valid); the
  decision instant and the purpose date must both fall before that end.
- MOR: the purpose date is the day the use and any publication take place. A purpose
  that commits to publication with a date before the moratorium is denied; one that does
  not publish is permitted on the condition that nothing is published before the date.
- NMDS: methods development is permitted only as disease-specific (DS) research that
  the permission admits, as DUOS does; otherwise denied.
- GSO: only genetic studies. NPOA: no population-origins or ancestry (POA) purpose. CC on
  a research purpose restricts nothing.
- RS: a free-text restriction always needs a person: review.

Combination: permit iff every term permits; deny if any term denies; otherwise review.
A definite conflict is not curable by a person's judgement, so deny outranks review
(DUOS ranks ABSTAIN above DENY); either way nothing is permitted on review.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from dateutil.relativedelta import relativedelta
from django.utils import timezone

from consent import duo
from consent.duo import DataUse
from governance.gate.decision import Reason
from governance.gate.purpose import Purpose
from governance.gate.selectors import covering_terms, ontology_generation

PERMIT, DENY, REVIEW = "permit", "deny", "review"


@dataclass(frozen=True)
class Check:
    outcome: str
    reason: Reason


@dataclass(frozen=True)
class MatchResult:
    result: str  # "permit" | "deny" | "review"
    checks: tuple[Check, ...]

    @property
    def reasons(self) -> tuple[Reason, ...]:
        return tuple(check.reason for check in self.checks)

    @property
    def permitted(self) -> bool:
        return self.result == PERMIT


def combine(outcomes) -> str:
    outcomes = list(outcomes)
    if DENY in outcomes:
        return DENY
    if REVIEW in outcomes:
        return REVIEW
    return PERMIT


def ts_end(data_use: DataUse, consent_start: date | None) -> date | None:
    """The first day the TS time limit no longer allows use (None without TS)."""
    if not data_use.has(duo.TS) or data_use.months is None:
        return None
    start = data_use.start or consent_start
    if start is None:
        return None
    return start + relativedelta(months=data_use.months)


def _check(outcome: str, code: str, message: str) -> Check:
    return Check(outcome, Reason(code=code, term=duo.shorthand(code), message=message))


def disease_coverage(
    data_use: DataUse, purpose: Purpose, *, generation=None
) -> tuple[bool, list[str]]:
    """Whether every purpose disease lies at or below a consented disease, with one line each."""
    generation = ontology_generation() if generation is None else generation
    consented = set(data_use.diseases)
    lines, covered_all = [], True
    for disease in purpose.diseases:
        covering = covering_terms(disease, generation=generation)
        hits = sorted(consented & set(covering), key=lambda c: (len(covering[c]), c))
        if not hits:
            covered_all = False
            lines.append(
                f"{disease} does not lie under any consented disease ({', '.join(data_use.diseases)})"
            )
            continue
        hit = hits[0]
        via = [c for c in covering[hit] if c != hit]
        suffix = f" (via {' -> '.join(via)})" if via else ""
        lines.append(
            f"{disease} is the consented {hit}"
            if hit == disease
            else f"{disease} lies under consented {hit}{suffix}"
        )
    return covered_all, lines


_CATEGORY_NAMES = {
    duo.GRU: "general research",
    duo.HMB: "health, medical or biomedical research",
    duo.DS: "disease-specific research",
    duo.POA: "population origins or ancestry research",
    duo.CC: "clinical care",
}
_ADMITS = {
    duo.NRES: {duo.GRU, duo.HMB, duo.DS, duo.POA},
    duo.GRU: {duo.GRU, duo.HMB, duo.DS, duo.POA},
    duo.HMB: {duo.HMB, duo.DS},
    duo.DS: {duo.DS},
    duo.POA: {duo.POA},
}


def _permission(data_use: DataUse, purpose: Purpose, generation) -> Check:
    permission, category = data_use.permission, purpose.category
    wanted = _CATEGORY_NAMES[category]
    if data_use.permission == duo.DS and category in (duo.DS, duo.CC):
        if not purpose.diseases:
            return _check(
                DENY,
                permission,
                f"Consent is limited to {', '.join(data_use.diseases)}; the purpose names no disease.",
            )
        covered, lines = disease_coverage(data_use, purpose, generation=generation)
        return _check(PERMIT if covered else DENY, permission, "; ".join(lines) + ".")
    if category == duo.CC:
        return _check(
            PERMIT,
            permission,
            f"Clinical care is governed by the CC modifier, not by {duo.shorthand(permission)}.",
        )
    if category in _ADMITS[permission]:
        return _check(PERMIT, permission, f"{duo.shorthand(permission)} consent permits {wanted}.")
    return _check(
        DENY, permission, f"{duo.shorthand(permission)} consent does not permit {wanted}."
    )


def _names(listed: tuple[str, ...], value: str, what: str, code: str) -> Check:
    if value and value in listed:
        return _check(PERMIT, code, f"The {what} is one the consent names.")
    if not value:
        return _check(DENY, code, f"Use is limited to named {what}s; the purpose names none.")
    return _check(DENY, code, f"Use is limited to named {what}s; this {what} is not one of them.")


# Modifiers the purpose meets by declaring a commitment: DUO code -> (purpose attribute,
# the requirement, and how the purpose stands when it does or does not hold it).
_COMMITMENTS = {
    duo.IRB: ("ethics_approval", "Ethics approval is required", "holds it", "does not hold it"),
    duo.PUB: ("publication", "Publication of results is required", "commits to it", "does not commit to it"),
    duo.COL: (
        "collaboration",
        "Collaboration with the primary investigators is required",
        "commits to it",
        "does not commit to it",
    ),
    duo.RTN: (
        "return_results",
        "Derived data must be returned to the resource",
        "commits to it",
        "does not commit to it",
    ),
}


def _modifier(
    code: str, du: DataUse, p: Purpose, at: datetime, consent_start: date | None, disease_ok: bool
) -> Check:
    today = timezone.localdate(at) if timezone.is_aware(at) else at.date()
    use_date = p.date or today
    if code == duo.NPU:
        ok = p.not_for_profit and not p.commercial
        return _check(
            PERMIT if ok else DENY,
            code,
            "Not-for-profit use only: "
            + (
                "the purpose is not-for-profit."
                if ok
                else "the purpose is not declared not-for-profit."
            ),
        )
    if code == duo.NCU:
        return _check(
            DENY if p.commercial else PERMIT,
            code,
            "Non-commercial use only: "
            + ("the purpose is commercial." if p.commercial else "the purpose is not commercial."),
        )
    if code == duo.NPUNCU:
        ok = p.not_for_profit and not p.commercial
        return _check(
            PERMIT if ok else DENY,
            code,
            "Not-for-profit, non-commercial use only: "
            + ("the purpose is both." if ok else "the purpose is not both."),
        )
    if code in _COMMITMENTS:
        attribute, requirement, held, missing = _COMMITMENTS[code]
        ok = getattr(p, attribute)
        return _check(PERMIT if ok else DENY, code, f"{requirement}; the purpose {held if ok else missing}.")
    if code == duo.GS:
        if p.country and p.country in du.countries:
            return _check(
                PERMIT,
                code,
                f"Use is limited to {', '.join(du.countries)}; the purpose is in {p.country}.",
            )
        where = f"the purpose is in {p.country}" if p.country else "the purpose names no country"
        return _check(DENY, code, f"Use is limited to {', '.join(du.countries)}; {where}.")
    if code == duo.TS:
        end = ts_end(du, consent_start)
        if end is None:
            return _check(DENY, code, "Time-limited use without a known start date.")
        last = max(today, use_date)
        if last < end:
            return _check(
                PERMIT,
                code,
                f"Use is allowed for {du.months} months, until {end.isoformat()} (exclusive).",
            )
        return _check(
            DENY,
            code,
            f"Use was allowed for {du.months} months, until {end.isoformat()}; that time is over.",
        )
    if code == duo.MOR:
        if use_date >= du.moratorium:
            return _check(
                PERMIT, code, f"The publication moratorium ended on {du.moratorium.isoformat()}."
            )
        if p.publication:
            return _check(
                DENY,
                code,
                f"Results may not be published before {du.moratorium.isoformat()}; the purpose publishes on {use_date.isoformat()}.",
            )
        return _check(
            PERMIT,
            code,
            f"Permitted on condition that nothing is published before {du.moratorium.isoformat()}.",
        )
    if code == duo.US:
        return _names(du.users, p.user, "user", code)
    if code == duo.PS:
        return _names(du.projects, p.project, "project", code)
    if code == duo.IS:
        return _names(du.institutions, p.institution, "institution", code)
    if code == duo.NMDS:
        if not p.methods_development:
            return _check(PERMIT, code, "No methods development: the purpose does none.")
        if p.category == duo.DS and disease_ok:
            return _check(
                PERMIT,
                code,
                "Methods development is permitted within the consented disease-specific research.",
            )
        return _check(
            DENY, code, "Methods development is not permitted outside disease-specific research."
        )
    if code == duo.GSO:
        return _check(
            PERMIT if p.genetic_study else DENY,
            code,
            "Genetic studies only"
            + (
                ": the purpose is one."
                if p.genetic_study
                else ": the purpose is not a genetic study."
            ),
        )
    if code == duo.CC:
        if p.category == duo.CC:
            return _check(PERMIT, code, "Clinical care use is permitted.")
        return _check(
            PERMIT,
            code,
            "Clinical care is also permitted; research use is governed by the permission.",
        )
    if code == duo.NPOA:
        if p.category == duo.POA:
            return _check(DENY, code, "Population origins or ancestry research is prohibited.")
        return _check(
            PERMIT,
            code,
            "Population origins or ancestry research is prohibited; the purpose is not such research.",
        )
    if code == duo.RS:
        return _check(
            REVIEW, code, "A research-specific restriction in free text needs a person's review."
        )
    return _check(
        DENY, code, "Unknown modifier."
    )  # unreachable: DataUse admits only known modifiers


def match(
    data_use: DataUse,
    purpose: Purpose,
    at: datetime | None = None,
    *,
    consent_start: date | None = None,
    generation=None,
) -> MatchResult:
    """Match a data use against a purpose at instant ``at`` (default now).

    ``consent_start`` is the date the consent became valid, the start of a TS time limit
    without an explicit ``start``.
    """
    at = at or timezone.now()
    generation = ontology_generation() if (generation is None and purpose.diseases) else generation
    checks = [_permission(data_use, purpose, generation)]
    disease_ok = checks[0].outcome == PERMIT
    if purpose.category == duo.CC and not data_use.has(duo.CC):
        checks.append(
            _check(
                DENY,
                duo.CC,
                "Clinical care use needs the CC modifier, which the consent does not carry.",
            )
        )
    for code in data_use.modifiers:
        checks.append(_modifier(code, data_use, purpose, at, consent_start, disease_ok))
    return MatchResult(result=combine(c.outcome for c in checks), checks=tuple(checks))
