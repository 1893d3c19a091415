"""Reading the shipped CINECA UK1 synthetic cohort."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

COHORT_FILE = Path(__file__).resolve().parents[2] / "consent" / "data" / "cohort" / "uk1.tsv"
DIAGNOSIS_COLUMNS = (
    "Blood, blood-forming organs and certain immune disorders",
    "Endocrine, nutritional and metabolic diseases",
    "Mental and behavioural disorders",
    "Nervous system disorders",
    "Digestive system disorders",
    "Respiratory system disorders",
    "Circulatory system disorders",
)
_SPREADSHEET_ERRORS = {"#REF!", "#N/A", "#VALUE!", "#NAME?", "#DIV/0!"}


@dataclass(frozen=True)
class CohortRow:
    sample_id: str
    sex: str
    ethnic_background: str
    diagnoses: tuple[str, ...]  # disease names as the cohort gives them


def _clean(value: str | None) -> str:
    value = (value or "").strip()
    return "" if value in _SPREADSHEET_ERRORS else value


def read_cohort(path: Path = COHORT_FILE) -> list[CohortRow]:
    """Rows in file order; cells holding spreadsheet errors are treated as empty."""
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle, delimiter="\t")
        missing = {"Subject id", "Sex", "Ethnic background-0.0", *DIAGNOSIS_COLUMNS} - set(reader.fieldnames or ())
        if missing:
            raise ValueError(f"{path.name}: missing columns {sorted(missing)}")
        rows = []
        for row in reader:
            sample_id = _clean(row["Subject id"])
            if not sample_id:
                continue
            sex = _clean(row["Sex"]).lower()
            rows.append(
                CohortRow(
                    sample_id=sample_id,
                    sex=sex if sex in ("female", "male") else "unknown",
                    ethnic_background=_clean(row["Ethnic background-0.0"]),
                    diagnoses=tuple(d for d in (_clean(row[c]) for c in DIAGNOSIS_COLUMNS) if d),
                )
            )
    return rows
