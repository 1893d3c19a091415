"""The compliance console: search, reports, chart, exports, verification, and its own audit trail."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse

from governance.audit import Action, Outcome, audit_append
from governance.compliance.downloads import csv_safe
from governance.compliance.models import VerificationRun
from governance.ledger.models import AuditEvent

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def ledger(personas):
    """A small ledger: reads by the researcher and the steward, a denial, spread over days."""
    code = personas.patient_subject.code
    other = personas.other_subject.code
    for day in range(3):
        audit_append(actor=personas.researcher, action=Action.GENOMIC_READ, object_type="genomic_file",
                     object_id=day, subject_code=code, purpose="grant:7", now=T0 + timedelta(days=day))
    audit_append(actor=personas.steward, action=Action.SUBJECT_READ, object_type="subject",
                 object_id=other, subject_code=other, now=T0 + timedelta(days=1))
    audit_append(actor=personas.researcher, action=Action.GATE_DECISION, object_type="subject",
                 subject_code=other, purpose="grant:7", outcome=Outcome.DENIED, now=T0 + timedelta(days=2))
    return personas


def _views_by(user):
    return AuditEvent.objects.filter(action=Action.AUDIT_VIEW, actor_id=user.pk)


def test_every_console_page_renders_for_the_compliance_officer_and_is_itself_audited(ledger, client_for):
    client = client_for(ledger.compliance)
    pages = [
        reverse("compliance:home"),
        reverse("compliance:events"),
        reverse("compliance:subjects"),
        reverse("compliance:subject_report", kwargs={"code": ledger.patient_subject.code}),
        reverse("compliance:users"),
        reverse("compliance:user_report", kwargs={"id": ledger.researcher.pk}),
        reverse("compliance:anomalies"),
        reverse("compliance:verification"),
    ]
    for number, url in enumerate(pages, start=1):
        response = client.get(url)
        assert response.status_code == 200, url
        assert _views_by(ledger.compliance).count() == number, url


def test_the_subject_report_view_records_the_subject_code_it_looked_at(ledger, client_for):
    code = ledger.patient_subject.code
    client_for(ledger.compliance).get(reverse("compliance:subject_report", kwargs={"code": code}))
    event = _views_by(ledger.compliance).get()
    assert (event.subject_code, event.extra["view"]) == (code, "subject_report")


def test_other_roles_get_a_404_from_every_console_page(ledger, client_for):
    for user in (ledger.steward, ledger.researcher, ledger.patient, ledger.dac_member):
        client = client_for(user)
        assert client.get(reverse("compliance:events")).status_code == 404
        assert client.get(reverse("compliance:events_csv")).status_code == 404
        assert client.post(reverse("compliance:verification_run")).status_code == 404
    assert not AuditEvent.objects.filter(action__in=[Action.AUDIT_VIEW, Action.AUDIT_EXPORT]).exists()


def test_filters_select_by_actor_subject_action_purpose_outcome_and_time(ledger, client_for):
    client = client_for(ledger.compliance)
    code = ledger.patient_subject.code

    def seqs(**params):
        response = client.get(reverse("compliance:events"), params)
        assert response.status_code == 200
        return [event.seq for event in response.context["page"].object_list]

    assert len(seqs(actor="researcher")) == 4
    assert len(seqs(actor=str(ledger.steward.pk))) == 1
    assert len(seqs(subject_code=code.lower())) == 3
    assert len(seqs(action=Action.GATE_DECISION)) == 1
    assert len(seqs(purpose="grant:7")) == 4
    assert len(seqs(outcome="denied")) == 1
    assert len(seqs(since="2026-03-02", until="2026-03-02T23:59")) == 2
    assert len(seqs(since="2026-03-02", until="2026-03-02")) == 2  # an end date includes its whole day
    assert len(seqs(until="2026-03-02T08:59")) == 1
    assert len(seqs(until="2026-03-02T09:00")) == 3  # an end time includes its whole minute
    assert len(seqs(actor="researcher", outcome="allowed", since="2026-03-02")) == 2


def test_a_bad_date_gets_a_clear_error_and_no_results(ledger, client_for):
    response = client_for(ledger.compliance).get(reverse("compliance:events"), {"since": "yesterday-ish"})
    assert response.status_code == 400
    assert b"Enter the start as a date" in response.content
    assert "page" not in response.context


def test_an_end_before_the_start_is_refused(ledger, client_for):
    response = client_for(ledger.compliance).get(
        reverse("compliance:events"), {"since": "2026-03-03", "until": "2026-03-01"}
    )
    assert response.status_code == 400
    assert b"The end must not be before the start." in response.content


def test_malformed_subject_codes_and_purposes_are_refused(ledger, client_for):
    client = client_for(ledger.compliance)
    assert client.get(reverse("compliance:events"), {"subject_code": "Jane Doe"}).status_code == 400
    assert client.get(reverse("compliance:events"), {"purpose": "grant 7; drop"}).status_code == 400
    assert client.get(reverse("compliance:events"), {"action": "made.up"}).status_code == 400


def test_results_are_paginated_fifty_a_page(ledger, client_for):
    for index in range(60):
        audit_append(actor=ledger.steward, action=Action.SUBJECT_READ, object_type="subject", object_id=index)
    client = client_for(ledger.compliance)
    first = client.get(reverse("compliance:events"), {"actor": "steward"})
    second = client.get(reverse("compliance:events"), {"actor": "steward", "page": 2})
    assert len(first.context["page"].object_list) == 50
    assert len(second.context["page"].object_list) == 11
    assert b"actor=steward&amp;page=2" in first.content
    assert client.get(reverse("compliance:events"), {"page": "nonsense"}).status_code == 200


def test_the_chart_is_server_side_svg_with_a_title_a_description_and_a_table(ledger, client_for):
    response = client_for(ledger.compliance).get(reverse("compliance:events"), {"purpose": "grant:7"})
    html = response.content.decode()
    assert '<svg xmlns="http://www.w3.org/2000/svg"' in html
    assert 'role="img" aria-labelledby="accesses-title accesses-desc"' in html
    assert "<title id=\"accesses-title\">Ledger events per day</title>" in html
    assert "4 events from 2026-03-01 to 2026-03-03, 1 of them denied or failed" in html
    assert "<script" not in html and "style=" not in html
    buckets = response.context["buckets"]
    assert [(b.allowed, b.refused) for b in buckets] == [(1, 0), (1, 0), (1, 1)]


def test_the_subject_report_counts_by_action_outcome_and_purpose(ledger, client_for):
    code = ledger.other_subject.code
    response = client_for(ledger.compliance).get(reverse("compliance:subject_report", kwargs={"code": code}))
    summary = response.context["summary"]
    assert summary.total == 2
    assert dict(summary.by_action) == {Action.SUBJECT_READ: 1, Action.GATE_DECISION: 1}
    assert dict(summary.by_outcome) == {"allowed": 1, "denied": 1}
    assert dict(summary.by_purpose) == {"grant:7": 1}


def test_reports_for_unknown_subjects_and_users_are_404(ledger, client_for):
    client = client_for(ledger.compliance)
    assert client.get(reverse("compliance:subject_report", kwargs={"code": "HX-0000000000"})).status_code == 404
    assert client.get(reverse("compliance:user_report", kwargs={"id": 999999})).status_code == 404


def test_the_user_report_lists_only_that_users_events(ledger, client_for):
    response = client_for(ledger.compliance).get(
        reverse("compliance:user_report", kwargs={"id": ledger.researcher.pk})
    )
    assert {e.actor_id for e in response.context["timeline"]} == {ledger.researcher.pk}
    assert response.context["summary"].total == 4


def test_csv_export_streams_the_filtered_view_and_is_audited(ledger, client_for):
    response = client_for(ledger.compliance).get(reverse("compliance:events_csv"), {"outcome": "denied"})
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Disposition"].startswith('attachment; filename="audit-events-')
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [row["action"] for row in rows] == [Action.GATE_DECISION]
    export = AuditEvent.objects.get(action=Action.AUDIT_EXPORT)
    assert export.extra == {"format": "csv", "count": 1, "filters": {"outcome": "denied"}}


def test_json_export_streams_documents_with_their_leaf_hashes(ledger, client_for):
    response = client_for(ledger.compliance).get(reverse("compliance:events_json"), {"actor": "steward"})
    documents = json.loads(b"".join(response.streaming_content))
    event = AuditEvent.objects.get(action=Action.SUBJECT_READ)
    assert documents == [{**documents[0], "seq": event.seq, "leaf_hash": event.leaf_hash}]
    assert documents[0]["action"] == Action.SUBJECT_READ
    assert AuditEvent.objects.filter(action=Action.AUDIT_EXPORT, extra__format="json").count() == 1


def test_an_export_with_a_bad_filter_exports_nothing(ledger, client_for):
    response = client_for(ledger.compliance).get(reverse("compliance:events_csv"), {"until": "31/02/2026"})
    assert response.status_code == 400
    assert not AuditEvent.objects.filter(action=Action.AUDIT_EXPORT).exists()


@pytest.mark.parametrize("cell", ["=SUM(A1)", "+1", "-2+3", "@cmd", "\tx", "\rx"])
def test_csv_cells_a_spreadsheet_would_evaluate_are_neutralised(cell):
    assert csv_safe(cell) == "'" + cell


def test_ordinary_csv_cells_are_left_alone():
    assert [csv_safe(v) for v in ("grant:7", "HX-ABC", 42, None, "a=b")] == ["grant:7", "HX-ABC", "42", "", "a=b"]


def test_a_formula_in_an_event_field_is_quoted_in_the_csv(ledger, client_for):
    audit_append(actor="=HYPERLINK(\"x\")", action=Action.LOGIN_FAILED, object_type="user",
                 outcome=Outcome.FAILED)
    response = client_for(ledger.compliance).get(reverse("compliance:events_csv"), {"action": Action.LOGIN_FAILED})
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0]["actor"] == "'=HYPERLINK(\"x\")"


def test_verification_runs_on_post_and_the_result_is_shown(ledger, client_for):
    client = client_for(ledger.compliance)
    assert client.get(reverse("compliance:verification_run")).status_code == 405
    size = AuditEvent.objects.count()
    response = client.post(reverse("compliance:verification_run"), follow=True)
    assert response.status_code == 200
    run = VerificationRun.objects.get()
    assert run.ok and run.tree_size == size
    assert b"Intact" in response.content
    event = AuditEvent.objects.get(action=Action.AUDIT_VERIFY)
    assert (event.outcome, event.extra["tree_size"], event.actor_id) == ("allowed", size, ledger.compliance.pk)


def test_a_tampered_ledger_fails_verification_naming_the_first_bad_event(ledger, client_for):
    from governance.ledger import triggers

    target = AuditEvent.objects.filter(action=Action.GENOMIC_READ).order_by("seq").first()
    with triggers.suspended():
        AuditEvent.objects.filter(seq=target.seq).update(purpose="grant:8")
    response = client_for(ledger.compliance).post(reverse("compliance:verification_run"), follow=True)
    run = VerificationRun.objects.get()
    assert not run.ok
    assert run.first_bad_seq == target.seq
    assert f"Verification failed at event {target.seq}" in response.content.decode()
    failed = AuditEvent.objects.get(action=Action.AUDIT_VERIFY)
    assert (failed.outcome, failed.extra["seq"]) == ("failed", target.seq)


def test_the_verification_page_shows_the_latest_signed_checkpoint(ledger, client_for):
    from governance.ledger.services import checkpoint_create

    checkpoint = checkpoint_create()
    html = client_for(ledger.compliance).get(reverse("compliance:verification")).content.decode()
    assert checkpoint.root_hash in html
    assert checkpoint.note.splitlines()[2] in html
