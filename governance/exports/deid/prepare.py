"""Safe Harbor applied to an input table, column by column, before k-anonymity.

Each input column is pseudonymised, reduced (birth date to age, date to year, postcode
to area), normalised into the labels the hierarchies expect (sex, ethnic background,
diagnosis lists), kept (phenotypes) or dropped (anything whose name announces an
identifier). Values that cannot be read are refused with their row numbers, never
guessed at and never echoed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from governance.errors import ValidationFailed
from governance.exports.deid.hierarchies import ETHNIC_GROUPS, UNKNOWN
from governance.exports.deid.identifiers import (
    IdentifierClass,
    column_identifier_class,
    is_age_column,
    is_birth_column,
)
from governance.exports.deid.reductions import (
    age_labels,
    ages_on,
    date_years,
    invalid_values,
    postcode_areas,
)

SEXES = {"female": "female", "male": "male", "other": "other", "unknown": UNKNOWN}

# ICD-10 codes ("E11", "E11.9", "ICD10:E11") and the disease-ontology CURIEs the consent
# records use ("MONDO:0005147"); anything else in a diagnosis list is refused.
_DIAGNOSIS_CODE = re.compile(
    r"(?:ICD10:)?[A-Z][0-9]{2}(?:\.?[0-9A-Z]{1,4})?|(?:MONDO|DOID|HP|ORPHA|OMIM):[0-9]{1,8}"
)


def fail(message: str, **extra) -> ValidationFailed:
    return ValidationFailed(message, code="deid_invalid_input", extra=extra)


def _pseudonyms(codes: pd.Series, pseudonym: Callable[[str], str]) -> pd.Series:
    missing = (codes.isna() | (codes.astype(str).str.strip() == "")).to_numpy(dtype=bool)
    if missing.any():
        raise invalid_values("subject_code", missing, "subject codes")
    duplicated = codes.duplicated(keep=False).to_numpy(dtype=bool)
    if duplicated.any():
        raise invalid_values("subject_code", duplicated, "unique subject codes")
    texts = codes.astype(str).tolist()
    names = [pseudonym(code) for code in texts]
    if not all(isinstance(name, str) and name for name in names):
        raise fail("The pseudonym function must return a non-empty string for every subject.")
    if len(set(names)) != len(names):
        raise fail("The pseudonym function gave two subjects the same pseudonym.")
    if any(name == code for name, code in zip(names, texts, strict=True)):
        raise fail("The pseudonym function returned a subject code unchanged.")
    return pd.Series(names, index=codes.index, dtype=object)


def _sex_labels(values: pd.Series) -> pd.Series:
    text = values.astype("string").str.strip().str.lower()
    missing = (text.isna() | (text == "")).to_numpy(dtype=bool)
    labels = text.map(SEXES, na_action="ignore")
    bad = labels.isna().to_numpy(dtype=bool) & ~missing
    if bad.any():
        raise invalid_values("sex", bad, f"one of {', '.join(sorted(SEXES))}")
    return labels.astype(object).where(~missing, UNKNOWN)


def _ethnic_labels(values: pd.Series) -> pd.Series:
    canonical = {background.casefold(): background for background in ETHNIC_GROUPS}
    text = values.astype("string").str.strip().str.casefold()
    missing = (text.isna() | (text == "")).to_numpy(dtype=bool)
    labels = text.map(canonical, na_action="ignore")
    bad = labels.isna().to_numpy(dtype=bool) & ~missing
    if bad.any():
        raise invalid_values("ethnic_background", bad, "UK Biobank ethnic background answers")
    return labels.astype(object).where(~missing, UNKNOWN)


def _hashable(value: object) -> object:
    if isinstance(value, list | tuple | set | frozenset | np.ndarray):
        return tuple(value)
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ()  # no diagnoses recorded
    return value if isinstance(value, str) else (value,)


def _diagnosis_list(value: object) -> str | None:
    """One cell as sorted, de-duplicated, ";"-joined codes, or None if a code is malformed."""
    items = value.split(";") if isinstance(value, str) else value
    codes = sorted({str(item).strip().upper() for item in items} - {""})
    if not all(_DIAGNOSIS_CODE.fullmatch(code) for code in codes):
        return None
    return ";".join(codes)


def _diagnosis_lists(values: pd.Series, column: str) -> pd.Series:
    # Each distinct cell is parsed once; a cohort has far fewer distinct diagnosis lists
    # than subjects.
    codes, distinct = pd.factorize(pd.Series([_hashable(v) for v in values], dtype=object))
    parsed = np.array([_diagnosis_list(value) for value in distinct], dtype=object)
    lists = parsed[codes]
    bad = pd.isna(lists)
    if bad.any():
        raise invalid_values(column, bad, "lists of ICD-10 codes or disease CURIEs")
    return pd.Series(lists, index=values.index, dtype=object)


@dataclass
class Prepared:
    """Released-to-be columns by name, the columns dropped (with their class) and those reduced."""

    frame: dict[str, pd.Series]
    removed: dict[str, str]
    transformed: dict[str, str]


def apply_safe_harbor(
    table: pd.DataFrame,
    *,
    pseudonym: Callable[[str], str],
    sensitive_columns: Collection[str],
    low_population_areas: Collection[str],
    on: date,
) -> Prepared:
    """The table after Safe Harbor, as level-0 columns plus a record of what was dropped or reduced.

    Reading each column by its role here, once, means the k-anonymity search only ever
    sees clean labels and the report can say exactly which input column went where.
    """
    columns = [str(column) for column in table.columns]
    if len(set(columns)) != len(columns):
        raise fail("The table has two columns with the same name.")
    if "birth_date" in columns and "age" in columns:
        raise fail("The table has both 'birth_date' and 'age'; give one, so age is derived once.")
    if "postcode" in columns and "postcode_area" in columns:
        raise fail("The table has both 'postcode' and 'postcode_area'; give one.")
    table = table.set_axis(columns, axis=1)
    frame = {"pseudonym": _pseudonyms(table["subject_code"], pseudonym)}
    removed = {"subject_code": str(IdentifierClass.OTHER_CODE)}
    transformed = {"subject_code": "pseudonym"}

    def put(name: str, values: pd.Series, source: str | None = None) -> None:
        if name in frame:
            raise fail(f"Column {name!r} would be written twice; rename the input column.")
        frame[name] = values
        if source is not None:
            transformed[source] = name

    for column in columns:
        values = table[column]
        if column == "subject_code":
            continue
        if column == "birth_date":
            put("age", age_labels(ages_on(values, on, column=column)), source=column)
        elif column == "age":
            put("age", age_labels(values, column=column))
        elif column == "postcode":
            areas = postcode_areas(values, low_population_areas=low_population_areas, column=column)
            put("postcode_area", areas, source=column)
        elif column == "postcode_area":
            put(
                column,
                postcode_areas(
                    values, low_population_areas=low_population_areas, column=column, area_only=True
                ),
            )
        elif column == "sex":
            put(column, _sex_labels(values))
        elif column == "ethnic_background":
            put(column, _ethnic_labels(values))
        elif column == "diagnoses":
            put(column, _diagnosis_lists(values, column))
        elif column in sensitive_columns:
            put(column, values)
        else:
            named = column_identifier_class(column)
            is_date = pd.api.types.is_datetime64_any_dtype(values)
            if (named and named[0] is IdentifierClass.DATES) or is_date:
                years = None if is_birth_column(column) else date_years(values)
                if years is None:
                    removed[column] = str(IdentifierClass.DATES)
                else:
                    put(f"{column}_year", years, source=column)
            elif named:
                removed[column] = str(named[0])
            elif is_age_column(column):
                put(column, age_labels(values, column=column))
            else:
                put(column, values)
    return Prepared(frame, removed, transformed)
