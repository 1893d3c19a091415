"""De-identifying one cohort table: Safe Harbor first, then k-anonymity (and l-diversity).

The steps, in order:

1. Every subject code becomes a pseudonym from the caller's keyed function, so this
   module holds no key and a pseudonym means nothing outside its project.
2. Safe Harbor: columns whose names announce an identifier are dropped; birth dates
   become ages (over 89 as "90+"), other dates become years, postcodes become their
   area letters (low-population areas as "000"), and diagnoses become a sorted,
   ";"-joined list of codes.
3. The quasi-identifiers (by default age, sex, postcode area and ethnic background) are
   generalised along their hierarchies and records are suppressed until every
   equivalence class has at least k records (and, if asked, l distinct sensitive
   values), choosing the least information loss within the suppression limit.
4. The table about to leave is scanned for identifiers once more; anything found stops
   the export. The rows are ordered by pseudonym, so the order of the source (which
   may follow registration) tells nothing.

Nothing here touches the database or Django; the export service feeds it a DataFrame
built from subjects it may read and stores what comes back.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

import numpy as np
import pandas as pd

from governance.exports.deid.exceptions import DeidentificationFailed
from governance.exports.deid.hierarchies import (
    KEEP_OR_SUPPRESS,
    UNKNOWN,
    Hierarchy,
    default_hierarchies,
)
from governance.exports.deid.kanon import anonymise, encode, normalised_certainty_penalty
from governance.exports.deid.prepare import apply_safe_harbor, fail
from governance.exports.deid.reductions import DEFAULT_LOW_POPULATION_AREAS
from governance.exports.deid.safe_harbor import STANDARD, safe_harbor_check

DEFAULT_QUASI_IDENTIFIERS = ("age", "sex", "postcode_area", "ethnic_background")
DEFAULT_SENSITIVE_COLUMNS = ("diagnoses",)


@dataclass(frozen=True)
class DeidResult:
    """The table to release and the report that says how it was made safe."""

    table: pd.DataFrame
    report: dict


def _check_parameters(k: int, max_suppression: float, l_diversity: int | None, rows: int) -> None:
    if isinstance(k, bool) or not isinstance(k, int | np.integer) or k < 2:
        raise fail(f"k must be a whole number of at least 2, not {k!r}.")
    if isinstance(max_suppression, bool) or not 0 <= max_suppression < 1:
        raise fail(f"max_suppression is a share in [0, 1), not {max_suppression!r}.")
    if l_diversity is not None and (
        isinstance(l_diversity, bool)
        or not isinstance(l_diversity, int | np.integer)
        or l_diversity < 2
    ):
        raise fail(f"l must be a whole number of at least 2, not {l_diversity!r}.")
    if rows == 0:
        raise fail("The table has no rows; there is nothing to de-identify.")


def _level0(values: pd.Series) -> pd.Series:
    return values.astype(object).where(values.notna(), UNKNOWN).astype(str)


def deidentify(
    table: pd.DataFrame,
    *,
    k: int,
    pseudonym: Callable[[str], str],
    quasi_identifiers: Sequence[str] | None = None,
    sensitive_columns: Sequence[str] | None = None,
    l_diversity: int | None = None,
    l_diversity_column: str | None = None,
    max_suppression: float = 0.2,
    max_levels: Mapping[str, int | str] | None = None,
    hierarchies: Mapping[str, Hierarchy] | None = None,
    low_population_areas: Collection[str] = DEFAULT_LOW_POPULATION_AREAS,
    now: date | datetime | None = None,
) -> DeidResult:
    """A release-ready copy of a cohort table, or DeidentificationFailed and nothing.

    The export is the only path by which subject-level data leaves the platform, so
    this function either returns a table that is Safe-Harbor clean and k-anonymous
    (and l-diverse on ``l_diversity_column`` when ``l_diversity`` is given) over
    ``quasi_identifiers``, or raises: ``ValidationFailed`` for bad input (naming the
    column and rows, never a value) and ``DeidentificationFailed`` when the privacy
    level cannot be reached within ``max_suppression`` (a share of the input rows) or
    an identifier survives. ``pseudonym`` is the project's keyed pseudonym function,
    ``max_levels`` caps how far a quasi-identifier may be generalised (by level name or
    number, e.g. ``{"postcode_area": "region"}``), and ``now`` fixes the day ages are
    computed on. The report's keys are listed in the package docstring.
    """
    if "subject_code" not in table.columns:
        raise fail("The table has no 'subject_code' column to pseudonymise.")
    _check_parameters(k, max_suppression, l_diversity, len(table))
    on = (now.date() if isinstance(now, datetime) else now) or datetime.now(UTC).date()
    table = table.reset_index(drop=True)
    if sensitive_columns is None:
        sensitive = [c for c in DEFAULT_SENSITIVE_COLUMNS if c in table.columns]
    else:
        sensitive = [str(c) for c in sensitive_columns]
    if l_diversity_column is not None and l_diversity_column not in sensitive:
        sensitive.append(str(l_diversity_column))
    if sensitive_columns is not None or l_diversity_column is not None:
        missing = [c for c in sensitive if c not in table.columns]
        if missing:
            raise fail(f"Sensitive column(s) {', '.join(map(repr, missing))} are not in the table.")
    prepared = apply_safe_harbor(
        table,
        pseudonym=pseudonym,
        sensitive_columns=sensitive,
        low_population_areas=low_population_areas,
        on=on,
    )
    frame = prepared.frame

    if quasi_identifiers is None:
        qis = [c for c in DEFAULT_QUASI_IDENTIFIERS if c in frame]
    else:
        qis = [str(c) for c in quasi_identifiers]
        unknown = [c for c in qis if c not in frame or c == "pseudonym"]
        if unknown:
            raise fail(
                f"Quasi-identifier(s) {', '.join(map(repr, unknown))} are not in the prepared table."
            )
    overlap = set(qis) & set(sensitive)
    if overlap:
        raise fail(
            f"Column(s) {', '.join(map(repr, sorted(overlap)))} cannot be both quasi-identifier and sensitive."
        )

    known = default_hierarchies() | dict(hierarchies or {})
    chosen = {c: known.get(c, KEEP_OR_SUPPRESS) for c in qis}
    caps: dict[str, int] = {}
    for column, level in (max_levels or {}).items():
        if column not in chosen:
            raise fail(f"max_levels names {column!r}, which is not a quasi-identifier.")
        try:
            caps[column] = chosen[column].level_index(level)
        except ValueError as error:
            raise fail(f"max_levels for {column!r}: {error}") from None

    l_column = None
    sensitive_codes = None
    if l_diversity is not None or sensitive:
        l_column = l_diversity_column or (sensitive[0] if sensitive else None)
        if l_column is None or l_column not in frame or l_column in qis:
            raise fail(
                "l-diversity needs a sensitive column that is in the table and not a quasi-identifier."
            )
        sensitive_codes = pd.factorize(_level0(frame[l_column]))[0].astype(np.int64)

    n = len(table)
    encoded = [encode(c, _level0(frame[c]), chosen[c]) for c in qis]
    outcome = anonymise(
        encoded,
        n=n,
        k=int(k),
        max_suppression=float(max_suppression),
        l_diversity=int(l_diversity) if l_diversity is not None else None,
        sensitive=sensitive_codes,
        max_levels=caps,
    )

    columns = {"pseudonym": frame["pseudonym"]}
    for qi, level in zip(encoded, outcome.levels, strict=True):
        columns[qi.column] = pd.Series(
            qi.released(level), index=frame["pseudonym"].index, dtype=object
        )
    for name, values in frame.items():
        columns.setdefault(name, values)
    released = pd.DataFrame(columns).loc[outcome.keep]

    domains = {qi.column: (qi.numbers() if qi.hierarchy.numeric else qi.base) for qi in encoded}
    covers = {
        qi.column: (lambda label, table=qi.covers(level): table[label])
        for qi, level in zip(encoded, outcome.levels, strict=True)
    }
    numeric = {qi.column for qi in encoded if qi.hierarchy.numeric}
    loss = normalised_certainty_penalty(
        released, rows_in=n, domains=domains, covers=covers, numeric=numeric
    )

    released = released.sort_values("pseudonym", kind="stable").reset_index(drop=True)

    findings = safe_harbor_check(released)
    if findings:
        raise DeidentificationFailed(
            "The released table would still carry identifiers: "
            + "; ".join(str(finding) for finding in findings)
            + ". Nothing was released.",
            extra={"findings": [finding.as_dict() for finding in findings]},
        )

    if qis:
        groups = released.groupby(qis, sort=False, dropna=False)
        k_achieved = int(groups.size().min()) if len(released) else 0
        l_achieved = (
            int(groups[l_column].nunique(dropna=False).min())
            if l_column and len(released)
            else None
        )
    else:
        k_achieved = len(released)
        l_achieved = int(released[l_column].nunique(dropna=False)) if l_column else None
    if k_achieved < k or (l_diversity is not None and (l_achieved or 0) < l_diversity):
        raise DeidentificationFailed(
            "The released table failed its own k-anonymity check; nothing was released."
        )

    report = {
        "quasi_identifiers": list(qis),
        "sensitive_columns": list(sensitive),
        "k_requested": int(k),
        "k_achieved": k_achieved,
        "l_requested": int(l_diversity) if l_diversity is not None else None,
        "l_achieved": l_achieved,
        "l_diversity_column": l_column,
        "suppressed": outcome.suppressed,
        "rows_in": n,
        "rows_out": len(released),
        "max_suppression": float(max_suppression),
        "generalisation_levels": {
            qi.column: qi.hierarchy.levels[level]
            for qi, level in zip(encoded, outcome.levels, strict=True)
        },
        "information_loss": loss,
        "safe_harbor": {
            "standard": STANDARD,
            "removed_columns": prepared.removed,
            "transformed_columns": prepared.transformed,
            "low_population_areas": sorted(low_population_areas),
            "findings": [finding.as_dict() for finding in findings],
        },
    }
    return DeidResult(table=released, report=report)
