"""Demo seeding for the consent gate: the shipped disease ontologies.

``seed_demo`` calls ``seed_ontologies()`` before coding the cohort's diagnoses with
``governance.gate.selectors.diagnosis_terms``.
"""

from __future__ import annotations

from pathlib import Path

from governance.gate.services import LoadResult, ontology_load

DATA_DIR = Path(__file__).resolve().parent / "data"
MONDO_FILE = DATA_DIR / "MONDO-ontology-v2026-05-05.json.zst"
DOID_FILE = DATA_DIR / "doid.obo.gz"
MONDO_DOID_FILE = DATA_DIR / "mondo_exactmatch_doid.sssom.tsv"


def seed_ontologies(*, actor="system") -> list[LoadResult]:
    """Load MONDO, DOID, the MONDO-DOID mappings and ICD-10; releases already loaded are
    skipped, so calling it again is cheap."""
    results = [
        ontology_load(path=path, actor=actor) for path in (MONDO_FILE, DOID_FILE, MONDO_DOID_FILE)
    ]
    results.append(ontology_load(icd10=True, actor=actor))
    return results
