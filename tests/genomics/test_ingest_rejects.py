"""A corpus of malformed VCFs: each is refused naming its line, and nothing changes."""

from __future__ import annotations

import gzip
import io

import pysam
import pytest

from genomics.exceptions import UploadTooLarge, VcfInvalid
from genomics.models import GenomicFile
from genomics.services import genomic_file_ingest
from governance.audit import Action
from governance.ledger.models import AuditEvent
from tests.genomics.conftest import HEADER, counts, vault_listing, vcf_text, write

GOOD = [
    "1\t100\t.\tA\tG\t50\tPASS\tDP=10\tGT:DP\t0/1:5\t1/1:7",
    "1\t200\t.\tC\tT\t50\tPASS\t.\tGT\t0/0\t0/1",
    "2\t50\t.\tG\tA\t.\tPASS\t.\tGT\t1/1\t0/1",
]
FIRST_RECORD = HEADER.count("\n") + 2  # meta lines, the #CHROM line, then records


def text(records=GOOD, samples=("S1", "S2"), header=HEADER) -> str:
    return vcf_text(list(samples), records, header)


def bgzip(data: bytes, tmp_path) -> bytes:
    plain = tmp_path / "plain.vcf"
    plain.write_bytes(data)
    pysam.tabix_compress(str(plain), str(tmp_path / "out.vcf.gz"), force=True)
    return (tmp_path / "out.vcf.gz").read_bytes()


def many_records(n: int) -> list[str]:
    return [f"1\t{100 + i}\t.\tA\tG\t50\tPASS\tDP={i}\tGT:DP\t0/1:{i}\t1/1:{i}" for i in range(n)]


def corpus(tmp_path) -> dict:
    """name -> a function giving (file bytes, line the error must name, reason code)."""

    def long_file():
        return bgzip(text(many_records(4000)).encode(), tmp_path)

    return {
        "empty": lambda: (b"", 1, "empty"),
        "truncated bgzip (mid-block)": lambda: (
            long_file()[: len(long_file()) // 2],
            0,
            "truncated",
        ),
        "truncated bgzip (no EOF marker)": lambda: (long_file()[:-28], 0, "truncated"),
        # Highly repetitive: ~16 MB of records from a gzip of about 40 KB.
        "gzip bomb": lambda: (gzip.compress(text([GOOD[0]] * 400_000).encode(), 9), 0, "too_large"),
        "not a VCF": lambda: (b"hello\n", 1, "fileformat"),
        "VCF 4.0": lambda: (text().replace("VCFv4.2", "VCFv4.0").encode(), 1, "fileformat"),
        "bad header (unterminated structured line)": lambda: (
            text()
            .replace('Description="Depth">\n##FILTER', 'Description="Depth"\n##FILTER')
            .encode(),
            5,
            "header",
        ),
        "bad header (INFO without Type)": lambda: (
            text().replace("Number=1,Type=Integer,", "Number=1,", 1).encode(),
            5,
            "header",
        ),
        "no #CHROM line": lambda: (HEADER.encode(), 9, "header"),
        "record before #CHROM": lambda: (HEADER.encode() + GOOD[0].encode() + b"\n", 9, "header"),
        "duplicate sample names": lambda: (text(samples=("S1", "S1")).encode(), 9, "sample_name"),
        "wrong column count": lambda: (
            text([GOOD[0], "1\t200\t.\tC\tT\t50\tPASS\t.\tGT\t0/0"]).encode(),
            FIRST_RECORD + 1,
            "column_count",
        ),
        "unsorted positions": lambda: (
            text([GOOD[1], GOOD[0]]).encode(),
            FIRST_RECORD + 1,
            "unsorted",
        ),
        "contig repeated after another": lambda: (
            text([GOOD[0], GOOD[2], GOOD[1]]).encode(),
            FIRST_RECORD + 2,
            "unsorted",
        ),
        "undeclared contig": lambda: (
            text([GOOD[0].replace("1\t", "7\t", 1)]).encode(),
            FIRST_RECORD,
            "contig",
        ),
        "non-ACGTN REF": lambda: (
            text([GOOD[0].replace("\tA\tG\t", "\tAXG\tG\t")]).encode(),
            FIRST_RECORD,
            "ref",
        ),
        "bad ALT": lambda: (
            text([GOOD[0].replace("\tA\tG\t", "\tA\tG]1:5]\t")]).encode(),
            FIRST_RECORD,
            "alt",
        ),
        "POS not a number": lambda: (
            text([GOOD[0].replace("\t100\t", "\t1e2\t")]).encode(),
            FIRST_RECORD,
            "pos",
        ),
        "undeclared INFO key": lambda: (
            text([GOOD[0].replace("DP=10", "XX=1")]).encode(),
            FIRST_RECORD,
            "info",
        ),
        "genotype allele beyond ALT": lambda: (
            text([GOOD[0].replace("1/1:7", "2/1:7")]).encode(),
            FIRST_RECORD,
            "genotype",
        ),
        "ploidy mismatch": lambda: (
            text([GOOD[0], GOOD[1].replace("\t0/1", "\t1")]).encode(),
            FIRST_RECORD + 1,
            "ploidy",
        ),
        "CRLF line endings": lambda: (text().replace("\n", "\r\n").encode(), 1, "crlf"),
        "invalid UTF-8": lambda: (
            text().encode().replace(b"DP=10", b"DP=\xff10"),
            FIRST_RECORD,
            "encoding",
        ),
        "blank line among records": lambda: (
            text([GOOD[0], "", GOOD[1]]).encode(),
            FIRST_RECORD + 1,
            "blank_line",
        ),
        "header only": lambda: (text([]).encode(), FIRST_RECORD, "no_records"),
        "line too long": lambda: (
            text([GOOD[0], GOOD[1].replace("\t.\tGT", "\tDP=" + "9" * 5000 + "\tGT")]).encode(),
            FIRST_RECORD + 1,
            "line_too_long",
        ),
    }


CASES = [
    "empty", "truncated bgzip (mid-block)", "truncated bgzip (no EOF marker)", "gzip bomb", "not a VCF",
    "VCF 4.0", "bad header (unterminated structured line)", "bad header (INFO without Type)", "no #CHROM line",
    "record before #CHROM", "duplicate sample names", "wrong column count", "unsorted positions",
    "contig repeated after another", "undeclared contig", "non-ACGTN REF", "bad ALT", "POS not a number",
    "undeclared INFO key", "genotype allele beyond ALT", "ploidy mismatch", "CRLF line endings",
    "invalid UTF-8", "blank line among records", "header only", "line too long",
]  # fmt: skip


@pytest.fixture
def existing(make_subject, steward, tmp_path):
    """A vault that already holds files, so "unchanged" covers real blobs and staging."""
    subjects = [make_subject(), make_subject()]
    genomic_file_ingest(
        actor=steward,
        path=write(tmp_path / "ok.vcf", text()),
        sample_map={"S1": subjects[0], "S2": subjects[1]},
    )
    return subjects


@pytest.mark.django_db
@pytest.mark.parametrize("case", CASES)
def test_a_malformed_vcf_is_refused_naming_its_line_and_changes_nothing(
    case, existing, steward, tmp_path, settings
):
    settings.HELIX_MAX_DECOMPRESSED_BYTES = 1 << 20
    settings.HELIX_MAX_LINE_BYTES = 4096
    data, line, reason = corpus(tmp_path)[case]()
    path = write(tmp_path / "bad.vcf.gz", data)
    before, listing = counts(), vault_listing()
    events = AuditEvent.objects.count()
    with pytest.raises(VcfInvalid) as caught:
        genomic_file_ingest(
            actor=steward, path=path, sample_map={"S1": existing[0], "S2": existing[1]}
        )
    error = caught.value
    assert error.reason == reason
    if line:
        assert error.line == line
        assert error.message.startswith(f"line {line}: ")
    else:  # the line being read when the data ran out or grew past the limit
        assert error.line > FIRST_RECORD
        assert f"line {error.line}: " in error.message
    assert counts() == before
    assert vault_listing() == listing
    rejected = AuditEvent.objects.order_by("-seq").first()
    assert AuditEvent.objects.count() == events + 1
    assert rejected.action == Action.GENOMIC_INGEST_REJECTED
    assert rejected.extra["check"] == reason
    assert "S1" not in str(rejected.extra)


@pytest.mark.django_db
def test_a_file_over_the_upload_limit_is_refused(existing, steward, tmp_path, settings):
    settings.HELIX_MAX_UPLOAD_BYTES = 1024
    before, listing = counts(), vault_listing()
    with pytest.raises(UploadTooLarge):
        genomic_file_ingest(
            actor=steward,
            fileobj=io.BytesIO(text(many_records(200)).encode()),
            sample_map={"S1": existing[0], "S2": existing[1]},
        )
    assert counts() == before
    assert vault_listing() == listing


@pytest.mark.django_db
def test_a_failure_while_storing_removes_every_staged_blob(
    existing, steward, tmp_path, monkeypatch
):
    from genomics.services import ingest as ingest_module

    def fail(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(ingest_module, "_insert_variants", fail)
    before, listing = counts(), vault_listing()
    with pytest.raises(RuntimeError):
        genomic_file_ingest(
            actor=steward,
            path=write(tmp_path / "ok.vcf", text()),
            sample_map={"S1": existing[0], "S2": existing[1]},
        )
    assert counts() == before
    assert vault_listing() == listing
    assert GenomicFile.objects.count() == 2
