"""The demo world is deterministic, idempotent and described by its manifest."""

import json

import pytest
from django.core.management import call_command

from consent.models import Subject

pytestmark = pytest.mark.django_db


def test_seed_builds_subjects_users_and_a_manifest(tmp_path, settings):
    settings.DEBUG = True
    manifest = tmp_path / "manifest.json"
    call_command("seed_demo", subjects=12, seed=3, manifest=manifest)
    data = json.loads(manifest.read_text())
    assert len(data["subjects"]) == Subject.objects.count() == 12
    first = data["subjects"][0]
    assert set(first) >= {"code", "sample_id", "identifiers", "consent_status"}
    assert set(first["identifiers"]) == {"name", "email", "mrn", "birth_date", "postcode"}
    assert first["sample_id"] == "HG00096"
    roles = {role for user in data["users"] for role in user["roles"]}
    assert roles == {"patient", "data_steward", "researcher", "dac_member", "compliance_officer"}
    subject = Subject.objects.get(code=first["code"])
    assert first["identifiers"]["name"].encode() not in bytes(subject.name_enc)


def test_a_second_seed_reuses_the_first_world(tmp_path, settings):
    settings.DEBUG = True
    call_command("seed_demo", subjects=5, seed=3, manifest=tmp_path / "a.json")
    codes = set(Subject.objects.values_list("code", flat=True))
    call_command("seed_demo", subjects=5, seed=3, manifest=tmp_path / "b.json")
    assert set(Subject.objects.values_list("code", flat=True)) == codes
    assert json.loads((tmp_path / "a.json").read_text()) == json.loads((tmp_path / "b.json").read_text())


def test_the_same_seed_gives_the_same_synthetic_identities(tmp_path, settings, django_db_blocker):
    settings.DEBUG = True
    call_command("seed_demo", subjects=3, seed=11, manifest=tmp_path / "a.json")
    first = json.loads((tmp_path / "a.json").read_text())["subjects"]
    Subject.objects.all().delete()
    call_command("seed_demo", subjects=3, seed=11, manifest=tmp_path / "b.json")
    second = json.loads((tmp_path / "b.json").read_text())["subjects"]
    assert [s["identifiers"] for s in first] == [s["identifiers"] for s in second]
    assert [s["code"] for s in first] == [s["code"] for s in second]


def test_demo_users_are_not_created_outside_development(tmp_path, settings):
    settings.DEBUG = False
    call_command("seed_demo", subjects=2, seed=1, manifest=tmp_path / "m.json")
    assert json.loads((tmp_path / "m.json").read_text())["users"] == []
