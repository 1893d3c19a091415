"""The steward pages: upload with clear errors, files per subject, rotation status."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from genomics.models import GenomicFile
from genomics.services import master_key_rotate
from tests.genomics.conftest import counts, vcf_text

RECORDS = ["1\t100\t.\tA\tG\t.\tPASS\t.\tGT\t0/1", "1\t200\t.\tC\tT\t.\tPASS\t.\tGT\t1/1"]


def upload(text: str) -> SimpleUploadedFile:
    return SimpleUploadedFile("one.vcf", text.encode())


@pytest.mark.django_db
def test_the_upload_page_stores_a_file_and_shows_the_summary(personas, client_for, make_subject):
    subject = make_subject()
    client = client_for(personas.steward)
    page = client.get(reverse("steward:genomic_upload"))
    assert page.status_code == 200
    assert b'<label for="id_file">' in page.content and b"<script" not in page.content
    response = client.post(
        reverse("steward:genomic_upload"),
        {"file": upload(vcf_text(["S"], RECORDS)), "subject": subject.code},
    )
    assert response.status_code == 201
    assert b'id="upload-summary"' in response.content
    assert GenomicFile.objects.filter(subject=subject).count() == 1
    listing = client.get(reverse("steward:subject_files", kwargs={"code": subject.code}))
    assert listing.status_code == 200
    assert str(GenomicFile.objects.get().file_id).encode() in listing.content
    overview = client.get(reverse("steward:genomic_files"), {"subject": subject.code})
    assert subject.code.encode() in overview.content


@pytest.mark.django_db
def test_the_upload_page_names_the_bad_line_and_stores_nothing(personas, client_for, make_subject):
    subject = make_subject()
    before = counts()
    bad = vcf_text(["S"], [RECORDS[0], "1\t200\t.\tC\tZ\t.\tPASS\t.\tGT\t1/1"])
    response = client_for(personas.steward).post(
        reverse("steward:genomic_upload"), {"file": upload(bad), "subject": subject.code}
    )
    assert response.status_code == 400
    assert b'role="alert"' in response.content
    assert b"line 11: ALT alleles may contain only" in response.content
    assert counts() == before


@pytest.mark.django_db
def test_the_upload_form_still_demands_its_csrf_token(personas, make_subject):
    subject = make_subject()
    client = Client(enforce_csrf_checks=True)
    client.force_login(personas.steward)
    response = client.post(
        reverse("steward:genomic_upload"),
        {"file": upload(vcf_text(["S"], RECORDS)), "subject": subject.code},
    )
    assert response.status_code == 403
    assert GenomicFile.objects.count() == 0


@pytest.mark.django_db
def test_an_oversized_upload_is_refused_on_the_page(personas, client_for, make_subject, settings):
    settings.HELIX_MAX_UPLOAD_BYTES = 1024
    subject = make_subject()
    big = vcf_text(["S"], [f"1\t{100 + i}\t.\tA\tG\t.\tPASS\t.\tGT\t0/1" for i in range(200)])
    response = client_for(personas.steward).post(
        reverse("steward:genomic_upload"), {"file": upload(big), "subject": subject.code}
    )
    assert response.status_code == 413
    assert GenomicFile.objects.count() == 0


@pytest.mark.django_db
def test_the_key_page_shows_versions_in_use(personas, client_for, make_subject):
    from genomics.services import subject_key_ensure

    subject_key_ensure(subject=make_subject())
    master_key_rotate(actor=personas.steward, batch_size=1, max_batches=0)
    page = client_for(personas.steward).get(reverse("steward:key_status"))
    assert page.status_code == 200
    assert b"still on older versions" in page.content
    assert page.context["current"] == 2
    assert page.context["usage"][1]["subject_keys"] == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    "persona", ["researcher", "outsider", "patient", "dac_member", "compliance"]
)
def test_the_steward_pages_are_404_for_everyone_else(personas, client_for, make_subject, persona):
    subject = make_subject()
    client = client_for(getattr(personas, persona))
    for url in [
        reverse("steward:genomic_upload"),
        reverse("steward:genomic_files"),
        reverse("steward:key_status"),
        reverse("steward:subject_files", kwargs={"code": subject.code}),
    ]:
        assert client.get(url).status_code == 404
    response = client.post(
        reverse("steward:genomic_upload"),
        {"file": upload(vcf_text(["S"], RECORDS)), "subject": subject.code},
    )
    assert response.status_code == 404
    assert GenomicFile.objects.count() == 0
