"""De-identification of cohort exports: Safe Harbor, then k-anonymity and l-diversity.

A pure module over pandas: no Django, no database and no keys (pseudonyms come from a
function the export service passes in). ``deidentify`` returns a ``DeidResult`` whose
``report`` holds at least:

``quasi_identifiers``      the released columns treated as quasi-identifiers
``sensitive_columns``      the released columns treated as sensitive (diagnoses)
``k_requested``, ``k_achieved``   k asked for; the smallest class in the release
``l_requested``, ``l_achieved``   l asked for (or None); the fewest distinct sensitive
                           values in any class (None without a sensitive column)
``l_diversity_column``     the sensitive column l is measured on
``suppressed``             records withheld; ``rows_in == rows_out + suppressed``
``rows_in``, ``rows_out``  records given and released
``max_suppression``        the share of records that could have been withheld
``generalisation_levels``  {column: level name}, e.g. {"age": "10-year band"}
``information_loss``       {"metric", "value", "by_column"}: the normalised certainty
                           penalty, defined in ``kanon``
``safe_harbor``            {"standard", "removed_columns", "transformed_columns",
                           "low_population_areas", "findings"}: what was dropped or
                           reduced, and the scan of the released table (empty, or the
                           export would have failed)
"""

from governance.exports.deid.engine import (
    DEFAULT_QUASI_IDENTIFIERS,
    DEFAULT_SENSITIVE_COLUMNS,
    DeidResult,
    deidentify,
)
from governance.exports.deid.exceptions import DeidentificationFailed
from governance.exports.deid.hierarchies import (
    AGE,
    ETHNIC_BACKGROUND,
    ETHNIC_GROUPS,
    KEEP_OR_SUPPRESS,
    POSTCODE_AREA,
    POSTCODE_AREA_REGIONS,
    SEX,
    Hierarchy,
    default_hierarchies,
)
from governance.exports.deid.identifiers import (
    COLUMN_NAME_PATTERNS,
    VALUE_DETECTORS,
    IdentifierClass,
    column_identifier_class,
)
from governance.exports.deid.kanon import NCP_METRIC, normalised_certainty_penalty
from governance.exports.deid.reductions import (
    DEFAULT_LOW_POPULATION_AREAS,
    age_labels,
    ages_on,
    postcode_areas,
)
from governance.exports.deid.safe_harbor import Finding, safe_harbor_check

__all__ = [
    "AGE",
    "COLUMN_NAME_PATTERNS",
    "DEFAULT_LOW_POPULATION_AREAS",
    "DEFAULT_QUASI_IDENTIFIERS",
    "DEFAULT_SENSITIVE_COLUMNS",
    "ETHNIC_BACKGROUND",
    "ETHNIC_GROUPS",
    "KEEP_OR_SUPPRESS",
    "NCP_METRIC",
    "POSTCODE_AREA",
    "POSTCODE_AREA_REGIONS",
    "SEX",
    "VALUE_DETECTORS",
    "DeidResult",
    "DeidentificationFailed",
    "Finding",
    "Hierarchy",
    "IdentifierClass",
    "age_labels",
    "ages_on",
    "column_identifier_class",
    "deidentify",
    "default_hierarchies",
    "normalised_certainty_penalty",
    "postcode_areas",
    "safe_harbor_check",
]
