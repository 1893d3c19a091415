"""What a researcher asks an export for: cohort criteria, columns and formats.

Criteria (all optional, combined with AND; values within one key with OR)::

    {"diagnoses": ["MONDO:0005148"], "sex": ["female"], "min_age": 40, "max_age": 80,
     "areas": ["CB", "SW1"], "regions": ["1:10000-20000", "chr1:50000-60000"]}

``diagnoses``, ``sex``, the ages and ``areas`` (UK postcode areas or districts) narrow
the subjects, on top of the grant's own cohort; ``regions`` (1-based, inclusive
``chrom:start-end``) restrict the genotype file. Nothing is silently fixed: unknown
keys, columns and formats are refused, naming the field.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from governance.access.criteria import validate_cohort
from governance.errors import ValidationFailed
from governance.exports.models import COLUMNS, FORMATS

_REGION = re.compile(r"^(?:chr)?([0-9]{1,2}|X|Y|MT|M):([0-9]{1,10})-([0-9]{1,10})$", re.IGNORECASE)
_MAX_REGIONS = 50

# The data category each column or format reads; the gate decides per category.
COLUMN_CATEGORY = {
    "age": "demographic",
    "sex": "demographic",
    "postcode_area": "demographic",
    "ethnic_background": "demographic",
    "diagnoses": "clinical",
}
GENOMIC = "genomic"


@dataclass(frozen=True)
class Region:
    contig: str  # without a "chr" prefix, upper-case letters (X, Y, MT)
    start: int
    end: int

    def __str__(self) -> str:
        return f"{self.contig}:{self.start}-{self.end}"

    def covers(self, contig: str, pos: int) -> bool:
        return normal_contig(contig) == self.contig and self.start <= pos <= self.end


def normal_contig(name: str) -> str:
    name = name.upper()
    name = name[3:] if name.startswith("CHR") else name
    return "MT" if name == "M" else name


def parse_regions(value) -> list[Region]:
    if value is None:
        return []
    if not isinstance(value, list) or len(value) > _MAX_REGIONS:
        raise ValidationFailed(
            f"criteria.regions: expected a list of at most {_MAX_REGIONS} chrom:start-end regions",
            extra={"field": "criteria.regions"},
        )
    regions = []
    for item in value:
        match = _REGION.match(item.strip()) if isinstance(item, str) else None
        if match is None:
            raise ValidationFailed(
                f"criteria.regions: {item!r} is not chrom:start-end",
                extra={"field": "criteria.regions"},
            )
        start, end = int(match.group(2)), int(match.group(3))
        if start < 1 or end < start:
            raise ValidationFailed(
                f"criteria.regions: {item!r} needs 1 <= start <= end",
                extra={"field": "criteria.regions"},
            )
        region = Region(normal_contig(match.group(1)), start, end)
        if region not in regions:
            regions.append(region)
    return regions


def validate_criteria(data) -> dict:
    """Normalised criteria, or ``ValidationFailed`` naming the field."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ValidationFailed("criteria: expected an object", extra={"field": "criteria"})
    unknown = sorted(set(data) - {"diagnoses", "sex", "min_age", "max_age", "areas", "regions"})
    if unknown:
        raise ValidationFailed(
            f"criteria.{unknown[0]}: unknown criterion", extra={"field": f"criteria.{unknown[0]}"}
        )
    cohort = {k: v for k, v in data.items() if k not in ("areas", "regions")}
    if "areas" in data:
        cohort["regions"] = data["areas"]
    try:
        cohort = validate_cohort(cohort)
    except ValidationFailed as error:
        message = error.message.replace("cohort.regions", "criteria.areas").replace(
            "cohort.", "criteria."
        )
        raise ValidationFailed(message, extra={"field": message.split(":", 1)[0]}) from None
    out = {k: v for k, v in cohort.items() if k != "regions"}
    if cohort.get("regions"):
        out["areas"] = cohort["regions"]
    regions = parse_regions(data.get("regions"))
    if regions:
        out["regions"] = [str(r) for r in regions]
    return out


def subject_cohort(criteria: dict) -> dict:
    """The criteria in the grant cohort's vocabulary (``governance.access.criteria``)."""
    cohort = {k: v for k, v in criteria.items() if k not in ("areas", "regions")}
    if criteria.get("areas"):
        cohort["regions"] = criteria["areas"]
    return cohort


def validate_columns(value, *, categories: list[str]) -> list[str]:
    """Requested phenotype columns (default: every column the grant's categories allow)."""
    allowed = [c for c in COLUMNS if COLUMN_CATEGORY[c] in categories]
    if value is None:
        return allowed
    if not isinstance(value, list) or any(not isinstance(c, str) for c in value):
        raise ValidationFailed(
            "columns: expected a list of column names", extra={"field": "columns"}
        )
    for column in value:
        if column not in COLUMNS:
            raise ValidationFailed(
                f"columns: unknown column {column!r}; choose from {', '.join(COLUMNS)}",
                extra={"field": "columns"},
            )
        if column not in allowed:
            raise ValidationFailed(
                f"columns: {column!r} needs {COLUMN_CATEGORY[column]} data, which the grant does not cover",
                extra={"field": "columns"},
            )
    return [c for c in COLUMNS if c in value]


def validate_formats(value, *, categories: list[str]) -> list[str]:
    if value is None:
        value = [f for f in FORMATS if f != "vcf" or GENOMIC in categories]
    if not isinstance(value, list) or not value:
        raise ValidationFailed(
            f"formats: choose at least one of {', '.join(FORMATS)}", extra={"field": "formats"}
        )
    for fmt in value:
        if fmt not in FORMATS:
            raise ValidationFailed(
                f"formats: unknown format {fmt!r}; choose from {', '.join(FORMATS)}",
                extra={"field": "formats"},
            )
    if "vcf" in value and GENOMIC not in categories:
        raise ValidationFailed(
            "formats: a VCF needs genomic data, which the grant does not cover",
            extra={"field": "formats"},
        )
    return [f for f in FORMATS if f in value]


def needed_categories(*, columns: list[str], formats: list[str]) -> list[str]:
    """The data categories an export reads: every subject must be allowed each of them."""
    needed = {COLUMN_CATEGORY[c] for c in columns}
    if "vcf" in formats:
        needed.add(GENOMIC)
    return sorted(needed)
