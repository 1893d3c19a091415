"""Ingesting VCFs: single-sample, split per subject, sample maps, assembly, the command."""

from __future__ import annotations

import gzip
import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from genomics.exceptions import SampleMapInvalid, SubjectErased
from genomics.models import GenomicFile, SubjectKey, VariantCall
from genomics.services import genomic_file_ingest, sample_map_parse, subject_erase
from genomics.vault import blob_path, open_plaintext
from governance.audit import Action
from governance.errors import ValidationFailed
from tests.genomics.conftest import DATA, DEMO_VCF, counts, read_all, vault_listing, vcf_text, write

RECORDS = [
    "1\t100\trs1\tA\tG\t50\tPASS\tDP=10\tGT:DP\t0/1:5\t0/0:7\t1/1:3",
    "1\t200\t.\tC\tT,G\t50\tq10\t.\tGT:DP\t0/0:5\t1/2:7\t./.:0",
    "2\t50\t.\tG\t<DEL>\t.\tPASS\tDP=3\tGT:DP\t0/0:5\t0/0:7\t0/0:1",
]


@pytest.fixture
def trio(make_subject):
    return [make_subject(name=f"Person {i}") for i in range(3)]


@pytest.mark.django_db
def test_a_multi_sample_file_is_split_into_one_encrypted_file_per_subject(
    trio, steward, tmp_path, consented, decision_for
):
    path = write(tmp_path / "trio.vcf", vcf_text(["S1", "S2", "S3"], RECORDS))
    summary = genomic_file_ingest(
        actor=steward,
        path=path,
        sample_map={"S1": trio[0].code, "S2": trio[1].code, "S3": trio[2].code},
    )
    assert summary.mode == "split"
    assert summary.source_records == 3
    assert summary.samples_skipped == 0
    assert {f.subject_code for f in summary.files} == {s.code for s in trio}
    by_code = {f.subject_code: f for f in summary.files}
    # Records where the subject is homozygous reference are left out of their file.
    assert by_code[trio[0].code].records == 1
    assert by_code[trio[1].code].records == 1
    assert by_code[trio[2].code].records == 2  # 1/1 and a missing call
    for subject in trio:
        row = GenomicFile.objects.get(subject=subject)
        assert row.assembly == "GRCh37"
        blob = blob_path(row).read_bytes()
        assert blob.startswith(b"crypt4gh")
        assert b"S1" not in blob and b"rs1" not in blob  # encrypted, not merely renamed
    consented(trio[1])
    text = read_all(
        open_plaintext(
            GenomicFile.objects.get(subject=trio[1]), decision=decision_for(trio[1]), actor=steward
        )
    ).decode()
    assert text.startswith("##fileformat=VCFv4.2\n")
    assert f"FORMAT\t{trio[1].code}\n" in text
    assert "S1" not in text and "S2" not in text and "S3" not in text
    assert text.rstrip("\n").split("\n")[-1] == "1\t200\t.\tC\tT,G\t50\tq10\t.\tGT:DP\t1/2:7"
    listing = vault_listing()
    blobs = [name for name in listing if name.endswith(".c4gh")]
    shards = {name.split("/")[0] for name in blobs}  # two file IDs may share a shard
    assert len(blobs) == 3
    assert sorted(listing) == sorted([*blobs, *shards, ".staging"])


@pytest.mark.django_db
def test_each_stored_file_records_digest_sizes_and_counts(
    trio, steward, tmp_path, consented, decision_for
):
    path = write(tmp_path / "trio.vcf.gz", vcf_text(["S1", "S2", "S3"], RECORDS), gz=True)
    genomic_file_ingest(
        actor=steward, path=path, sample_map={"S1": trio[0].code, "S3": trio[2].code}
    )
    row = GenomicFile.objects.get(subject=trio[2])
    consented(trio[2])
    plain = read_all(open_plaintext(row, decision=decision_for(trio[2]), actor=steward))
    import hashlib

    assert row.plaintext_sha256 == hashlib.sha256(plain).hexdigest()
    assert row.plaintext_size == len(plain)
    assert row.ciphertext_size == blob_path(row).stat().st_size
    assert row.source_record_count == 3
    assert row.record_count == 2
    assert row.variant_count == 1  # 1/1 at 1:100; the missing call is not a variant


@pytest.mark.django_db
def test_samples_missing_from_the_map_are_skipped_and_counted(trio, steward, tmp_path):
    path = write(tmp_path / "trio.vcf", vcf_text(["S1", "S2", "S3"], RECORDS))
    summary = genomic_file_ingest(actor=steward, path=path, sample_map={"S2": trio[1]})
    assert summary.samples_skipped == 2
    assert [f.subject_code for f in summary.files] == [trio[1].code]
    assert GenomicFile.objects.count() == 1


@pytest.mark.django_db
def test_a_map_naming_a_sample_not_in_the_file_is_refused(trio, steward, tmp_path):
    path = write(tmp_path / "trio.vcf", vcf_text(["S1", "S2", "S3"], RECORDS))
    before = counts()
    with pytest.raises(SampleMapInvalid, match="not in the file"):
        genomic_file_ingest(actor=steward, path=path, sample_map={"S9": trio[0].code})
    assert counts() == before


@pytest.mark.django_db
def test_a_subject_option_needs_a_single_sample_file(trio, steward, tmp_path):
    path = write(tmp_path / "trio.vcf", vcf_text(["S1", "S2", "S3"], RECORDS))
    with pytest.raises(SampleMapInvalid, match="3 samples"):
        genomic_file_ingest(actor=steward, path=path, subject=trio[0])
    assert GenomicFile.objects.count() == 0


@pytest.mark.django_db
def test_unknown_and_erased_subjects_are_refused(trio, steward, tmp_path):
    path = write(
        tmp_path / "one.vcf", vcf_text(["S1"], [r.rsplit("\t", 2)[0] for r in RECORDS[:1]])
    )
    with pytest.raises(SampleMapInvalid, match="Unknown subject code"):
        genomic_file_ingest(actor=steward, path=path, subject="HX-0000000000")
    subject_erase(actor=steward, subject=trio[0])
    trio[0].refresh_from_db()
    with pytest.raises(SubjectErased):
        genomic_file_ingest(actor=steward, path=path, subject=trio[0])
    assert GenomicFile.objects.count() == 0


@pytest.mark.django_db
def test_the_header_assembly_must_agree_with_the_one_given(trio, steward, tmp_path):
    path = write(tmp_path / "one.vcf", vcf_text(["S1"], ["1\t100\t.\tA\tG\t.\tPASS\t.\tGT\t0/1"]))
    with pytest.raises(ValidationFailed, match="GRCh37"):
        genomic_file_ingest(actor=steward, path=path, subject=trio[0], assembly="GRCh38")
    summary = genomic_file_ingest(actor=steward, path=path, subject=trio[0], assembly="GRCh37")
    assert summary.assembly == "GRCh37"


@pytest.mark.django_db
def test_a_realistic_single_sample_file_is_stored_record_for_record(
    make_subject, steward, consented, decision_for
):
    subject = make_subject()
    summary = genomic_file_ingest(actor=steward, path=DATA / "NA20787.vcf.gz", subject=subject)
    assert summary.mode == "whole"
    assert summary.assembly == "GRCh37"  # from ##reference=...hs37d5 and ##contig assembly=b37
    [stored] = summary.files
    assert stored.records == 61651
    assert VariantCall.objects.filter(subject=subject).count() == stored.variants == 61651
    assert VariantCall.objects.filter(subject=subject, zygosity="hom_alt").count() == 25047
    original = gzip.decompress((DATA / "NA20787.vcf.gz").read_bytes()).decode()
    consented(subject)
    text = read_all(
        open_plaintext(
            GenomicFile.objects.get(subject=subject), decision=decision_for(subject), actor=steward
        )
    ).decode()
    assert "NA20787" not in text  # also gone from the ##bcftools_viewCommand lines
    assert f"-s {subject.code} " in text
    assert text.replace(subject.code, "NA20787") == original


@pytest.mark.django_db
def test_ingest_writes_one_audit_event_per_file_without_sample_ids(
    trio, steward, tmp_path, audit_actions
):
    path = write(tmp_path / "trio.vcf", vcf_text(["S1", "S2", "S3"], RECORDS))
    genomic_file_ingest(
        actor=steward, path=path, sample_map={"S1": trio[0].code, "S2": trio[1].code}
    )
    events = audit_actions(Action.GENOMIC_INGEST)
    assert sorted(e.subject_code for e in events) == sorted([trio[0].code, trio[1].code])
    assert all(e.actor == "steward" for e in events)
    dumped = json.dumps([e.extra for e in events])
    assert "S1" not in dumped and "S2" not in dumped and "0/1" not in dumped


@pytest.mark.django_db
def test_a_second_ingest_reuses_the_subject_key(trio, steward, tmp_path):
    path = write(tmp_path / "one.vcf", vcf_text(["S1"], ["1\t100\t.\tA\tG\t.\tPASS\t.\tGT\t0/1"]))
    genomic_file_ingest(actor=steward, path=path, subject=trio[0])
    genomic_file_ingest(actor=steward, fileobj=io.BytesIO(path.read_bytes()), subject=trio[0])
    assert SubjectKey.objects.filter(subject=trio[0]).count() == 1
    assert GenomicFile.objects.filter(subject=trio[0]).values("subject_key").distinct().count() == 1


def test_sample_maps_are_two_tab_separated_columns_without_repeats():
    assert sample_map_parse("S1\tHX-A\nS2\tHX-B\n") == {"S1": "HX-A", "S2": "HX-B"}
    with pytest.raises(SampleMapInvalid, match="line 2"):
        sample_map_parse("S1\tHX-A\nS2 HX-B\n")
    with pytest.raises(SampleMapInvalid, match="line 2: the sample appears twice"):
        sample_map_parse("S1\tHX-A\nS1\tHX-B\n")
    with pytest.raises(SampleMapInvalid, match="subject HX-A appears twice"):
        sample_map_parse("S1\tHX-A\nS2\tHX-A\n")


@pytest.mark.django_db
def test_the_command_prints_a_json_summary(trio, steward, tmp_path, capsys):
    path = write(tmp_path / "trio.vcf", vcf_text(["S1", "S2", "S3"], RECORDS))
    mapping = write(tmp_path / "map.tsv", f"S1\t{trio[0].code}\nS3\t{trio[2].code}\n")
    call_command("ingest_vcf", str(path), "--sample-map", str(mapping), "--actor", "steward")
    summary = json.loads(capsys.readouterr().out)
    assert summary["samples"] == 3
    assert summary["samples_skipped"] == 1
    assert sorted(f["subject_code"] for f in summary["files"]) == sorted(
        [trio[0].code, trio[2].code]
    )


@pytest.mark.django_db
def test_the_command_exits_non_zero_naming_the_line(trio, tmp_path):
    path = write(
        tmp_path / "bad.vcf",
        vcf_text(
            ["S1"], ["1\t100\t.\tA\tG\t.\tPASS\t.\tGT\t0/1", "1\t90\t.\tA\tG\t.\tPASS\t.\tGT\t0/1"]
        ),
    )
    with pytest.raises(CommandError, match="line 11: position 90 comes after position 100"):
        call_command("ingest_vcf", str(path), "--subject", trio[0].code)


@pytest.mark.django_db
def test_the_demo_genotypes_split_for_a_subset_of_samples(make_subject, steward):
    subjects = {sample: make_subject() for sample in ("HG00096", "HG00097", "NA12878")}
    summary = genomic_file_ingest(actor=steward, path=DEMO_VCF, sample_map=subjects)
    assert summary.samples == 2504
    assert summary.samples_skipped == 2501
    assert summary.source_records == 1042
    assert all(f.variants > 0 for f in summary.files)
    assert (
        VariantCall.objects.filter(subject=subjects["HG00096"], pos=10177, alt="AC").get().zygosity
        == "het"
    )
