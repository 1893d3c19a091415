"""The variant index: non-reference calls per subject, read only under gate decisions."""

from __future__ import annotations

import pytest

from consent.services import consent_withdraw
from genomics.exceptions import VaultAccessDenied
from genomics.models import VariantCall
from genomics.selectors import gene_regions, variant_query
from genomics.services import genomic_file_ingest
from governance.audit import Action
from governance.errors import ValidationFailed
from tests.genomics.conftest import DEMO_VCF, HEADER, vcf_text, write

X_HEADER = HEADER.replace("##contig=<ID=2,", "##contig=<ID=X,length=155270560>\n##contig=<ID=2,")
RECORDS = [
    "1\t14500\t.\tA\tG\t.\tPASS\t.\tGT\t0/1\t1/1\t0/0",
    "1\t14600\t.\tC\tT,G\t.\tPASS\t.\tGT\t1/2\t0/0\t2/2",
    "1\t69100\t.\tG\tGA,*\t.\tPASS\t.\tGT\t0/2\t0/1\t0/0",
    "X\t5000\t.\tT\tC\t.\tPASS\t.\tGT\t1\t0/1\t.",
]


@pytest.fixture
def cohort(make_subject, steward, tmp_path, consented):
    subjects = [consented(make_subject()) for _ in range(3)]
    path = write(tmp_path / "c.vcf", vcf_text(["A", "B", "C"], RECORDS, header=X_HEADER))
    genomic_file_ingest(
        actor=steward, path=path, sample_map=dict(zip("ABC", subjects, strict=True))
    )
    return subjects


def calls(subject) -> set[tuple]:
    return set(
        VariantCall.objects.filter(subject=subject).values_list(
            "chrom", "pos", "ref", "alt", "zygosity"
        )
    )


@pytest.mark.django_db
def test_each_non_reference_call_is_indexed_with_its_zygosity(cohort):
    a, b, c = cohort
    assert calls(a) == {
        ("1", 14500, "A", "G", "het"),
        ("1", 14600, "C", "T", "het"),
        ("1", 14600, "C", "G", "het"),
        ("X", 5000, "T", "C", "hemi"),
    }  # 0/2 with ALT "*" is a spanning deletion: not indexed
    assert calls(b) == {
        ("1", 14500, "A", "G", "hom_alt"),
        ("1", 69100, "G", "GA", "het"),
        ("X", 5000, "T", "C", "het"),
    }
    assert calls(c) == {("1", 14600, "C", "G", "hom_alt")}
    assert VariantCall.objects.filter(assembly="GRCh37").count() == 8


@pytest.mark.django_db
def test_queries_by_position_range_and_gene_need_a_decision_per_subject(
    cohort, steward, decision_for
):
    a, b, c = cohort
    decisions = [decision_for(s) for s in cohort]
    at_position = variant_query(
        decisions=decisions, actor=steward, assembly="GRCh37", chrom="chr1", start=14500
    )
    assert {(h.subject_code, h.zygosity) for h in at_position} == {
        (a.code, "het"),
        (b.code, "hom_alt"),
    }
    in_range = variant_query(
        decisions=decisions, actor=steward, assembly="GRCh37", chrom="1", start=14000, end=15000
    )
    assert len(in_range) == 5
    in_gene = variant_query(decisions=decisions, actor=steward, assembly="GRCh37", gene="OR4F5")
    assert [(h.subject_code, h.alt) for h in in_gene] == [(b.code, "GA")]
    only_g = variant_query(
        decisions=decisions, actor=steward, assembly="GRCh37", chrom="1", start=14600, alt="g"
    )
    assert {h.subject_code for h in only_g} == {a.code, c.code}
    one = variant_query(
        decisions=decisions[:1], actor=steward, assembly="GRCh37", chrom="1", start=1, end=10**6
    )
    assert {h.subject_code for h in one} == {a.code}


@pytest.mark.django_db
def test_every_subject_queried_is_audited(cohort, steward, decision_for, audit_actions):
    variant_query(
        decisions=[decision_for(s) for s in cohort], actor=steward, assembly="GRCh37", gene="WASH7P"
    )
    events = audit_actions(Action.VARIANT_QUERY)
    assert sorted(e.subject_code for e in events) == sorted(s.code for s in cohort)
    assert {e.object_id for e in events} == {"GRCh37:1:14363-29806"}
    assert all(e.outcome == "allowed" for e in events)


@pytest.mark.django_db
def test_one_refused_decision_refuses_the_whole_query(cohort, steward, decision_for, audit_actions):
    a, b, c = cohort
    consent_withdraw(actor=steward, subject=b, via="staff")
    decisions = [decision_for(s) for s in cohort]
    with pytest.raises(VaultAccessDenied) as caught:
        variant_query(decisions=decisions, actor=steward, assembly="GRCh37", chrom="1", start=14500)
    assert caught.value.code == "decision_denied"
    outcomes = {e.subject_code: e.outcome for e in audit_actions(Action.VARIANT_QUERY)}
    assert outcomes == {a.code: "allowed", b.code: "denied", c.code: "allowed"}
    with pytest.raises(VaultAccessDenied):
        variant_query(
            decisions=[decision_for(a, category="clinical")],
            actor=steward,
            assembly="GRCh37",
            chrom="1",
            start=1,
        )


@pytest.mark.django_db
def test_a_query_without_decisions_or_region_is_invalid(cohort, steward, decision_for):
    with pytest.raises(ValidationFailed):
        variant_query(decisions=[], actor=steward, assembly="GRCh37", chrom="1", start=1)
    with pytest.raises(ValidationFailed, match="gene"):
        variant_query(
            decisions=[decision_for(cohort[0])], actor=steward, assembly="GRCh37", gene="NOPE"
        )
    with pytest.raises(ValidationFailed):
        variant_query(
            decisions=[decision_for(cohort[0])],
            actor=steward,
            assembly="GRCh37",
            chrom="1",
            start=10,
            end=5,
        )


def test_the_shipped_gene_table_covers_the_demo_slice():
    regions = gene_regions()
    assert regions[("GRCh37", "OR4F5")].start == 69091
    assert all(r.start <= r.end for r in regions.values())


@pytest.mark.django_db
def test_the_demo_genotypes_index_in_one_pass(make_subject, steward):
    subjects = {s: make_subject() for s in ("HG00096", "HG00097", "HG00099", "HG00100")}
    summary = genomic_file_ingest(actor=steward, path=DEMO_VCF, sample_map=subjects)
    assert sum(f.variants for f in summary.files) == VariantCall.objects.count() > 0


@pytest.mark.django_db
def test_a_backslash_or_quote_in_a_contig_or_symbolic_alt_is_indexed_as_written(
    make_subject, steward, tmp_path, consented
):
    # COPY's text format (PostgreSQL) treats a backslash as an escape, and the JSON the
    # index travels in on SQLite a quote too: both must reach the row intact.
    header = HEADER.replace("##contig=<ID=2,", "##contig=<ID=un\\N,length=1000>\n##contig=<ID=2,")
    records = [
        '1\t14500\t.\tA\t<DEL\\N>,<INS"Q>\t.\tPASS\t.\tGT\t0/1\t1/2',
        "un\\N\t10\t.\tA\tG\t.\tPASS\t.\tGT\t1/1\t0/0",
    ]
    subjects = [consented(make_subject()) for _ in range(2)]
    path = write(tmp_path / "b.vcf", vcf_text(["A", "B"], records, header=header))
    genomic_file_ingest(actor=steward, path=path, sample_map=dict(zip("AB", subjects, strict=True)))
    assert calls(subjects[0]) == {
        ("1", 14500, "A", "<DEL\\N>", "het"),
        ("un\\N", 10, "A", "G", "hom_alt"),
    }
    assert calls(subjects[1]) == {
        ("1", 14500, "A", "<DEL\\N>", "het"),
        ("1", 14500, "A", '<INS"Q>', "het"),
    }
