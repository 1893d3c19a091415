from datetime import UTC, datetime, timedelta

import pytest

from consent.duo import DataUse
from governance.gate import Purpose, decide
from governance.gate.decide import DECISION_TTL
from governance.ledger.models import AuditEvent
from tests.governance.gate.factories import add_consent

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 1, 10, 9, 0, tzinfo=UTC)
HEALTH = Purpose.from_dict({"category": "HMB"})
GENERAL = Purpose.from_dict({"category": "GRU"})


def _decide(subject, purpose=HEALTH, at=None, category="genomic", **kwargs):
    return decide(
        subject=subject, purpose=purpose, purpose_id="request:1", category=category, at=at, **kwargs
    )


def test_no_consent_denies(make_subject):
    decision = _decide(make_subject(), at=T0)
    assert not decision.allowed and decision.consent_version_id is None
    assert [r.code for r in decision.reasons] == ["consent.none"]


def test_the_version_in_force_at_each_instant_is_used(make_subject):
    subject = make_subject()
    v1 = add_consent(subject, {"permission": "GRU"}, recorded_at=T0)
    v2 = add_consent(
        subject,
        {"permission": "DS", "diseases": ["MONDO:0007254"]},
        recorded_at=T0 + timedelta(days=10),
    )
    v3 = add_consent(subject, {"permission": "HMB"}, recorded_at=T0 + timedelta(days=20))

    before = _decide(subject, at=T0 - timedelta(seconds=1))
    assert not before.allowed and before.consent_version_id is None
    first = _decide(subject, purpose=GENERAL, at=T0 + timedelta(days=1))
    assert first.allowed and first.consent_version_id == v1.pk
    between = _decide(subject, purpose=GENERAL, at=T0 + timedelta(days=15))
    assert not between.allowed and between.consent_version_id == v2.pk
    assert [r.code for r in between.reasons] == ["consent.version", "DUO:0000007"]
    after = _decide(subject, at=T0 + timedelta(days=30))
    assert after.allowed and after.consent_version_id == v3.pk


def test_withdrawal_at_t_denies_one_microsecond_later(make_subject):
    subject = make_subject()
    add_consent(subject, {"permission": "GRU"}, recorded_at=T0)
    t = T0 + timedelta(days=3)
    add_consent(subject, {"permission": "GRU"}, status="withdrawn", recorded_at=t)
    assert _decide(subject, at=t - timedelta(microseconds=1)).allowed
    after = _decide(subject, at=t + timedelta(microseconds=1))
    assert not after.allowed and "consent.withdrawn" in [r.code for r in after.reasons]


def test_expired_and_not_yet_valid_consent_deny(make_subject):
    subject = make_subject()
    add_consent(
        subject,
        recorded_at=T0,
        valid_from=T0 + timedelta(days=1),
        valid_until=T0 + timedelta(days=5),
    )
    assert "consent.not_yet_valid" in [
        r.code for r in _decide(subject, at=T0 + timedelta(hours=1)).reasons
    ]
    assert _decide(subject, at=T0 + timedelta(days=2)).allowed
    assert "consent.expired" in [
        r.code for r in _decide(subject, at=T0 + timedelta(days=5)).reasons
    ]


def test_a_category_the_consent_does_not_cover_denies(make_subject):
    subject = make_subject()
    add_consent(subject, recorded_at=T0, categories=("clinical",))
    assert _decide(subject, at=T0 + timedelta(hours=1), category="clinical").allowed
    genomic = _decide(subject, at=T0 + timedelta(hours=1), category="genomic")
    assert not genomic.allowed and genomic.reasons[-1].code == "consent.category"


def test_an_erased_subject_is_denied(make_subject):
    subject = make_subject()
    add_consent(subject, recorded_at=T0)
    subject.erased_at = T0 + timedelta(days=1)
    subject.save(update_fields=["erased_at"])
    assert [r.code for r in _decide(subject, at=T0 + timedelta(days=2)).reasons] == [
        "subject.erased"
    ]


def test_a_review_is_not_a_permit(make_subject):
    subject = make_subject()
    add_consent(
        subject,
        {"permission": "GRU", "modifiers": ["RS"], "restriction_text": "Cardiac only."},
        recorded_at=T0,
    )
    decision = _decide(subject, at=T0 + timedelta(hours=1))
    assert not decision.allowed and decision.reasons[-1].code == "gate.review"


def test_validity_is_short_and_never_past_the_consent(make_subject):
    subject = make_subject()
    add_consent(subject, recorded_at=T0, valid_until=T0 + timedelta(hours=1, minutes=2))
    at = T0 + timedelta(minutes=10)
    assert _decide(subject, at=at).valid_until == at + DECISION_TTL
    late = T0 + timedelta(hours=1)
    decision = _decide(subject, at=late)
    assert decision.valid_until == T0 + timedelta(hours=1, minutes=2)
    assert decision.is_valid_at(late) and not decision.is_valid_at(
        T0 + timedelta(hours=1, minutes=2)
    )


def test_validity_never_passes_a_time_limit(make_subject):
    subject = make_subject()
    add_consent(
        subject,
        {"permission": "GRU", "modifiers": ["TS"], "months": 1, "start": "2026-01-01"},
        recorded_at=T0,
    )
    at = datetime(2026, 1, 31, 23, 58, tzinfo=UTC)
    decision = _decide(subject, at=at)
    assert decision.allowed and decision.valid_until == datetime(2026, 2, 1, tzinfo=UTC)


def test_every_decision_is_audited_with_purpose_and_version(make_subject, make_user):
    subject = make_subject()
    record = add_consent(subject, {"permission": "HMB"}, recorded_at=T0)
    actor = make_user("analyst")
    _decide(subject, at=T0 + timedelta(hours=1), actor=actor)
    _decide(subject, purpose=GENERAL, at=T0 + timedelta(hours=1), actor=actor)
    allowed, denied = AuditEvent.objects.filter(action="gate.decision").order_by("seq")
    assert (allowed.outcome, denied.outcome) == ("allowed", "denied")
    assert allowed.subject_code == subject.code and allowed.purpose == "request:1"
    assert (
        allowed.extra["consent_version_id"] == record.pk
        and allowed.extra["purpose_id"] == "request:1"
    )
    assert denied.extra["reasons"] == ["consent.version", "DUO:0000006"]
    assert allowed.actor == "analyst"


def test_previews_can_skip_the_audit(make_subject):
    subject = make_subject()
    add_consent(subject, recorded_at=T0)
    _decide(subject, at=T0 + timedelta(hours=1), audit=False)
    assert not AuditEvent.objects.filter(action="gate.decision").exists()


def test_the_data_use_of_the_version_used_is_what_was_matched(make_subject):
    subject = make_subject()
    record = add_consent(
        subject,
        {"permission": "DS", "diseases": ["MONDO:0007254"], "modifiers": ["IRB"]},
        recorded_at=T0,
    )
    assert DataUse.from_consent(record).modifiers == ("DUO:0000021",)
    ds = Purpose.from_dict(
        {"category": "DS", "diseases": ["MONDO:0007254"], "ethics_approval": True}
    )
    decision = _decide(subject, purpose=ds, at=T0 + timedelta(hours=1))
    assert decision.allowed
    assert [r.code for r in decision.reasons] == ["consent.version", "DUO:0000007", "DUO:0000021"]


def test_decide_many_gives_each_subject_the_decision_decide_gives_and_audits_each(make_subject, make_user):
    from governance.gate.decide import decide_many

    at = T0 + timedelta(days=5)
    none = make_subject()
    health = make_subject()
    add_consent(health, {"permission": "HMB"}, recorded_at=T0, categories=("genomic", "clinical"))
    replaced = make_subject()
    add_consent(replaced, {"permission": "HMB"}, recorded_at=T0)
    add_consent(replaced, {"permission": "GRU"}, recorded_at=T0 + timedelta(days=1))
    add_consent(replaced, {"permission": "HMB"}, recorded_at=T0 + timedelta(days=9))  # after `at`
    withdrawn = make_subject()
    add_consent(withdrawn, {"permission": "GRU"}, recorded_at=T0)
    add_consent(withdrawn, {"permission": "GRU"}, status="withdrawn", recorded_at=T0 + timedelta(days=2))
    erased = make_subject()
    add_consent(erased, recorded_at=T0)
    erased.erased_at = T0 + timedelta(days=1)
    erased.save(update_fields=["erased_at"])
    subjects = [none, health, replaced, withdrawn, erased]
    categories = ["genomic", "demographic"]
    actor = make_user("analyst")

    before = AuditEvent.objects.count()
    many = decide_many(
        subjects=subjects, purpose=GENERAL, purpose_id="request:1", categories=categories, at=at, actor=actor
    )
    batch_events = list(AuditEvent.objects.filter(seq__gt=before).order_by("seq"))
    one_by_one = {
        s.pk: {c: _decide(s, purpose=GENERAL, at=at, category=c, actor=actor) for c in categories} for s in subjects
    }
    single_events = list(AuditEvent.objects.filter(seq__gt=before + len(batch_events)).order_by("seq"))

    assert many == one_by_one
    assert [many[replaced.pk][c].allowed for c in categories] == [True, True]
    assert not any(d.allowed for s in (none, withdrawn, erased) for d in many[s.pk].values())
    assert [many[health.pk][c].allowed for c in categories] == [False, False]  # HMB vs GRU; no demographic
    assert len(batch_events) == len(single_events) == len(subjects) * len(categories)
    for ours, theirs in zip(batch_events, single_events, strict=True):
        assert (ours.subject_code, ours.outcome, ours.actor, ours.extra) == (
            theirs.subject_code, theirs.outcome, theirs.actor, theirs.extra
        )


def test_decide_many_refuses_an_unknown_category_before_deciding_anything(make_subject):
    from governance.errors import ValidationFailed
    from governance.gate.decide import decide_many

    subject = make_subject()
    before = AuditEvent.objects.count()
    with pytest.raises(ValidationFailed, match="category"):
        decide_many(subjects=[subject], purpose=HEALTH, purpose_id="r", categories=["genomic", "x"])
    assert AuditEvent.objects.count() == before
