"""Generalisation hierarchies for the quasi-identifiers of a cohort export.

A hierarchy says how one quasi-identifier is coarsened, level by level, from the value
as Safe Harbor leaves it (level 0) to ``"*"`` (the top level, which says nothing). The
k-anonymity search picks one level per quasi-identifier for the whole table
(full-domain generalisation), so every record carries labels from the same level and a
researcher can read the released table without a per-row legend.

Hierarchies work on level-0 *labels* (strings such as ``"47"``, ``"90+"``, ``"SW"`` or
``"Irish"``), and a missing value is the label ``"Unknown"``, which stays ``"Unknown"``
until the top level.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

SUPPRESSED = "*"
UNKNOWN = "Unknown"
LOW_POPULATION_AREA = "000"
OLDEST_AGE_BAND = "90+"

# --- UK postcode areas -------------------------------------------------------------

# Each UK postcode area, by the ONS region (or nation) that holds most of its
# population. A few areas straddle a border (CH and SY with Wales, TD with England, DN
# and PE with the East Midlands, several outer-London areas with the Home Counties);
# they are placed where most of their addresses lie, which is coarse enough for
# generalisation but not an authoritative gazetteer. GY, JE and IM are the Crown
# Dependencies, which share the postcode system without being part of a UK region.
_REGION_AREAS: dict[str, str] = {
    "London": "E EC N NW SE SW W WC BR CR EN HA IG KT RM SM TW UB",
    "South East": "BN CT DA GU HP ME MK OX PO RG RH SL SO TN",
    "East of England": "AL CB CM CO IP LU NR PE SG SS WD",
    "South West": "BA BH BS DT EX GL PL SN SP TA TQ TR",
    "West Midlands": "B CV DY HR ST SY TF WR WS WV",
    "East Midlands": "DE LE LN NG NN",
    "Yorkshire and The Humber": "BD DN HD HG HU HX LS S WF YO",
    "North West": "BB BL CA CH CW FY L LA M OL PR SK WA WN",
    "North East": "DH DL NE SR TS",
    "Wales": "CF LD LL NP SA",
    "Scotland": "AB DD DG EH FK G HS IV KA KW KY ML PA PH TD ZE",
    "Northern Ireland": "BT",
    "Channel Islands and Isle of Man": "GY JE IM",
}

POSTCODE_AREA_REGIONS: Mapping[str, str] = {
    area: region for region, areas in _REGION_AREAS.items() for area in areas.split()
}

# --- UK Biobank ethnic background (data-coding 1001) ---------------------------------

# Each UK Biobank ethnic background answer, by its group. The groups follow the 2011
# census for England and Wales, so "Chinese" sits under "Asian or Asian British" (UK
# Biobank's own coding lists it as a top-level answer). Participants who chose a group
# without a background ("White", "Mixed", ...) keep the group at both levels, and
# "Prefer not to answer" and "Do not know" become "Unknown".
_ETHNIC_GROUP_BACKGROUNDS: dict[str, tuple[str, ...]] = {
    "White": ("White", "British", "Irish", "Any other white background"),
    "Mixed": (
        "Mixed",
        "White and Black Caribbean",
        "White and Black African",
        "White and Asian",
        "Any other mixed background",
    ),
    "Asian or Asian British": (
        "Asian or Asian British",
        "Indian",
        "Pakistani",
        "Bangladeshi",
        "Chinese",
        "Any other Asian background",
    ),
    "Black or Black British": (
        "Black or Black British",
        "Caribbean",
        "African",
        "Any other Black background",
    ),
    "Other ethnic group": ("Other ethnic group",),
    UNKNOWN: ("Prefer not to answer", "Do not know"),
}

ETHNIC_GROUPS: Mapping[str, str] = {
    background: group
    for group, backgrounds in _ETHNIC_GROUP_BACKGROUNDS.items()
    for background in backgrounds
}

# --- the hierarchy type --------------------------------------------------------------


@dataclass(frozen=True)
class Hierarchy:
    """How one quasi-identifier is coarsened, from its Safe Harbor value up to ``"*"``.

    ``levels`` names the levels, most specific first; the last is always ``"*"``.
    ``rule(label, level)`` maps a level-0 label to its label at ``level``. For a
    numeric quasi-identifier (age), ``number(label)`` gives the value a level-0 label
    stands for, so the information-loss metric can measure a band's width.
    """

    levels: tuple[str, ...]
    rule: Callable[[str, int], str]
    number: Callable[[str], float] | None = None

    @property
    def top(self) -> int:
        return len(self.levels) - 1

    @property
    def numeric(self) -> bool:
        return self.number is not None

    def generalise(self, label: str, level: int) -> str:
        """The label that ``label`` becomes at ``level``, so callers never special-case the top."""
        if level >= self.top:
            return SUPPRESSED
        if label == UNKNOWN:
            return UNKNOWN
        return self.rule(label, level)

    def level_index(self, level: int | str) -> int:
        """A level given by name or number as its number, so limits can be written either way."""
        if isinstance(level, str):
            if level not in self.levels:
                raise ValueError(
                    f"Unknown level {level!r}; the levels are {', '.join(self.levels)}."
                )
            return self.levels.index(level)
        if not 0 <= level <= self.top:
            raise ValueError(f"Level {level} is outside 0..{self.top}.")
        return level


_AGE_BAND_WIDTHS = (1, 5, 10, 20)


def _age_rule(label: str, level: int) -> str:
    if label == OLDEST_AGE_BAND or level == 0:
        return label
    width = _AGE_BAND_WIDTHS[level]
    low = int(label) // width * width
    high = min(low + width - 1, 89)
    return f"{low}-{high}"


def _age_number(label: str) -> float:
    if label == UNKNOWN:
        return float("nan")
    if label == OLDEST_AGE_BAND:
        return 90.0
    return float(label)


def _region_rule(label: str, level: int) -> str:
    if level == 0 or label == LOW_POPULATION_AREA:
        return label
    return POSTCODE_AREA_REGIONS[label]


def _ethnic_group_rule(label: str, level: int) -> str:
    return label if level == 0 else ETHNIC_GROUPS[label]


def _keep(label: str, level: int) -> str:
    return label


AGE = Hierarchy(
    levels=("age", "5-year band", "10-year band", "20-year band", SUPPRESSED),
    rule=_age_rule,
    number=_age_number,
)
"""Age in years, then 5-, 10- and 20-year bands; "90+" stays its own band below "*"."""

SEX = Hierarchy(levels=("sex", SUPPRESSED), rule=_keep)

POSTCODE_AREA = Hierarchy(levels=("postcode area", "region", SUPPRESSED), rule=_region_rule)
"""Postcode area letters, then the UK region; the low-population code "000" stays "000"."""

ETHNIC_BACKGROUND = Hierarchy(
    levels=("ethnic background", "ethnic group", SUPPRESSED), rule=_ethnic_group_rule
)

KEEP_OR_SUPPRESS = Hierarchy(levels=("value", SUPPRESSED), rule=_keep)
"""For a quasi-identifier with no natural bands: released as it is, or not at all."""


def default_hierarchies() -> dict[str, Hierarchy]:
    """The hierarchies for the platform's quasi-identifiers, keyed by released column name."""
    return {
        "age": AGE,
        "sex": SEX,
        "postcode_area": POSTCODE_AREA,
        "ethnic_background": ETHNIC_BACKGROUND,
    }
