"""The shipped ontology files, loaded for real (about half a minute on SQLite)."""

import time

import pytest

from consent.duo import DataUse
from governance.gate.demo import seed_ontologies
from governance.gate.matcher import match
from governance.gate.models import OntologyClosure, OntologyMapping
from governance.gate.purpose import Purpose
from governance.gate.selectors import covering_terms, diagnosis_terms


@pytest.mark.django_db
def test_the_shipped_ontologies_load_and_chain_across_vocabularies():
    started = time.perf_counter()
    results = seed_ontologies()
    assert all(r.loaded for r in results)
    assert {r.source for r in results} == {"MONDO", "DOID", "SSSOM:DOID-MONDO", "ICD10"}
    assert time.perf_counter() - started < 120

    assert OntologyClosure.objects.filter(
        descendant="MONDO:0007254", ancestor="MONDO:0004992"
    ).exists()
    assert OntologyClosure.objects.filter(
        descendant="MONDO:0005148", ancestor="MONDO:0005015", distance=1
    ).exists()
    assert OntologyClosure.objects.filter(descendant="DOID:1612", ancestor="DOID:162").exists()
    assert OntologyMapping.objects.filter(
        source="DOID:1612", target="MONDO:0007254", kind="exact"
    ).exists()
    assert OntologyMapping.objects.filter(
        source="MONDO:0007254", target="DOID:1612", kind="exact"
    ).exists()
    chain = covering_terms("ICD10:C50.9")
    assert chain["DOID:1612"] == ("ICD10CM:C50", "DOID:1612")
    assert "MONDO:0007254" in chain and "MONDO:0004992" in chain

    purpose = Purpose.from_dict({"category": "DS", "diseases": ["ICD10:C50.9"]})
    outcome = match(DataUse.from_dict({"permission": "DS", "diseases": ["MONDO:0004992"]}), purpose)
    assert outcome.result == "permit"
    assert "via ICD10CM:C50 -> DOID:1612" in outcome.reasons[0].message

    assert diagnosis_terms("insulin-dependent diabetes mellitus") == ["MONDO:0005147", "ICD10:E10"]
    assert diagnosis_terms("alzheimer's disease") == ["MONDO:0004975", "ICD10:G30"]
    assert diagnosis_terms("iron deficiency anaemia") == ["MONDO:0001356", "ICD10:D50"]

    assert not any(r.loaded for r in seed_ontologies())
