"""The reductions Safe Harbor permits in place of an identifier, adapted for UK data.

Safe Harbor keeps the year of a date, ages up to 89 (older ages as one "90+"
category) and the first three digits of a ZIP code when that area holds more than
20,000 people (otherwise "000"). Here a birth date becomes an age, a date becomes its
year and a UK postcode becomes its area letters ("SW1A 1AA" becomes "SW"), with the
sparsest areas as "000". Values that cannot be read are refused with their row numbers
(never the values), because guessing would either leak or distort.
"""

from __future__ import annotations

import warnings
from collections.abc import Collection
from datetime import date

import numpy as np
import pandas as pd

from governance.errors import ValidationFailed
from governance.exports.deid.hierarchies import (
    LOW_POPULATION_AREA,
    OLDEST_AGE_BAND,
    POSTCODE_AREA_REGIONS,
    UNKNOWN,
)

# The sparsest UK postcode areas: Shetland (ZE), the Outer Hebrides (HS), Kirkwall and
# Caithness (KW), Llandrindod Wells (LD) and Galashiels (TD). Safe Harbor replaces a
# geographic unit of 20,000 people or fewer with "000"; every UK postcode area is
# larger than that, so this list is a conservative, configurable placeholder for the
# areas most likely to single out a rural participant, not a census-derived threshold.
# A deployment should set it from current ONS, NRS and NISRA population estimates.
DEFAULT_LOW_POPULATION_AREAS: frozenset[str] = frozenset({"ZE", "HS", "KW", "LD", "TD"})

_UK_POSTCODE = r"^(?P<area>[A-Z]{1,2})[0-9][A-Z0-9]?(?:\s*[0-9][A-Z]{2})?$"
_AREA_ONLY = r"^(?P<area>[A-Z]{1,2})$"


def _positions(mask: np.ndarray, limit: int = 5) -> str:
    rows = np.flatnonzero(mask)[:limit]
    more = ", ..." if np.count_nonzero(mask) > limit else ""
    return ", ".join(str(row) for row in rows) + more


def invalid_values(column: str, mask: np.ndarray, what: str) -> ValidationFailed:
    """The error for values that are not ``what``, naming the column and rows, never a value."""
    count = int(np.count_nonzero(mask))
    return ValidationFailed(
        f"Column {column!r} has {count} value(s) that are not {what} (rows {_positions(mask)}).",
        code="deid_invalid_input",
        extra={"column": column, "rows": np.flatnonzero(mask)[:20].tolist()},
    )


def postcode_areas(
    postcodes: pd.Series,
    *,
    low_population_areas: Collection[str] = DEFAULT_LOW_POPULATION_AREAS,
    column: str = "postcode",
    area_only: bool = False,
) -> pd.Series:
    """UK postcodes reduced to their area letters, with low-population areas as "000".

    This is the UK reading of Safe Harbor's three-digit ZIP rule: the area ("SW" of
    "SW1A 1AA") is the coarsest unit the postcode itself carries. Missing postcodes
    become "Unknown"; a value that is not a UK postcode, or names no known area, is
    refused with its row numbers rather than guessed at.
    """
    text = postcodes.astype("string").str.strip().str.upper()
    missing = (text.isna() | (text == "")).to_numpy(dtype=bool)
    areas = text.str.extract(_AREA_ONLY if area_only else _UK_POSTCODE)["area"]
    bad = areas.isna().to_numpy(dtype=bool) & ~missing
    if bad.any():
        raise invalid_values(column, bad, "UK postcode areas" if area_only else "UK postcodes")
    unknown_area = ~areas.isin(list(POSTCODE_AREA_REGIONS)).to_numpy(dtype=bool) & ~missing
    if unknown_area.any():
        raise invalid_values(column, unknown_area, "in a known UK postcode area")
    low = {area.upper() for area in low_population_areas}
    result = areas.astype(object).where(~areas.isin(low).to_numpy(dtype=bool), LOW_POPULATION_AREA)
    result[missing] = UNKNOWN
    return result.astype(object)


def ages_on(birth_dates: pd.Series, on: date, *, column: str = "birth_date") -> pd.Series:
    """Whole years of age on ``on``, so the export never needs to carry a birth date.

    A birth date after ``on`` is refused with its row numbers; a missing one gives a
    missing age.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        born = pd.to_datetime(birth_dates, errors="coerce")
    if getattr(born.dt, "tz", None) is not None:
        born = born.dt.tz_localize(None)
    unparsed = (born.isna() & birth_dates.notna()).to_numpy(dtype=bool)
    if unparsed.any():
        raise invalid_values(column, unparsed, "dates")
    before_birthday = (born.dt.month > on.month) | (
        (born.dt.month == on.month) & (born.dt.day > on.day)
    )
    ages = on.year - born.dt.year - before_birthday.astype("float64")
    future = (ages < 0).to_numpy(dtype=bool)
    if future.any():
        raise invalid_values(column, future, f"on or before {on.isoformat()}")
    return ages.astype("float64")


def age_labels(ages: pd.Series, *, column: str = "age") -> pd.Series:
    """Ages as level-0 labels: whole years up to 89, "90+" above, "Unknown" when missing.

    Safe Harbor lets ages over 89 survive only as one aggregated category, so "90+" is
    applied here, before any generalisation, and no later level can undo it.
    """
    numbers = pd.to_numeric(ages, errors="coerce")
    bad = ((numbers.isna() & ages.notna()) | (numbers < 0) | (numbers > 150)).to_numpy(dtype=bool)
    if bad.any():
        raise invalid_values(column, bad, "ages between 0 and 150")
    whole = np.floor(numbers.to_numpy(dtype="float64", na_value=np.nan))
    missing = np.isnan(whole)
    years = np.where(missing, 0, whole).astype(np.int64).astype(str).astype(object)
    labels = np.where(missing, UNKNOWN, np.where(whole >= 90, OLDEST_AGE_BAND, years))
    return pd.Series(labels, index=ages.index, dtype=object)


def date_years(values: pd.Series) -> pd.Series | None:
    """The year of each date, as Safe Harbor permits, or None if the column is not all dates.

    A column that cannot be read as dates throughout cannot be reduced safely, so the
    caller drops it instead.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        parsed = pd.to_datetime(values, errors="coerce")
    if bool((parsed.isna() & values.notna()).any()):
        return None
    return parsed.dt.year.astype("Int64")
