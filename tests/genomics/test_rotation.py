"""Master key rotation: every key rewrapped, resumably, no file touched; retirement guarded."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from genomics.models import GenomicFile, SubjectKey
from genomics.selectors import master_key_usage
from genomics.services import (
    genomic_file_ingest,
    master_key_retire,
    master_key_rotate,
    subject_key_ensure,
)
from genomics.vault import blob_path, open_plaintext
from governance import keys
from governance.audit import Action
from governance.models import KeyMaterial
from tests.genomics.conftest import read_all, vcf_text, write


@pytest.fixture
def stored(make_subject, steward, tmp_path, consented):
    subjects = [consented(make_subject()) for _ in range(5)]
    samples = [f"S{i}" for i in range(5)]
    records = ["1\t100\t.\tA\tG\t.\tPASS\t.\tGT\t" + "\t".join(["0/1"] * 5)]
    path = write(tmp_path / "five.vcf", vcf_text(samples, records))
    genomic_file_ingest(
        actor=steward, path=path, sample_map=dict(zip(samples, subjects, strict=True))
    )
    return subjects


def snapshot() -> dict:
    return {
        f.file_id: (blob_path(f).read_bytes(), blob_path(f).stat().st_mtime_ns)
        for f in GenomicFile.objects.all()
    }


@pytest.mark.django_db
def test_rotation_rewraps_every_key_and_leaves_files_untouched_and_readable(
    stored, steward, decision_for, audit_actions, capsys
):
    before = snapshot()
    plaintext = {
        s.code: read_all(
            open_plaintext(s.genomic_files.get(), decision=decision_for(s), actor=steward)
        )
        for s in stored
    }
    assert keys.master_key_current_version() == 1
    call_command("rotate_master_key", "--batch-size", "2", "--actor", "steward")
    report = json.loads(capsys.readouterr().out)
    assert report["added_version"] == 2
    assert report["subject_keys_rewrapped"] == 5
    assert report["remaining"] == 0
    assert set(SubjectKey.objects.values_list("master_version", flat=True)) == {2}
    assert {
        keys.wrapped_version(bytes(w))
        for w in SubjectKey.objects.values_list("wrapped_private", flat=True)
    } == {2}
    assert {
        keys.wrapped_version(bytes(w))
        for w in KeyMaterial.objects.values_list("wrapped", flat=True)
    } == {2}
    assert snapshot() == before
    for s in stored:
        assert (
            read_all(open_plaintext(s.genomic_files.get(), decision=decision_for(s), actor=steward))
            == plaintext[s.code]
        )
    events = audit_actions(Action.KEY_ROTATE)
    assert [e.extra["rewrapped"] for e in events if e.extra["kind"] == "subject_keys"] == [2, 2, 1]
    assert any(e.extra["kind"] == "key_material" for e in events)


@pytest.mark.django_db
def test_an_interrupted_rotation_is_continued_by_the_next_run(stored, steward):
    first = master_key_rotate(actor=steward, batch_size=2, max_batches=1)
    assert (first.added_version, first.subject_keys_rewrapped, first.remaining) == (2, 2, 3)
    second = master_key_rotate(actor=steward, batch_size=2)
    assert second.added_version is None  # continues the rotation in progress
    assert (second.subject_keys_rewrapped, second.remaining) == (3, 0)
    assert keys.master_key_versions() == [1, 2]
    third = master_key_rotate(actor=steward)
    assert third.added_version == 3  # nothing left on old versions: a new rotation


@pytest.mark.django_db
def test_retiring_a_version_is_refused_while_a_key_still_uses_it(stored, steward, audit_actions):
    master_key_rotate(actor=steward, batch_size=2, max_batches=1)
    with pytest.raises(CommandError, match="still wraps 3 subject key"):
        call_command("rotate_master_key", "--retire", "1")
    assert 1 in keys.master_key_versions()
    with pytest.raises(CommandError, match="current master key version"):
        call_command("rotate_master_key", "--retire", "2")
    master_key_rotate(actor=steward)
    master_key_retire(actor=steward, version=1)
    assert keys.master_key_versions() == [2]
    assert master_key_usage() == {
        2: {"subject_keys": 5, "key_material": KeyMaterial.objects.count()}
    }
    [event] = audit_actions(Action.KEY_RETIRE)
    assert event.extra == {"version": 1}


@pytest.mark.django_db
def test_after_retirement_old_wrapped_copies_no_longer_open(stored, steward):
    key = SubjectKey.objects.select_related("subject").first()
    old_copy = bytes(key.wrapped_private)  # e.g. in a database backup
    master_key_rotate(actor=steward)
    master_key_retire(actor=steward, version=1)
    with pytest.raises(keys.KeyUnavailable):
        keys.unwrap_key(old_copy, context=key.context)


@pytest.mark.django_db
def test_a_subject_key_is_created_once(make_subject):
    subject = make_subject()
    first = subject_key_ensure(subject=subject)
    assert subject_key_ensure(subject=subject).pk == first.pk
    assert len(bytes(first.public_key)) == 32
    assert keys.wrapped_version(bytes(first.wrapped_private)) == first.master_version == 1
