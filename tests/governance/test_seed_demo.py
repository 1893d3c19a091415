"""The demo world is deterministic, idempotent and described by its manifest."""

import json
from collections import Counter

import pytest
from django.core.management import call_command
from django.utils import timezone

from consent.models import Subject, SubjectDiagnosis
from genomics.models import GenomicFile
from governance.demo import world

pytestmark = pytest.mark.django_db


def test_seed_builds_the_whole_world_once_and_reuses_it(tmp_path, settings):
    settings.DEBUG = True
    first, second = tmp_path / "a.json", tmp_path / "b.json"
    call_command("seed_demo", subjects=30, seed=3, manifest=first)
    data = json.loads(first.read_text())

    assert len(data["subjects"]) == Subject.objects.count() == 30
    entry = data["subjects"][0]
    assert set(entry) == {"code", "sample_id", "identifiers", "consent_status"}
    assert set(entry["identifiers"]) == {"name", "email", "mrn", "birth_date", "postcode"}
    assert entry["sample_id"] == "HG00096"
    subject = Subject.objects.get(code=entry["code"])
    assert entry["identifiers"]["name"].encode() not in bytes(subject.name_enc)

    statuses = Counter(s["consent_status"] for s in data["subjects"])
    assert set(statuses) <= {"active", "withdrawn", "out_of_scope"} and statuses["active"] > 0
    assert SubjectDiagnosis.objects.filter(term__startswith="MONDO:").exists()
    assert SubjectDiagnosis.objects.filter(term__startswith="ICD10:").exists()
    assert GenomicFile.objects.count() == 30

    roles = {role for user in data["users"] for role in user["roles"]}
    assert roles == {"patient", "data_steward", "researcher", "dac_member", "compliance_officer"}
    patient = Subject.objects.get(user__username="demo_patient")
    assert patient.current_consent.status == "active"

    demo = data["demo_export"]
    assert demo["k"] >= 5
    assert "CRYPT4GH PUBLIC KEY" in open(demo["researcher_public_key"]).read()

    from governance.compliance.models import VerificationRun

    assert VerificationRun.objects.exists()

    call_command("seed_demo", subjects=30, seed=3, manifest=second)
    assert Subject.objects.count() == 30
    assert json.loads(second.read_text()) == data


def test_the_same_seed_gives_the_same_synthetic_identities():
    now = timezone.now()
    first = [world.subject_identifiers(s) for s in world.create_subjects(count=4, seed=11, now=now)]
    codes = list(Subject.objects.order_by("id").values_list("code", flat=True))
    Subject.objects.all().delete()
    second = [world.subject_identifiers(s) for s in world.create_subjects(count=4, seed=11, now=now)]
    assert first == second
    assert codes == list(Subject.objects.order_by("id").values_list("code", flat=True))


def test_a_different_seed_gives_different_identities():
    now = timezone.now()
    a_names = {world.subject_identifiers(s)["name"] for s in world.create_subjects(count=3, seed=1, now=now)}
    Subject.objects.all().delete()
    b_names = {world.subject_identifiers(s)["name"] for s in world.create_subjects(count=3, seed=2, now=now)}
    assert a_names != b_names


def test_subject_count_outside_the_cohort_is_refused():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="--subjects"):
        call_command("seed_demo", subjects=0)
