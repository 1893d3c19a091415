"""Running an export: outputs, manifest and signature, consent at run time, exactly once."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import sys
from pathlib import Path

import pandas as pd
import pytest
from crypt4gh import lib as c4gh_lib
from django.conf import settings
from django.utils import timezone
from pycanon import anonymity

from consent.services import consent_withdraw
from genomics.crypt4gh import generate_keypair
from genomics.models import SubjectKey, subject_key_context
from governance import keys
from governance.access.services import access_grant_revoke
from governance.audit import Action
from governance.exports.models import CohortExport, ExportState
from governance.exports.services import cohort_export_request, cohort_export_run
from governance.exports.services import outputs as outputs_module
from governance.exports.services.folders import final_folder, temp_folder
from governance.keys import unwrap_key
from governance.ledger.models import AuditEvent
from tests.governance.exports.conftest import NPU_ONLY, POSITIONS, genotype_of
from tests.governance.exports.helpers import (
    complete,
    decrypt_with_reference,
    folder,
    genotype_vcf,
    manifest,
    table,
)

pytestmark = pytest.mark.django_db


def run(cohort, **kwargs) -> CohortExport:
    export = cohort_export_request(
        actor=cohort.researcher, grant=cohort.grant, enqueue_run=False, **kwargs
    )
    return cohort_export_run(export_id=export.pk)


def events(action: str, export: CohortExport | None = None) -> list[AuditEvent]:
    found = AuditEvent.objects.filter(action=action)
    if export is not None:
        found = found.filter(object_id=str(export.pk))
    return list(found.order_by("seq"))


def test_an_export_publishes_tables_genotypes_and_a_signed_manifest(make_cohort):
    cohort = make_cohort(n=8)
    export = run(cohort)
    assert export.state == ExportState.SUCCEEDED
    assert sorted(p.name for p in folder(export).iterdir()) == [
        "genotypes.vcf.gz.c4gh",
        "manifest.json",
        "manifest.sig",
        "phenotypes.csv",
        "phenotypes.parquet",
    ]
    data = manifest(export)
    assert data["grant_id"] == cohort.grant.pk and data["purpose_id"] == f"grant:{cohort.grant.pk}"
    assert data["counts"]["subjects_released"] == 8 == export.subject_count
    assert data["counts"]["variant_records"] == len(POSITIONS)
    assert data["software"]["version"]
    assert complete(folder(export))
    assert {f["name"] for f in export.files} >= {f["name"] for f in data["files"]}
    body = (folder(export) / "manifest.json").read_bytes()
    assert hashlib.sha256(body).hexdigest() == export.manifest_sha256


def test_the_manifest_signature_verifies_with_the_published_jwks_key(make_cohort, client):
    export = run(make_cohort(n=6))
    body = (folder(export) / "manifest.json").read_bytes()
    signature = (folder(export) / "manifest.sig").read_bytes()
    jwks = client.get("/.well-known/jwks.json").json()
    kid = manifest(export)["signature"]["kid"]
    (jwk,) = [k for k in jwks["keys"] if k["kid"] == kid]
    raw = base64.urlsafe_b64decode(jwk["x"] + "=" * (-len(jwk["x"]) % 4))
    keys.verify_signature(body, signature, public_key=raw)
    with pytest.raises(keys.SignatureInvalid):
        keys.verify_signature(body.replace(b'"grant_id"', b'"grant_ID"'), signature, public_key=raw)


def test_the_manifest_records_the_consent_version_used_per_pseudonym(make_cohort):
    cohort = make_cohort(n=6)
    export = run(cohort)
    versions = {s.current_consent_id for s in cohort.subjects}
    listed = manifest(export)["subjects"]
    assert {entry["consent_version_id"] for entry in listed} == versions
    assert sorted(entry["pseudonym"] for entry in listed) == sorted(table(export)["pseudonym"])


def test_the_deidentification_report_lets_anyone_recompute_k_with_pycanon(make_cohort):
    cohort = make_cohort(n=12)
    export = run(cohort)
    report = manifest(export)["deidentification"]
    assert {
        "quasi_identifiers",
        "sensitive_columns",
        "k_achieved",
        "l_achieved",
        "suppressed",
    } <= set(report)
    released = table(export)
    assert (
        anonymity.k_anonymity(released, report["quasi_identifiers"])
        == report["k_achieved"]
        >= cohort.grant.k
    )
    parquet = pd.read_parquet(folder(export) / "phenotypes.parquet")
    assert list(parquet["pseudonym"]) == list(released["pseudonym"])


def test_the_genotypes_decrypt_with_the_reference_tool_and_name_samples_by_pseudonym(make_cohort):
    cohort = make_cohort(n=6)
    export = run(cohort)
    vcf = genotype_vcf(export, cohort.researcher_secret)
    header = [line for line in vcf.splitlines() if line.startswith("#CHROM")][0].split("\t")
    pseudonyms = header[9:]
    assert sorted(pseudonyms) == sorted(table(export)["pseudonym"])
    # Each sample column carries that subject's own genotypes.
    pseudonym = outputs_module.pseudonym_for(cohort.grant.pk)
    column = {pseudonym(s.code): (i, s) for i, s in enumerate(cohort.subjects)}
    for line in vcf.splitlines():
        if line.startswith("#"):
            continue
        fields = line.split("\t")
        assert fields[7] == "." and fields[8] == "GT"
        for name, call in zip(pseudonyms, fields[9:], strict=True):
            expected = genotype_of(column[name][0], int(fields[1]))
            assert call == ("0/0" if expected == "0|0" else expected)


def test_the_genotypes_open_with_no_other_key(make_cohort):
    cohort = make_cohort(n=6)
    export = run(cohort)
    path = folder(export) / "genotypes.vcf.gz.c4gh"
    other_researcher_secret, _ = generate_keypair()
    subject_key = SubjectKey.objects.get(subject=cohort.subjects[0])
    subject_secret = unwrap_key(
        bytes(subject_key.wrapped_private),
        context=subject_key_context(cohort.subjects[0].code, subject_key.version),
    )
    for wrong in (other_researcher_secret, subject_secret, os.urandom(32)):
        with pytest.raises(Exception):  # noqa: B017 - the reference tool raises ValueError variants
            decrypt_with_reference(path, wrong)
    assert decrypt_with_reference(path, cohort.researcher_secret)


def test_regions_restrict_the_genotype_file(make_cohort):
    cohort = make_cohort(n=6)
    export = run(cohort, criteria={"regions": ["chr1:10200-10510"]})
    vcf = genotype_vcf(export, cohort.researcher_secret)
    positions = [int(line.split("\t")[1]) for line in vcf.splitlines() if not line.startswith("#")]
    assert positions == [p for p in POSITIONS if 10200 <= p <= 10510]


def test_a_subject_withdrawn_before_the_run_is_not_exported(make_cohort):
    cohort = make_cohort(n=7)
    gone = cohort.subjects[0]
    export = cohort_export_request(actor=cohort.researcher, grant=cohort.grant, enqueue_run=False)
    consent_withdraw(actor=cohort.steward, subject=gone, via="staff")
    export = cohort_export_run(export_id=export.pk)
    assert export.subject_count == 6
    assert not [
        e for e in events(Action.EXPORT_SUBJECT_INCLUDED, export) if e.subject_code == gone.code
    ]


def test_a_withdrawal_committed_while_the_files_are_built_removes_the_subject_and_rebuilds(
    make_cohort, monkeypatch
):
    cohort = make_cohort(n=7)
    gone = cohort.subjects[3]
    build = outputs_module.build_outputs
    calls = []

    def build_then_withdraw(**kwargs):
        built = build(**kwargs)
        if not calls:
            consent_withdraw(actor=cohort.steward, subject=gone, via="staff")
        calls.append(len(kwargs["members"]))
        return built

    monkeypatch.setattr("governance.exports.services.run.build_outputs", build_then_withdraw)
    export = run(cohort)
    assert calls == [7, 6]
    assert export.subject_count == 6
    removed = events(Action.EXPORT_SUBJECT_REMOVED, export)
    assert [(e.subject_code, e.extra["stage"]) for e in removed] == [(gone.code, "publish")]
    pseudonym = outputs_module.pseudonym_for(cohort.grant.pk)
    assert pseudonym(gone.code) not in set(table(export)["pseudonym"])
    assert pseudonym(gone.code) not in genotype_vcf(export, cohort.researcher_secret)


def test_a_consent_that_no_longer_covers_the_purpose_is_removed_like_a_withdrawal(
    make_cohort, monkeypatch
):
    from consent.services import consent_amend

    cohort = make_cohort(n=7)
    narrowed = cohort.subjects[2]
    build = outputs_module.build_outputs
    state = {"done": False}

    def build_then_narrow(**kwargs):
        built = build(**kwargs)
        if not state["done"]:
            state["done"] = True
            consent_amend(
                actor=cohort.steward, subject=narrowed, data_use={"permission": "DUO:0000042", "modifiers": ["DUO:0000045"]},
                categories=["clinical"], via="staff",
            )  # fmt: skip
        return built

    monkeypatch.setattr("governance.exports.services.run.build_outputs", build_then_narrow)
    export = run(cohort)
    assert export.subject_count == 6
    assert [e.subject_code for e in events(Action.EXPORT_SUBJECT_REMOVED, export)] == [
        narrowed.code
    ]


def test_each_export_writes_one_completion_event_and_one_inclusion_event_per_subject(make_cohort):
    cohort = make_cohort(n=6)
    export = run(cohort)
    again = cohort_export_run(export_id=export.pk)
    assert again.state == ExportState.SUCCEEDED and again.attempt == 1
    assert len(events(Action.EXPORT_COMPLETE, export)) == 1
    included = events(Action.EXPORT_SUBJECT_INCLUDED, export)
    assert sorted(e.subject_code for e in included) == sorted(s.code for s in cohort.subjects)
    assert {e.purpose for e in included} == {f"grant:{cohort.grant.pk}"}


def test_a_crash_after_publishing_but_before_commit_is_rebuilt_on_the_next_claim(make_cohort):
    cohort = make_cohort(n=6)
    export = cohort_export_request(actor=cohort.researcher, grant=cohort.grant, enqueue_run=False)
    # What a worker killed between os.replace and COMMIT leaves: a running export whose
    # lease has expired, a published-looking folder, and its attempt's temporary folder.
    CohortExport.objects.filter(pk=export.pk).update(
        state=ExportState.RUNNING, attempt=1, lease_expires_at=timezone.now()
    )
    final_folder(export.pk).mkdir(parents=True)
    (final_folder(export.pk) / "manifest.json").write_text("{}")
    temp_folder(export.pk, 1).mkdir()
    export = cohort_export_run(export_id=export.pk)
    assert export.state == ExportState.SUCCEEDED and export.attempt == 2
    assert complete(final_folder(export.pk))
    assert not temp_folder(export.pk, 1).exists()
    assert [p.name for p in Path(settings.EXPORT_DIR).iterdir()] == [str(export.pk)]


def test_a_run_that_cannot_claim_does_nothing(make_cohort):
    cohort = make_cohort(n=6, genotypes=False, categories=("clinical", "demographic"))
    export = cohort_export_request(actor=cohort.researcher, grant=cohort.grant, enqueue_run=False)
    lease = timezone.now() + timezone.timedelta(minutes=5)
    CohortExport.objects.filter(pk=export.pk).update(
        state=ExportState.RUNNING, attempt=1, lease_expires_at=lease
    )
    export = cohort_export_run(export_id=export.pk)
    assert export.state == ExportState.RUNNING and export.attempt == 1
    assert not events(Action.EXPORT_START, export)


def test_a_run_whose_claim_was_taken_over_publishes_nothing(make_cohort, monkeypatch):
    cohort = make_cohort(n=6, genotypes=False, categories=("clinical", "demographic"))
    build = outputs_module.build_outputs

    def build_then_lose_the_claim(**kwargs):
        built = build(**kwargs)
        CohortExport.objects.filter(pk=kwargs["export"].pk).update(attempt=5)
        return built

    monkeypatch.setattr("governance.exports.services.run.build_outputs", build_then_lose_the_claim)
    export = run(cohort)
    assert export.state == ExportState.RUNNING
    assert not final_folder(export.pk).exists()
    assert not events(Action.EXPORT_COMPLETE, export)
    assert not list(Path(settings.EXPORT_DIR).iterdir())


def test_a_cohort_smaller_than_k_fails_with_its_reason_and_publishes_nothing(make_cohort):
    cohort = make_cohort(n=4, genotypes=False, categories=("clinical", "demographic"))
    export = run(cohort)
    assert export.state == ExportState.FAILED
    assert "suppress" in export.failure_reason.lower()
    assert not list(Path(settings.EXPORT_DIR).iterdir())
    assert len(events(Action.EXPORT_FAIL, export)) == 1
    assert not events(Action.EXPORT_COMPLETE, export)


def test_a_grant_revoked_before_the_run_fails_the_export(make_cohort, personas):
    cohort = make_cohort(n=6, genotypes=False, categories=("clinical", "demographic"))
    export = cohort_export_request(actor=cohort.researcher, grant=cohort.grant, enqueue_run=False)
    access_grant_revoke(
        actor=personas.dac_member, grant=cohort.grant, reason="Ethics approval lapsed."
    )
    export = cohort_export_run(export_id=export.pk)
    assert export.state == ExportState.FAILED
    assert "revoked or expired" in export.failure_reason


def test_subjects_whose_consent_does_not_cover_the_purpose_are_never_frozen(
    make_cohort, make_subject, personas
):
    from consent.services import consent_grant

    cohort = make_cohort(n=6, genotypes=False, categories=("clinical", "demographic"))
    commercial_only = make_subject(sex="female", ethnic_background="British")
    consent_grant(
        actor=personas.steward, subject=commercial_only, data_use=NPU_ONLY | {"permission": "DUO:0000007", "diseases": ["MONDO:0005015"]},
        categories=["clinical", "demographic"], via="staff",
    )  # fmt: skip
    export = run(cohort)
    assert export.subject_count == 6
    assert commercial_only.code not in {
        e.subject_code for e in events(Action.EXPORT_SUBJECT_INCLUDED)
    }


def test_the_phenotype_only_export_reads_no_genotypes(make_cohort):
    cohort = make_cohort(n=6)
    export = run(cohort, formats=["csv"], columns=["age", "sex"])
    assert [f["name"] for f in export.files] == ["phenotypes.csv", "manifest.json", "manifest.sig"]
    assert not events(Action.GENOMIC_READ)
    assert list(table(export).columns) == ["pseudonym", "age", "sex"]


def test_pseudonyms_are_stable_within_a_grant_and_differ_across_grants(make_cohort, personas):
    cohort = make_cohort(n=6)
    first = set(table(run(cohort, formats=["csv"]))["pseudonym"])
    second = set(table(run(cohort, formats=["csv"]))["pseudonym"])
    assert first == second
    other = outputs_module.pseudonym_for(cohort.grant.pk + 1)
    assert not first & {other(s.code) for s in cohort.subjects}


def test_no_plaintext_genotypes_are_left_on_disk(make_cohort):
    cohort = make_cohort(n=6)
    export = run(cohort)
    names = [p.name for p in Path(settings.EXPORT_DIR).rglob("*")]
    assert not [n for n in names if n.endswith((".vcf", ".vcf.gz", ".part"))]
    raw = (folder(export) / "genotypes.vcf.gz.c4gh").read_bytes()
    assert raw.startswith(b"crypt4gh")
    with pytest.raises(Exception):  # noqa: B017
        c4gh_lib.decrypt([(0, os.urandom(32), None)], io.BytesIO(raw), io.BytesIO())
    assert (
        json.loads((folder(export) / "manifest.json").read_bytes())["recipient_key_sha256"]
        == hashlib.sha256(cohort.researcher_public).hexdigest()
    )


def test_an_amended_consent_that_still_covers_the_purpose_is_rebuilt_with_its_new_version(
    make_cohort, monkeypatch
):
    from consent.services import consent_amend

    cohort = make_cohort(n=6, genotypes=False, categories=("clinical", "demographic"))
    amended = cohort.subjects[1]
    build = outputs_module.build_outputs
    calls = []

    def build_then_amend(**kwargs):
        built = build(**kwargs)
        if not calls:
            consent_amend(actor=cohort.steward, subject=amended, data_use={"permission": "DUO:0000006"},
                          categories=["clinical", "demographic"], via="staff")  # fmt: skip
        calls.append(len(kwargs["members"]))
        return built

    monkeypatch.setattr("governance.exports.services.run.build_outputs", build_then_amend)
    export = run(cohort)
    amended.refresh_from_db()
    assert calls == [6, 6] and export.subject_count == 6
    pseudonym = outputs_module.pseudonym_for(cohort.grant.pk)
    versions = {s["pseudonym"]: s["consent_version_id"] for s in manifest(export)["subjects"]}
    assert versions[pseudonym(amended.code)] == amended.current_consent_id
    assert not events(Action.EXPORT_SUBJECT_REMOVED, export)


def test_a_subject_erased_while_the_files_are_built_is_removed_at_publication(
    make_cohort, monkeypatch
):
    from consent.models import Subject

    cohort = make_cohort(n=7, genotypes=False, categories=("clinical", "demographic"))
    erased = cohort.subjects[0]
    build = outputs_module.build_outputs

    def build_then_erase(**kwargs):
        built = build(**kwargs)
        Subject.objects.filter(pk=erased.pk).update(erased_at=timezone.now())
        return built

    monkeypatch.setattr("governance.exports.services.run.build_outputs", build_then_erase)
    export = run(cohort)
    assert export.subject_count == 6
    (removal,) = events(Action.EXPORT_SUBJECT_REMOVED, export)
    assert removal.subject_code == erased.code and "subject.erased" in removal.extra["reasons"]


def test_decisions_that_expired_during_the_run_are_asked_again_before_publication(
    make_cohort, monkeypatch
):
    cohort = make_cohort(n=6, genotypes=False, categories=("clinical", "demographic"))
    asked = []
    from governance.exports.services import run as run_module

    real_decide = run_module.decide

    def counting(**kwargs):
        asked.append(kwargs.get("audit", True))
        return real_decide(**kwargs)

    monkeypatch.setattr(run_module, "decide", counting)
    gate_module = sys.modules["governance.gate.decide"]
    monkeypatch.setattr(gate_module, "DECISION_TTL", timezone.timedelta(seconds=0))
    export = run(cohort)
    assert export.state == ExportState.SUCCEEDED
    assert asked.count(False) == 6 * 2  # every subject, both categories, at publication


def test_an_erasure_certificate_names_the_exports_that_had_already_left(make_cohort):
    from genomics.services.erasure import subject_erase

    cohort = make_cohort(n=6)
    export = run(cohort)
    certificate = subject_erase(actor=cohort.steward, subject=cohort.subjects[0])
    document = json.loads(certificate.document)
    released = document["exports_already_released"]
    assert [entry["export_id"] for entry in released] == [str(export.pk)]
    assert released[0]["recipient"] == hashlib.sha256(cohort.researcher_public).hexdigest()[:16]


def test_pseudonyms_are_letters_only_and_never_read_as_an_identifier():
    import re

    from governance.exports.deid import VALUE_DETECTORS

    pseudonym = outputs_module.pseudonym_for(7)
    names = [pseudonym(f"HX-{i:010d}") for i in range(20_000)]
    assert len(set(names)) == len(names)
    assert all(re.fullmatch(r"P[a-p]{20}", name) for name in names)
    detectors = [re.compile(d.pattern) for d in VALUE_DETECTORS]
    assert not [name for name in names if any(d.search(name) for d in detectors)]
    # The letters stand for the keyed digest's hex digits, one for one.
    digest = keys.keyed_digest("HX-0000000001", domain="project:7")[:20]
    assert pseudonym("HX-0000000001")[1:] == digest.translate(str.maketrans("0123456789", "ghijklmnop"))
