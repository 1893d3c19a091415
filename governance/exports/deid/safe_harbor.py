"""HIPAA Safe Harbor, 45 CFR 164.514(b)(2): the check run over every table before release.

Safe Harbor lists 18 classes of identifier that must leave nothing behind
(``identifiers`` holds the platform's explicit tables of them, by column name and by
cell value) and permits a few reductions in their place (``reductions``). This check
reads a table's column names, column types and cell values and reports every
identifier it sees. The export runs it over the table it is about to release and
refuses to publish if anything is found. Findings name the class, the column and a
row count, never the value found.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from governance.exports.deid.identifiers import (
    VALUE_DETECTORS,
    IdentifierClass,
    column_identifier_class,
    is_age_column,
)

STANDARD = "45 CFR 164.514(b)(2)"

_ANY_DETECTOR = re.compile("|".join(f"(?:{d.pattern})" for d in VALUE_DETECTORS))
_COMPILED = tuple((d, re.compile(d.pattern)) for d in VALUE_DETECTORS)
# A lower-case hexadecimal token of 20 or more characters with at least one letter (a
# keyed digest such as a pseudonym) cannot match any detector above, which all need
# punctuation, upper case, word boundaries inside the token or digits only; skipping
# such tokens keeps the scan of a pseudonym column fast.
_HEX_DIGEST = re.compile(r"(?=[0-9]*[a-f])[0-9a-f]{20,}")
_LONG_NUMBER = 10**8


@dataclass(frozen=True)
class Finding:
    """One identifier found in a table: its class, the column and how it was found, never the value."""

    identifier_class: IdentifierClass
    column: str
    source: str  # "column name", "cell values" or "column type"
    detector: str
    rows: int = 0

    def as_dict(self) -> dict:
        return {
            "class": self.identifier_class.letter,
            "label": self.identifier_class.label,
            "column": self.column,
            "source": self.source,
            "detector": self.detector,
            "rows": self.rows,
        }

    def __str__(self) -> str:
        where = f"in {self.rows} rows" if self.source != "column name" else "in its name"
        return f"column {self.column!r}: {self.identifier_class} ({self.detector}) {where}"


def _scan_text(column: str, values: pd.Series) -> list[Finding]:
    counts = values.dropna().astype(str).value_counts()
    if counts.empty:
        return []
    texts = counts.index.to_series()
    findings = []
    candidates = ~texts.str.fullmatch(_HEX_DIGEST).to_numpy(dtype=bool)
    texts, hit_counts = texts[candidates], counts[candidates]
    hit = texts.str.contains(_ANY_DETECTOR).to_numpy(dtype=bool)
    if hit.any():
        texts, hit_counts = texts[hit], hit_counts[hit]
        for detector, compiled in _COMPILED:
            matched = texts.str.contains(compiled).to_numpy()
            if matched.any():
                rows = int(hit_counts[matched].sum())
                findings.append(
                    Finding(detector.identifier_class, column, "cell values", detector.name, rows)
                )
    if is_age_column(column):
        numbers = pd.to_numeric(counts.index.to_series(), errors="coerce").to_numpy()
        old = numbers > 89
        if old.any():
            rows = int(counts[old].sum())
            findings.append(
                Finding(IdentifierClass.DATES, column, "cell values", "age over 89", rows)
            )
    return findings


def _scan_numbers(column: str, values: pd.Series) -> list[Finding]:
    numbers = values.to_numpy(dtype="float64", na_value=np.nan)
    findings = []
    if is_age_column(column):
        rows = int(np.count_nonzero(numbers > 89))
        if rows:
            findings.append(
                Finding(IdentifierClass.DATES, column, "cell values", "age over 89", rows)
            )
    with np.errstate(invalid="ignore"):
        long = (np.abs(numbers) >= _LONG_NUMBER) & (numbers == np.floor(numbers))
    rows = int(np.count_nonzero(long))
    if rows:
        findings.append(
            Finding(IdentifierClass.OTHER_CODE, column, "cell values", "long number", rows)
        )
    return findings


def safe_harbor_check(table: pd.DataFrame) -> list[Finding]:
    """Every Safe Harbor identifier visible in a table, by column name and by cell value.

    An export runs this over the table it is about to release and refuses to publish if
    anything is found, so a direct identifier hidden in a free-text or oddly named
    column stops the export instead of leaving with it. Text cells are scanned once per
    distinct value, which keeps a 100,000-row table to a fraction of a second.
    """
    findings: list[Finding] = []
    for column in table.columns:
        named = column_identifier_class(column)
        if named is not None:
            findings.append(Finding(named[0], str(column), "column name", named[1]))
        values = table[column]
        if pd.api.types.is_datetime64_any_dtype(values) or isinstance(values.dtype, pd.PeriodDtype):
            rows = int(values.notna().sum())
            findings.append(
                Finding(IdentifierClass.DATES, str(column), "column type", "date values", rows)
            )
        elif pd.api.types.is_bool_dtype(values):
            continue
        elif pd.api.types.is_numeric_dtype(values):
            findings.extend(_scan_numbers(str(column), values))
        else:
            findings.extend(_scan_text(str(column), values))
    return findings
