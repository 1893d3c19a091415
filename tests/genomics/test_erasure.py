"""Erasure: the subject's key and files are gone, everyone else is untouched, nothing lingers."""

from __future__ import annotations

import base64
import json
import logging
import subprocess

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from consent.models import Subject
from genomics import vault
from genomics.exceptions import VaultAccessDenied
from genomics.models import ErasureCertificate, FileState, GenomicFile, SubjectKey, VariantCall
from genomics.services import genomic_file_ingest, master_key_rotate, subject_erase
from genomics.services.erasure import erasure_certificate_verify, register_released_exports_source
from genomics.vault import blob_path, open_plaintext
from governance import keys
from governance.audit import Action
from governance.errors import IntegrityFailure, InvalidTransition
from tests.genomics.conftest import env_redis, read_all, vcf_text, write

RECORDS = [f"1\t{100 + i}\t.\tA\tG\t.\tPASS\t.\tGT\t0/1\t1/1\t0/1" for i in range(50)]


@pytest.fixture
def three(make_subject, steward, tmp_path, consented):
    subjects = [
        consented(make_subject(name=f"Name {i}", email=f"p{i}@example.org")) for i in range(3)
    ]
    path = write(tmp_path / "three.vcf", vcf_text(["A", "B", "C"], RECORDS))
    genomic_file_ingest(
        actor=steward, path=path, sample_map=dict(zip("ABC", subjects, strict=True))
    )
    return subjects


def private_key_of(subject) -> bytes:
    key = SubjectKey.objects.get(subject=subject, destroyed_at__isnull=True)
    return keys.unwrap_key(bytes(key.wrapped_private), context=key.context)


def representations(secret: bytes) -> list[bytes]:
    return [
        secret,
        secret.hex().encode(),
        secret.hex().upper().encode(),
        base64.b64encode(secret),
        base64.urlsafe_b64encode(secret).rstrip(b"="),
        base64.b64encode(secret).rstrip(b"="),
    ]


def database_bytes() -> bytes:
    """Every value of every table, as bytes: a poor man's database dump."""
    parts = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f'SELECT * FROM "{table}"')  # noqa: S608 - table names from introspection
            for row in cursor.fetchall():
                for value in row:
                    if isinstance(value, (bytes, bytearray, memoryview)):
                        parts.append(bytes(value))
                    elif value is not None:
                        parts.append(str(value).encode())
    return b"\x00".join(parts)


@pytest.mark.django_db
def test_erasure_destroys_the_key_files_and_index_and_leaves_others_readable(
    three, steward, decision_for
):
    gone, kept, _ = three
    gone_file, kept_file = gone.genomic_files.get(), kept.genomic_files.get()
    expected = read_all(open_plaintext(kept_file, decision=decision_for(kept), actor=steward))
    certificate = subject_erase(actor=steward, subject=gone)

    gone.refresh_from_db()
    key = SubjectKey.objects.get(subject=gone)
    assert key.wrapped_private is None and key.destroyed_at is not None
    with pytest.raises(keys.KeyUnavailable):
        vault._subject_private_key(
            GenomicFile.objects.select_related("subject", "subject_key").get(pk=gone_file.pk)
        )
    assert not blob_path(gone_file).exists()
    assert GenomicFile.objects.get(pk=gone_file.pk).state == FileState.ERASED
    assert not VariantCall.objects.filter(subject=gone).exists()
    decision = decision_for(gone)
    assert not decision.allowed  # the gate refuses an erased subject
    with pytest.raises(VaultAccessDenied):
        open_plaintext(gone_file, decision=decision, actor=steward)

    assert (
        read_all(open_plaintext(kept_file, decision=decision_for(kept), actor=steward)) == expected
    )
    assert VariantCall.objects.filter(subject=kept).count() == 50

    document = erasure_certificate_verify(certificate)
    assert document["subject"] == gone.code
    assert document["erased_by"] == "steward"
    assert document["files"] == [
        {
            "file_id": str(gone_file.file_id),
            "plaintext_sha256": gone_file.plaintext_sha256,
            "ciphertext_size": gone_file.ciphertext_size,
            "state_before": "stored",
        }
    ]
    assert [k["version"] for k in document["subject_keys"]] == [1]
    assert document["variant_calls_deleted"] == 50
    assert document["exports_already_released"] == []


@pytest.mark.django_db
def test_erasure_clears_identifiers_but_keeps_the_code(three, steward, audit_actions):
    gone = three[0]
    subject_erase(actor=steward, subject=gone)
    row = Subject.objects.get(pk=gone.pk)
    assert row.code == gone.code and row.erased_at is not None
    assert (row.name_enc, row.email_enc, row.mrn_enc, row.email_index, row.mrn_index) == (None,) * 5
    assert row.birth_date is None and row.postcode == "" and row.sample_id == ""
    assert keys.blind_index("p0@example.org", field="email") not in database_bytes().decode(
        errors="ignore"
    )
    [event] = audit_actions(Action.SUBJECT_ERASE)
    assert event.subject_code == gone.code
    assert event.extra["files"] == 1 and event.extra["subject_keys"] == 1
    assert "Name 0" not in json.dumps(event.extra)


@pytest.mark.django_db
def test_no_copy_of_the_erased_key_is_left_in_the_database_logs_or_redis(
    three, steward, decision_for, caplog
):
    caplog.set_level(logging.DEBUG)
    gone = three[0]
    secret = private_key_of(gone)
    wrapped = bytes(SubjectKey.objects.get(subject=gone).wrapped_private)
    read_all(open_plaintext(gone.genomic_files.get(), decision=decision_for(gone), actor=steward))
    master_key_rotate(actor=steward)
    subject_erase(actor=steward, subject=gone)

    dump = database_bytes()
    for form in representations(secret) + [wrapped]:
        assert form not in dump
    logged = "\n".join(r.getMessage() for r in caplog.records).encode() + caplog.text.encode()
    for form in representations(secret):
        assert form not in logged
    if env_redis():
        redis_dump = subprocess.run(
            ["redis-cli", "-u", env_redis(), "--no-raw", "KEYS", "*"],
            capture_output=True,
            check=True,
        ).stdout
        for name in redis_dump.split():
            value = subprocess.run(
                ["redis-cli", "-u", env_redis(), "--no-raw", "DUMP", name],
                capture_output=True,
                check=False,
            ).stdout
            for form in representations(secret):
                assert form not in value


@pytest.mark.django_db
def test_the_private_key_never_sits_in_the_database_even_before_erasure(three):
    dump = database_bytes()
    for subject in three:
        for form in representations(private_key_of(subject)):
            assert form not in dump


@pytest.mark.django_db
def test_erasing_twice_is_refused_and_the_command_needs_confirmation(three, steward, capsys):
    gone = three[0]
    with pytest.raises(CommandError, match="--yes"):
        call_command("erase_subject", gone.code)
    assert Subject.objects.get(pk=gone.pk).erased_at is None
    call_command("erase_subject", gone.code, "--yes", "--actor", "steward")
    output = json.loads(capsys.readouterr().out)
    assert output["certificate"]["subject"] == gone.code
    with pytest.raises(InvalidTransition):
        subject_erase(actor=steward, subject=gone)
    with pytest.raises(CommandError, match="already erased"):
        call_command("erase_subject", gone.code, "--yes")


@pytest.mark.django_db
def test_a_tampered_certificate_does_not_verify(three, steward):
    certificate = subject_erase(actor=steward, subject=three[0])
    certificate.document = certificate.document.replace(three[0].code, three[1].code)
    with pytest.raises(IntegrityFailure):
        erasure_certificate_verify(certificate)


@pytest.mark.django_db
def test_released_exports_reported_by_a_higher_layer_are_listed(three, steward, monkeypatch):
    from genomics.services import erasure

    monkeypatch.setattr(erasure, "_released_export_sources", [])
    register_released_exports_source(
        lambda subject: [
            {"export_id": "exp-1", "released_at": "2026-01-01T00:00:00Z", "recipient": "user:7"}
        ]
    )
    certificate = subject_erase(actor=steward, subject=three[0])
    assert json.loads(certificate.document)["exports_already_released"][0]["export_id"] == "exp-1"
    assert ErasureCertificate.objects.count() == 1
