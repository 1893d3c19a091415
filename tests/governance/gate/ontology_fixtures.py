"""Tiny ontology files, in the real formats, for gate tests."""

from __future__ import annotations

import json

MONDO = {
    "MONDO:0000001": {"label": "disease", "deprecated": False, "ancestors": {}},
    "MONDO:0005015": {
        "label": "diabetes mellitus",
        "deprecated": False,
        "ancestors": {"MONDO:0000001": 1},
    },
    "MONDO:0005148": {
        "label": "type 2 diabetes mellitus",
        "deprecated": False,
        "synonyms": ["non-insulin-dependent diabetes mellitus"],
        "ancestors": {"MONDO:0005015": 1, "MONDO:0000001": 2},
    },
    "MONDO:0004992": {"label": "cancer", "deprecated": False, "ancestors": {"MONDO:0000001": 1}},
    "MONDO:0007254": {
        "label": "breast cancer",
        "deprecated": False,
        "synonyms": ["malignant tumour of breast"],
        "ancestors": {"MONDO:0004992": 1, "MONDO:0000001": 2},
    },
    "MONDO:0001356": {
        "label": "iron deficiency anemia",
        "deprecated": False,
        "ancestors": {"MONDO:0000001": 1},
    },
    "MONDO:0000002": {
        "label": "obsolete sugar illness",
        "deprecated": True,
        "ancestors": {},
        "replaced_by": "MONDO:0005015",
    },
}

DOID_OBO = """format-version: 1.2
data-version: releases/2024-01-31/doid.obo
ontology: doid

[Term]
id: DOID:4
name: disease

[Term]
id: DOID:9351
name: diabetes mellitus
is_a: DOID:4 ! disease

[Term]
id: DOID:9352
name: type 2 diabetes mellitus
synonym: "NIDDM" EXACT []
xref: ICD10CM:E11
is_a: DOID:9351 ! diabetes mellitus

[Term]
id: DOID:162
name: cancer
is_a: DOID:4 ! disease

[Term]
id: DOID:1612
name: breast cancer
xref: ICD10CM:C50
is_a: DOID:162 ! cancer

[Term]
id: DOID:1234
name: obsolete thing
is_obsolete: true
"""

SSSOM = """# curie_map:
#   DOID: http://purl.obolibrary.org/obo/DOID_
#   MONDO: http://purl.obolibrary.org/obo/MONDO_
# license: https://creativecommons.org/publicdomain/zero/1.0/
# mapping_set_version: test-1
subject_id\tsubject_label\tpredicate_id\tobject_id\tobject_label\tmapping_justification
MONDO:0007254\tbreast cancer\tskos:exactMatch\tDOID:1612\tbreast cancer\tsemapv:ManualMappingCuration
MONDO:0005148\ttype 2 diabetes mellitus\tskos:exactMatch\tDOID:9352\ttype 2 diabetes mellitus\tsemapv:ManualMappingCuration
MONDO:0000001\tdisease\tskos:exactMatch\tDOID:4\tdisease\tsemapv:ManualMappingCuration
"""


def write_fixture_files(folder):
    """Write the three files and return their paths (MONDO JSON, DOID OBO, SSSOM)."""
    mondo = folder / "mondo-tiny.json"
    mondo.write_text(json.dumps(MONDO))
    doid = folder / "doid-tiny.obo"
    doid.write_text(DOID_OBO)
    sssom = folder / "mondo_doid.sssom.tsv"
    sssom.write_text(SSSOM)
    return mondo, doid, sssom


def load_fixture_ontologies(folder, *, icd10=False):
    from governance.gate.services import ontology_load

    for path in write_fixture_files(folder):
        ontology_load(path=path)
    if icd10:
        ontology_load(icd10=True)
