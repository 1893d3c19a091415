"""The demo genotypes load for the seeded subjects, once."""

from __future__ import annotations

import pytest

from genomics.demo import demo_samples, seed_genomics
from genomics.models import GenomicFile, VariantCall


@pytest.mark.django_db
def test_seeding_stores_one_file_per_subject_and_is_idempotent(make_subject):
    samples = demo_samples()
    assert len(samples) == 2504
    subjects = {sample: make_subject(sample_id=sample) for sample in samples[:20]}
    subjects["NOT-A-SAMPLE"] = make_subject()
    summary = seed_genomics(subjects, actor="seed")
    assert summary["files"] == 20
    assert summary["not_in_vcf"] == 1
    assert summary["records"] == 1042
    assert summary["variants"] == VariantCall.objects.count() > 0
    assert GenomicFile.objects.count() == 20
    again = seed_genomics(subjects, actor="seed")
    assert again["files"] == 0 and again["already_stored"] == 20
    assert GenomicFile.objects.count() == 20
