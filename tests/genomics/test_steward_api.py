"""The steward API: ingest by upload and file listing, for stewards only."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from genomics.models import GenomicFile
from tests.genomics.conftest import counts, vault_listing, vcf_text

RECORDS = ["1\t100\t.\tA\tG\t.\tPASS\t.\tGT\t0/1\t1/1", "1\t200\t.\tC\tT\t.\tPASS\t.\tGT\t0/0\t0/1"]
SINGLE = ["1\t100\t.\tA\tG\t.\tPASS\t.\tGT\t0/1"]
NOT_STEWARDS = ["researcher", "outsider", "patient", "dac_member", "compliance"]


def upload(name: str, text: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode(), content_type="application/octet-stream")


@pytest.fixture
def pair(make_subject):
    return make_subject(), make_subject()


@pytest.mark.django_db
def test_a_steward_ingests_with_a_sample_map_and_lists_the_files(personas, client_for, pair):
    client = client_for(personas.steward)
    response = client.post(
        reverse("api:genomic-file-ingest"),
        {
            "file": upload("pair.vcf", vcf_text(["A", "B"], RECORDS)),
            "sample_map": f"A\t{pair[0].code}\nB\t{pair[1].code}\n",
        },
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["mode"] == "split" and body["samples"] == 2
    assert {f["subject_code"] for f in body["files"]} == {pair[0].code, pair[1].code}

    listed = client.get(reverse("api:genomic-file-list"), {"subject": pair[1].code}).json()["files"]
    assert [f["subject"] for f in listed] == [pair[1].code]
    file_id = listed[0]["file_id"]
    detail = client.get(reverse("api:genomic-file-detail", kwargs={"file_id": file_id}))
    assert detail.status_code == 200
    assert detail.json()["record_count"] == 2


@pytest.mark.django_db
def test_a_bad_upload_gets_a_400_naming_the_line_and_stores_nothing(personas, client_for, pair):
    client = client_for(personas.steward)
    before, listing = counts(), vault_listing()
    bad = vcf_text(
        ["A"], ["1\t100\t.\tA\tG\t.\tPASS\t.\tGT\t0/1", "1\t50\t.\tA\tG\t.\tPASS\t.\tGT\t0/1"]
    )
    response = client.post(
        reverse("api:genomic-file-ingest"),
        {"file": upload("bad.vcf", bad), "subject": pair[0].code},
    )
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "vcf_invalid"
    assert body["extra"] == {"line": 11, "reason": "unsorted"}
    assert body["message"].startswith("line 11: ")
    assert counts() == before and vault_listing() == listing


@pytest.mark.django_db
def test_subject_and_sample_map_are_mutually_exclusive(personas, client_for, pair):
    response = client_for(personas.steward).post(
        reverse("api:genomic-file-ingest"), {"file": upload("a.vcf", vcf_text(["A"], SINGLE))}
    )
    assert response.status_code == 400
    assert response.json()["code"] == "validation_failed"


@pytest.mark.django_db
def test_an_upload_over_the_limit_gets_a_413(personas, client_for, pair, settings):
    settings.HELIX_MAX_UPLOAD_BYTES = 2048
    big = vcf_text(["A"], [f"1\t{100 + i}\t.\tA\tG\t.\tPASS\t.\tGT\t0/1" for i in range(200)])
    response = client_for(personas.steward).post(
        reverse("api:genomic-file-ingest"),
        {"file": upload("big.vcf", big), "subject": pair[0].code},
    )
    assert response.status_code == 413
    assert GenomicFile.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize("persona", NOT_STEWARDS)
def test_everyone_but_a_steward_gets_404(personas, client_for, pair, persona):
    steward = client_for(personas.steward)
    steward.post(
        reverse("api:genomic-file-ingest"),
        {"file": upload("a.vcf", vcf_text(["A"], SINGLE)), "subject": pair[0].code},
    )
    file_id = str(GenomicFile.objects.get().file_id)
    client = client_for(getattr(personas, persona))
    assert client.get(reverse("api:genomic-file-list")).status_code == 404
    assert (
        client.get(reverse("api:genomic-file-detail", kwargs={"file_id": file_id})).status_code
        == 404
    )
    response = client.post(
        reverse("api:genomic-file-ingest"),
        {"file": upload("a.vcf", vcf_text(["A"], SINGLE)), "subject": pair[1].code},
    )
    assert response.status_code == 404
    assert GenomicFile.objects.count() == 1


@pytest.mark.django_db
def test_a_missing_file_and_a_malformed_id_get_the_same_404(personas, client_for):
    client = client_for(personas.steward)
    missing = client.get(
        reverse(
            "api:genomic-file-detail", kwargs={"file_id": "00000000-0000-4000-8000-000000000000"}
        )
    )
    malformed = client.get(reverse("api:genomic-file-detail", kwargs={"file_id": "nope"}))
    assert missing.status_code == malformed.status_code == 404
    assert missing.json() == malformed.json()
