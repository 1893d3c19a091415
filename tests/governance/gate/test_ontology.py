import gzip
import json

import pytest
import zstandard
from django.core.management import CommandError, call_command

from governance.errors import ValidationFailed
from governance.gate.models import OntologyClosure, OntologyMapping, OntologyRelease, OntologyTerm
from governance.gate.selectors import covering_terms, diagnosis_terms
from governance.gate.services import ontology_load
from governance.ledger.models import AuditEvent
from tests.governance.gate.ontology_fixtures import (
    DOID_OBO,
    MONDO,
    load_fixture_ontologies,
    write_fixture_files,
)

pytestmark = pytest.mark.django_db


def test_mondo_json_loads_terms_and_a_closure_with_self_at_distance_zero(tmp_path):
    mondo, _, _ = write_fixture_files(tmp_path)
    result = ontology_load(path=mondo)
    assert result.loaded and result.source == "MONDO" and result.terms == len(MONDO)
    pairs = set(
        OntologyClosure.objects.filter(descendant="MONDO:0005148").values_list(
            "ancestor", "distance"
        )
    )
    assert pairs == {("MONDO:0005148", 0), ("MONDO:0005015", 1), ("MONDO:0000001", 2)}
    assert OntologyTerm.objects.get(curie="MONDO:0000002").obsolete
    assert OntologyMapping.objects.filter(
        source="MONDO:0000002", target="MONDO:0005015", kind="replaced_by"
    ).exists()


def test_zstd_compressed_mondo_json_is_detected(tmp_path):
    path = tmp_path / "MONDO-ontology-v2026-01-01.json.zst"
    path.write_bytes(zstandard.ZstdCompressor().compress(json.dumps(MONDO).encode()))
    result = ontology_load(path=path)
    assert result.version == "2026-01-01" and result.terms == len(MONDO)


def test_obo_loads_the_is_a_closure_and_icd10cm_xrefs(tmp_path):
    path = tmp_path / "doid.obo.gz"
    path.write_bytes(gzip.compress(DOID_OBO.encode()))
    result = ontology_load(path=path)
    assert result.source == "DOID" and result.version == "releases/2024-01-31/doid.obo"
    assert set(
        OntologyClosure.objects.filter(descendant="DOID:1612").values_list("ancestor", flat=True)
    ) == {
        "DOID:1612",
        "DOID:162",
        "DOID:4",
    }
    maps = set(OntologyMapping.objects.values_list("source", "target", "kind"))
    assert ("DOID:1612", "ICD10CM:C50", "xref") in maps
    assert ("ICD10CM:C50", "DOID:1612", "xref") in maps  # only DOID:1612 claims C50
    assert ("ICD10CM:C50", "ICD10:C50", "code") in maps and (
        "ICD10:C50",
        "ICD10CM:C50",
        "code",
    ) in maps
    assert OntologyTerm.objects.get(curie="DOID:1234").obsolete


def test_an_icd10cm_code_shared_by_two_terms_maps_only_from_the_terms(tmp_path):
    path = tmp_path / "doid.obo"
    path.write_text(
        DOID_OBO + "\n[Term]\nid: DOID:5\nname: other\nxref: ICD10CM:C50\nis_a: DOID:4\n"
    )
    ontology_load(path=path)
    assert OntologyMapping.objects.filter(source="DOID:5", target="ICD10CM:C50").exists()
    assert not OntologyMapping.objects.filter(
        source="ICD10CM:C50", target__startswith="DOID:"
    ).exists()


def test_an_icd10cm_subcode_maps_up_to_its_who_stem_only(tmp_path):
    path = tmp_path / "doid.obo"
    path.write_text(DOID_OBO.replace("xref: ICD10CM:E11", "xref: ICD10CM:E11.65"))
    ontology_load(path=path)
    assert OntologyMapping.objects.filter(
        source="ICD10CM:E11.65", target="ICD10:E11.6", kind="code_stem"
    ).exists()
    assert not OntologyMapping.objects.filter(source="ICD10:E11.6").exists()


def test_loading_the_same_release_again_changes_nothing(tmp_path):
    mondo, _, _ = write_fixture_files(tmp_path)
    ontology_load(path=mondo)
    rows = OntologyClosure.objects.count()
    events = AuditEvent.objects.count()
    again = ontology_load(path=mondo)
    assert not again.loaded
    assert OntologyClosure.objects.count() == rows and AuditEvent.objects.count() == events


def test_a_new_release_replaces_the_old_one(tmp_path):
    mondo, _, _ = write_fixture_files(tmp_path)
    ontology_load(path=mondo)
    smaller = {k: v for k, v in MONDO.items() if k != "MONDO:0001356"}
    mondo.write_text(json.dumps(smaller))
    assert ontology_load(path=mondo).loaded
    assert not OntologyTerm.objects.filter(curie="MONDO:0001356").exists()
    assert OntologyRelease.objects.filter(source="MONDO").count() == 1
    assert AuditEvent.objects.filter(action="gate.ontology_load").count() == 2


def test_a_bad_file_changes_nothing_and_names_the_line(tmp_path):
    _, doid, sssom = write_fixture_files(tmp_path)
    ontology_load(path=doid)
    before = OntologyMapping.objects.count()
    bad = tmp_path / "bad.sssom.tsv"
    bad.write_text(
        "# x\nsubject_id\tpredicate_id\tobject_id\nMONDO:1\tskos:exactMatch\tnot-a-curie\n"
    )
    with pytest.raises(ValidationFailed, match="line 3: subject_id and object_id must be CURIEs"):
        ontology_load(path=bad)
    assert OntologyMapping.objects.count() == before
    (tmp_path / "x.csv").write_text("a,b\n")
    with pytest.raises(ValidationFailed, match="unknown ontology format"):
        ontology_load(path=tmp_path / "x.csv")


def test_an_obo_file_with_a_dangling_parent_is_refused(tmp_path):
    path = tmp_path / "doid.obo"
    path.write_text(DOID_OBO.replace("is_a: DOID:162 ! cancer", "is_a: DOID:999999"))
    with pytest.raises(ValidationFailed, match="DOID:1612 is_a DOID:999999"):
        ontology_load(path=path)
    assert not OntologyTerm.objects.exists()


def test_the_command_loads_files_and_icd10(tmp_path, capsys):
    mondo, doid, sssom = write_fixture_files(tmp_path)
    call_command("load_ontology", str(mondo), str(doid), str(sssom), "--icd10")
    out = capsys.readouterr().out
    assert "MONDO" in out and "DOID" in out and "ICD10" in out and "loaded" in out
    assert OntologyClosure.objects.filter(
        descendant="ICD10:C50.9", ancestor="ICD10:C50", distance=1
    ).exists()
    assert OntologyClosure.objects.filter(descendant="ICD10:C50.9", ancestor="ICD10:II").exists()
    with pytest.raises(CommandError, match="no such file"):
        call_command("load_ontology", str(tmp_path / "missing.obo"))
    with pytest.raises(CommandError, match="give at least one FILE"):
        call_command("load_ontology")


def test_covering_terms_cross_vocabularies_and_say_through_which_term(tmp_path):
    load_fixture_ontologies(tmp_path, icd10=True)
    t2d = covering_terms("MONDO:0005148")
    assert t2d["MONDO:0005015"] == ()
    assert t2d["DOID:9351"] == ("DOID:9352",)
    assert "ICD10:E11" in t2d
    c50 = covering_terms("ICD10:C50.9")
    assert c50["MONDO:0007254"] == ("ICD10CM:C50", "DOID:1612", "MONDO:0007254")
    assert "MONDO:0004992" in c50
    assert "MONDO:0005015" not in c50
    assert covering_terms("MONDO:9999999") == {"MONDO:9999999": ()}


def test_diagnosis_names_resolve_through_labels_synonyms_and_british_spellings(tmp_path):
    load_fixture_ontologies(tmp_path, icd10=True)
    assert diagnosis_terms("Iron deficiency anaemia") == ["MONDO:0001356", "ICD10:D50"]
    assert diagnosis_terms("malignant tumour of breast") == ["MONDO:0007254", "ICD10:C50"]
    assert diagnosis_terms("NIDDM") == ["MONDO:0005148", "ICD10:E11"]
    assert diagnosis_terms("no such illness") == []
