"""Demo genotypes: the 1000 Genomes slice shipped in ``genomics/data``, split per subject.

``seed_demo`` calls ``seed_genomics`` with the seeded subjects keyed by their 1000
Genomes sample ID; one pass over the file stores one encrypted VCF per subject.
"""

from __future__ import annotations

import time
from pathlib import Path

import cyvcf2

from consent.models import Subject
from genomics.models import FileState, GenomicFile
from genomics.services import genomic_file_ingest

DEMO_VCF = Path(__file__).resolve().parent / "data" / "test_1000G.vcf.gz"


def demo_samples() -> list[str]:
    """The sample IDs in the demo VCF (from its header only)."""
    reader = cyvcf2.VCF(str(DEMO_VCF))
    try:
        return list(reader.samples)
    finally:
        reader.close()


def seed_genomics(subjects_by_sample_id: dict[str, Subject], *, actor="seed") -> dict:
    """Ingest the demo genotypes for the given subjects; returns a summary of counts.

    Subjects whose sample ID is not in the demo file, and subjects that already have a
    stored file (a re-run), are skipped and counted. ``actor`` is a user or a label for
    the audit ledger.
    """
    started = time.perf_counter()
    in_file = set(demo_samples())
    already = set(
        GenomicFile.objects.filter(
            subject__in=subjects_by_sample_id.values(), state=FileState.STORED
        ).values_list("subject_id", flat=True)
    )
    mapping = {
        sample: subject
        for sample, subject in subjects_by_sample_id.items()
        if sample in in_file and subject.pk not in already and subject.erased_at is None
    }
    summary = {
        "files": 0,
        "variants": 0,
        "records": 0,
        "not_in_vcf": sum(1 for s in subjects_by_sample_id if s not in in_file),
        "already_stored": len(already),
        "seconds": 0.0,
    }
    if mapping:
        result = genomic_file_ingest(
            actor=actor, path=DEMO_VCF, sample_map=mapping, assembly="GRCh37"
        )
        summary.update(
            files=len(result.files),
            variants=sum(f.variants for f in result.files),
            records=result.source_records,
        )
    summary["seconds"] = round(time.perf_counter() - started, 2)
    return summary
