"""Canary values in every identifier field never reach any byte of an export, and k
measured independently (pycanon) on the released table is at least the grant's."""

from __future__ import annotations

import gzip
from datetime import date

import pandas as pd
import pytest
from pycanon import anonymity

from governance.exports.services import cohort_export_request, cohort_export_run
from tests.governance.exports.helpers import decrypt_with_reference, folder, manifest

pytestmark = pytest.mark.django_db

AREAS = ("CB", "CB", "SW", "SW", "M", "M", "LS", "LS", "EH", "EH", "B", "B")


def canary_identity(i: int) -> dict:
    return {
        "name": f"Quokkafeather Canary{i:02d}",
        "email": f"canary{i:02d}.quokka@canary-mail.example",
        "mrn": f"MRNCANARY{i:04d}",
        "birth_date": date(1950 + (i * 7) % 40, 1 + i % 12, 10 + i % 18),
        "postcode": f"{AREAS[i]}{1 + i % 9} {i % 10}QZ",
        "sample_id": f"CANARYS{i:03d}",
        "sex": ("female", "male")[i % 2],
        "ethnic_background": ("British", "Irish", "Indian")[i % 3],
    }


def needles(cohort) -> list[bytes]:
    found = []
    for ident in cohort.identifiers.values():
        day = ident["birth_date"]
        found += [
            ident["name"],
            ident["email"],
            ident["mrn"],
            ident["postcode"],
            ident["postcode"].replace(" ", ""),
            ident["sample_id"],
            ident["code"],
            day.isoformat(),
            day.strftime("%d/%m/%Y"),
        ]
        found.append(ident["name"].split()[0])
    return sorted({n.encode() for n in found})


def test_no_identifier_canary_appears_in_any_output_byte(make_cohort):
    cohort = make_cohort(n=12, identity=canary_identity)
    export = cohort_export_run(
        export_id=cohort_export_request(
            actor=cohort.researcher, grant=cohort.grant, enqueue_run=False
        ).pk
    )
    assert export.state == "succeeded", export.failure_reason
    blobs = {path.name: path.read_bytes() for path in folder(export).iterdir()}
    assert set(blobs) == set(export.file_names())
    vcf = gzip.decompress(
        decrypt_with_reference(folder(export) / "genotypes.vcf.gz.c4gh", cohort.researcher_secret)
    )
    blobs["genotypes (decrypted)"] = vcf
    parquet = pd.read_parquet(folder(export) / "phenotypes.parquet")
    blobs["parquet (decoded)"] = parquet.to_csv(index=False).encode()
    assert vcf.count(b"\n") > len(cohort.subjects)  # the genotypes are really there
    leaks = [
        (name, needle)
        for name, blob in blobs.items()
        for needle in needles(cohort)
        if needle in blob
    ]
    assert leaks == []


def test_k_measured_with_pycanon_on_the_output_is_at_least_the_grants(make_cohort):
    cohort = make_cohort(
        n=12, identity=canary_identity, genotypes=False, categories=("clinical", "demographic")
    )
    export = cohort_export_run(
        export_id=cohort_export_request(
            actor=cohort.researcher, grant=cohort.grant, enqueue_run=False
        ).pk
    )
    report = manifest(export)["deidentification"]
    released = pd.read_csv(folder(export) / "phenotypes.csv", dtype=str, keep_default_na=False)
    assert report["quasi_identifiers"] == ["age", "sex", "postcode_area", "ethnic_background"]
    assert anonymity.k_anonymity(released, report["quasi_identifiers"]) >= cohort.grant.k
    assert len(released) + report["suppressed"] == len(cohort.subjects)
