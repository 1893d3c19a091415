"""An export answers its researcher alone: pages, status and files are 404 for everyone
else, and each download is audited."""

from __future__ import annotations

import re
from datetime import date

import pytest
from django.urls import reverse

from governance.audit import Action
from governance.exports.models import ExportState
from governance.exports.services import cohort_export_request, cohort_export_run
from governance.ledger.models import AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def done(make_cohort):
    cohort = make_cohort(n=6)
    export = cohort_export_request(actor=cohort.researcher, grant=cohort.grant, enqueue_run=False)
    return cohort, cohort_export_run(export_id=export.pk)


def export_urls(export) -> list[str]:
    return [
        reverse("research:export", kwargs={"pk": export.pk}),
        reverse("research:export_status", kwargs={"pk": export.pk}),
        reverse("research:export_file", kwargs={"pk": export.pk, "name": "manifest.json"}),
        reverse("research:export_file", kwargs={"pk": export.pk, "name": "genotypes.vcf.gz.c4gh"}),
        reverse("api:export-detail", kwargs={"id": export.pk}),
        reverse("api:export-status", kwargs={"id": export.pk}),
        reverse("api:export-file", kwargs={"id": export.pk, "name": "manifest.json"}),
        reverse("api:export-file", kwargs={"id": export.pk, "name": "phenotypes.csv"}),
    ]


def test_the_owner_reaches_the_export_its_status_and_its_files(done, client_for):
    cohort, export = done
    client = client_for(cohort.researcher)
    for url in export_urls(export):
        assert client.get(url).status_code == 200, url


def test_everyone_else_gets_the_404_a_missing_export_gets(done, client_for, personas, make_user):
    cohort, export = done
    other = make_user("other_researcher", "researcher")
    people = [
        other,
        personas.dac_member,
        personas.steward,
        personas.patient,
        personas.compliance,
        personas.outsider,
    ]
    for user in people:
        client = client_for(user)
        for url in export_urls(export):
            assert client.get(url).status_code == 404, (user.username, url)
    missing = export_urls(type(export)(pk=export.pk + 1000))
    for url in missing:
        assert client_for(cohort.researcher).get(url).status_code == 404
    assert not AuditEvent.objects.filter(action=Action.EXPORT_DOWNLOAD).exists()


def test_cancel_and_list_are_the_owners_alone(done, client_for, make_user):
    cohort, export = done
    other = make_user("other_researcher", "researcher")
    assert (
        client_for(other).post(reverse("api:export-cancel", kwargs={"id": export.pk})).status_code
        == 404
    )
    assert (
        client_for(other)
        .post(reverse("research:export_cancel", kwargs={"pk": export.pk}))
        .status_code
        == 404
    )
    assert client_for(other).get(reverse("api:export-list")).json() == []
    assert [
        e["id"] for e in client_for(cohort.researcher).get(reverse("api:export-list")).json()
    ] == [export.pk]


def test_each_download_is_audited_with_the_file_name(done, client_for):
    cohort, export = done
    client = client_for(cohort.researcher)
    response = client.get(
        reverse("api:export-file", kwargs={"id": export.pk, "name": "phenotypes.csv"})
    )
    body = b"".join(response.streaming_content)
    assert body.startswith(b"pseudonym,")
    client.get(reverse("research:export_file", kwargs={"pk": export.pk, "name": "manifest.json"}))
    downloads = AuditEvent.objects.filter(action=Action.EXPORT_DOWNLOAD).order_by("seq")
    assert [e.extra["file"] for e in downloads] == ["phenotypes.csv", "manifest.json"]
    assert {e.actor_id for e in downloads} == {cohort.researcher.pk}


def test_a_name_outside_the_manifest_is_a_404(done, client_for):
    cohort, export = done
    client = client_for(cohort.researcher)
    for name in ("..", "secret.key", ".tmp-1-1", "phenotypes.csv.bak"):
        assert (
            client.get(
                reverse("api:export-file", kwargs={"id": export.pk, "name": name})
            ).status_code
            == 404
        )


def test_the_api_creates_an_export_once_per_idempotency_key(make_cohort, client_for, monkeypatch):
    monkeypatch.setattr("governance.exports.tasks.exports_run.delay", lambda export_id: None)
    cohort = make_cohort(n=5, genotypes=False, categories=("clinical", "demographic"))
    client = client_for(cohort.researcher)
    payload = {"grant": cohort.grant.pk, "columns": ["age", "sex"], "formats": ["csv"]}
    first = client.post(
        reverse("api:export-create"),
        payload,
        content_type="application/json",
        headers={"Idempotency-Key": "abc-1"},
    )
    again = client.post(
        reverse("api:export-create"),
        payload,
        content_type="application/json",
        headers={"Idempotency-Key": "abc-1"},
    )
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"] and first.json()["state"] == "queued"
    bad = client.post(
        reverse("api:export-create"),
        {**payload, "formats": ["vcf"]},
        content_type="application/json",
    )
    assert bad.status_code == 400 and bad.json()["extra"]["field"] == "formats"


def test_the_page_shows_a_live_progress_bar_fed_by_a_static_script(
    make_cohort, client_for, monkeypatch
):
    monkeypatch.setattr("governance.exports.tasks.exports_run.delay", lambda export_id: None)
    cohort = make_cohort(n=5, genotypes=False, categories=("clinical", "demographic"))
    client = client_for(cohort.researcher)
    form = client.get(reverse("research:exports"))
    key = re.search(rb'name="idempotency_key" value="([0-9a-f]+)"', form.content).group(1).decode()
    response = client.post(
        reverse("research:exports"),
        {
            "grant": cohort.grant.pk,
            "columns": ["age", "sex"],
            "formats": ["csv"],
            "idempotency_key": key,
        },
    )
    assert response.status_code == 302
    page = client.get(response.url).content.decode()
    status_url = reverse(
        "research:export_status", kwargs={"pk": int(response.url.strip("/").split("/")[-1])}
    )
    assert f'data-status-url="{status_url}"' in page and "<progress" in page
    assert re.search(r"<script[^>]*\bsrc=\"/static/exports/progress\.js\"", page)
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page)  # no inline script
    assert ' style="' not in page
    status = client.get(status_url).json()
    assert status == {
        "id": status["id"],
        "state": "queued",
        "progress_done": 0,
        "progress_total": 0,
        "percent": 0,
        "finished": False,
    }


def test_the_finished_page_shows_the_report_and_the_download_links(done, client_for):
    cohort, export = done
    assert export.state == ExportState.SUCCEEDED
    page = (
        client_for(cohort.researcher)
        .get(reverse("research:export", kwargs={"pk": export.pk}))
        .content.decode()
    )
    assert "De-identification report" in page and "k requested / achieved" in page
    for name in export.file_names():
        assert reverse("research:export_file", kwargs={"pk": export.pk, "name": name}) in page


def test_the_patients_who_used_my_data_lists_the_export_that_included_them(
    make_cohort, client_for, personas
):
    from consent.services import consent_grant

    cohort = make_cohort(n=5, genotypes=False, categories=("clinical", "demographic"))
    subject = personas.patient_subject
    subject.sex, subject.ethnic_background = "female", "British"
    subject.birth_date, subject.postcode = date(1962, 3, 3), "CB2 1AB"
    subject.save(update_fields=["sex", "ethnic_background", "birth_date", "postcode"])
    subject.diagnoses.create(term="MONDO:0005148")
    consent_grant(actor=personas.steward, subject=subject, data_use={"permission": "DUO:0000042"},
                  categories=["clinical", "demographic"], via="staff")  # fmt: skip
    export = cohort_export_request(actor=cohort.researcher, grant=cohort.grant, enqueue_run=False)
    export = cohort_export_run(export_id=export.pk)
    assert export.subject_count == 6
    (event,) = AuditEvent.objects.filter(
        action=Action.EXPORT_SUBJECT_INCLUDED, subject_code=subject.code
    )
    page = client_for(personas.patient).get(reverse("portal_access:list")).content.decode()
    assert f"grant:{cohort.grant.pk}" in page or str(cohort.grant.pk) in page
    other = client_for(personas.other_patient).get(reverse("portal_access:list")).content.decode()
    assert f"grant:{cohort.grant.pk}" not in other
