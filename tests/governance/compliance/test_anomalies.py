"""Anomaly flags: many subjects in a short window, denial bursts, use outside a grant's period."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse

from governance.access.models import AccessGrant, AccessRequest, GrantStatus, RequestStatus
from governance.audit import Action, Outcome, audit_append
from governance.compliance.anomalies import (
    DENIAL_BURST,
    MANY_SUBJECTS,
    OUTSIDE_GRANT,
    GrantPeriod,
    anomalies,
    flag_denial_bursts,
    flag_many_subjects,
    flag_outside_grant,
)
from governance.ledger.models import AuditEvent

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 5, 4, 8, 0, tzinfo=UTC)


def _read(user, code, at, **fields):
    return audit_append(actor=user, action=Action.SUBJECT_READ, object_type="subject", subject_code=code,
                        now=at, **fields)


def _codes(n):
    return [f"HX-{index:010d}" for index in range(n)]


def test_a_user_reading_many_distinct_subjects_within_the_window_is_flagged(personas, settings):
    settings.HELIX_ANOMALY_SUBJECTS = 5
    settings.HELIX_ANOMALY_SUBJECTS_WINDOW_MINUTES = 10
    for index, code in enumerate(_codes(6)):
        _read(personas.steward, code, T0 + timedelta(minutes=index))
    flags = flag_many_subjects(AuditEvent.objects.all())
    assert [(f.kind, f.actor, f.count) for f in flags] == [(MANY_SUBJECTS, "steward", 6)]
    assert flags[0].start == T0 and flags[0].end == T0 + timedelta(minutes=5)


def test_the_same_reads_spread_beyond_the_window_are_not_flagged(personas, settings):
    settings.HELIX_ANOMALY_SUBJECTS = 5
    settings.HELIX_ANOMALY_SUBJECTS_WINDOW_MINUTES = 10
    for index, code in enumerate(_codes(6)):
        _read(personas.steward, code, T0 + timedelta(minutes=4 * index))
    assert flag_many_subjects(AuditEvent.objects.all()) == []


def test_reading_one_subject_many_times_is_not_many_subjects(personas, settings):
    settings.HELIX_ANOMALY_SUBJECTS = 5
    for index in range(20):
        _read(personas.steward, "HX-0000000001", T0 + timedelta(seconds=index))
    assert flag_many_subjects(AuditEvent.objects.all()) == []


def test_different_users_are_counted_separately(personas, settings):
    settings.HELIX_ANOMALY_SUBJECTS = 5
    codes = _codes(6)
    for index, code in enumerate(codes):
        user = personas.steward if index % 2 else personas.researcher
        _read(user, code, T0 + timedelta(seconds=index))
    assert flag_many_subjects(AuditEvent.objects.all()) == []


def test_a_burst_of_denials_is_flagged_and_scattered_denials_are_not(personas, settings):
    settings.HELIX_ANOMALY_DENIALS = 4
    settings.HELIX_ANOMALY_DENIALS_WINDOW_MINUTES = 5
    for index in range(4):
        audit_append(actor=personas.researcher, action=Action.GATE_DECISION, object_type="subject",
                     outcome=Outcome.DENIED, now=T0 + timedelta(minutes=index))
    for index in range(4):
        audit_append(actor=personas.steward, action=Action.GATE_DECISION, object_type="subject",
                     outcome=Outcome.DENIED, now=T0 + timedelta(minutes=10 * index))
    flags = flag_denial_bursts(AuditEvent.objects.all())
    assert [(f.kind, f.actor, f.count) for f in flags] == [(DENIAL_BURST, "researcher", 4)]


def test_failed_logins_in_a_burst_are_flagged(settings):
    settings.HELIX_ANOMALY_DENIALS = 3
    for index in range(3):
        audit_append(actor="anonymous", action=Action.LOGIN_FAILED, object_type="user", outcome=Outcome.FAILED,
                     now=T0 + timedelta(seconds=index))
    assert [f.actor for f in flag_denial_bursts(AuditEvent.objects.all())] == ["anonymous"]


@pytest.fixture
def grant(personas):
    request = AccessRequest.objects.create(
        requester=personas.researcher, title="Type 1 diabetes variants", purpose_data={}, categories=["genomic"],
        status=RequestStatus.APPROVED, created_at=T0, updated_at=T0,
    )
    return AccessGrant.objects.create(
        request=request, researcher=personas.researcher, purpose_data={}, categories=["genomic"], k=5,
        expires_at=T0 + timedelta(days=30), created_at=T0,
    )


def test_use_under_a_grant_after_its_expiry_is_flagged(personas, grant):
    inside = _read(personas.researcher, "HX-0000000001", T0 + timedelta(days=1), purpose=grant.purpose_id)
    after = _read(personas.researcher, "HX-0000000001", T0 + timedelta(days=31), purpose=grant.purpose_id)
    flags = flag_outside_grant(AuditEvent.objects.all())
    assert [(f.kind, f.first_seq) for f in flags] == [(OUTSIDE_GRANT, after.seq)]
    assert inside.seq not in {f.first_seq for f in flags}
    assert "after it ended" in flags[0].detail


def test_use_after_revocation_is_flagged_even_before_expiry(personas, grant):
    AccessGrant.objects.filter(pk=grant.pk).update(status=GrantStatus.REVOKED, ended_at=T0 + timedelta(days=2))
    before = _read(personas.researcher, "HX-0000000001", T0 + timedelta(days=1), purpose=grant.purpose_id)
    after = _read(personas.researcher, "HX-0000000001", T0 + timedelta(days=3), purpose=grant.purpose_id)
    flagged = {f.first_seq for f in flag_outside_grant(AuditEvent.objects.all())}
    assert after.seq in flagged and before.seq not in flagged


def test_denied_attempts_and_grant_bookkeeping_after_the_end_are_not_flagged(personas, grant):
    late = T0 + timedelta(days=40)
    audit_append(actor=personas.researcher, action=Action.GATE_DECISION, object_type="subject",
                 purpose=grant.purpose_id, outcome=Outcome.DENIED, now=late)
    audit_append(actor="system", action=Action.ACCESS_GRANT_EXPIRE, object_type="access_grant",
                 purpose=grant.purpose_id, now=late)
    assert flag_outside_grant(AuditEvent.objects.all()) == []


def test_use_under_a_grant_that_does_not_exist_is_flagged(personas):
    event = _read(personas.researcher, "HX-0000000001", T0, purpose="grant:999999")
    flags = flag_outside_grant(AuditEvent.objects.all())
    assert [f.first_seq for f in flags] == [event.seq]


def test_grant_periods_come_from_any_source_given(personas):
    event = _read(personas.researcher, "HX-0000000001", T0 + timedelta(hours=2), purpose="grant:5")
    periods = {5: GrantPeriod(starts=T0, ends=T0 + timedelta(hours=1))}
    flags = flag_outside_grant(AuditEvent.objects.all(), periods=lambda ids: {i: periods[i] for i in ids})
    assert [f.first_seq for f in flags] == [event.seq]


def test_the_console_lists_the_flags_newest_first(personas, grant, settings, client_for):
    settings.HELIX_ANOMALY_SUBJECTS = 3
    for index, code in enumerate(_codes(3)):
        _read(personas.steward, code, T0 + timedelta(seconds=index))
    _read(personas.researcher, "HX-0000000001", T0 + timedelta(days=31), purpose=grant.purpose_id)
    assert [f.kind for f in anomalies(AuditEvent.objects.all())] == [OUTSIDE_GRANT, MANY_SUBJECTS]
    response = client_for(personas.compliance).get(reverse("compliance:anomalies"), {"since": "2026-05-01"})
    assert response.status_code == 200
    assert [f.kind for f in response.context["flags"]] == [OUTSIDE_GRANT, MANY_SUBJECTS]
    assert b"Use outside the grant&#x27;s period" in response.content


def test_a_patient_sees_the_project_of_a_grant_by_its_title(grant):
    from governance.compliance.plain import describe_purposes

    names = describe_purposes({grant.purpose_id, grant.request.purpose_id})
    assert names[grant.purpose_id] == f"Research project \u201cType 1 diabetes variants\u201d (approved access no. {grant.pk})"
    assert names[grant.request.purpose_id].startswith("Research proposal \u201cType 1 diabetes variants\u201d")
