from datetime import UTC, date, datetime, timedelta

import pytest
from dateutil.relativedelta import relativedelta
from django.db import connection
from django.utils import timezone

from consent.models import ConsentRecord
from governance.gate import Purpose, decide, eligible_subjects
from governance.gate.eligibility import TimeLimitEnded
from tests.governance.gate.factories import add_consent
from tests.governance.gate.ontology_fixtures import load_fixture_ontologies

pytestmark = pytest.mark.django_db

DATA_USES = [
    {"permission": "NRES"},
    {"permission": "GRU"},
    {"permission": "HMB"},
    {"permission": "POA"},
    {"permission": "DS", "diseases": ["MONDO:0007254"]},
    {"permission": "DS", "diseases": ["MONDO:0004992"]},
    {"permission": "DS", "diseases": ["DOID:9351"]},
    {"permission": "DS", "diseases": ["ICD10:C50"]},
    {"permission": "DS", "diseases": ["MONDO:0005015", "MONDO:0007254"]},
    {"permission": "DS", "diseases": ["MONDO:0007254"], "modifiers": ["CC", "NMDS"]},
    {"permission": "GRU", "modifiers": ["NPU"]},
    {"permission": "GRU", "modifiers": ["NCU"]},
    {"permission": "HMB", "modifiers": ["NPUNCU", "IRB"]},
    {"permission": "GRU", "modifiers": ["PUB", "COL"]},
    {"permission": "GRU", "modifiers": ["RTN"]},
    {"permission": "GRU", "modifiers": ["GS"], "countries": ["ES", "PT"]},
    {"permission": "GRU", "modifiers": ["TS"], "months": 6, "start": "2026-01-31"},
    {"permission": "GRU", "modifiers": ["TS"], "months": 120},
    {"permission": "GRU", "modifiers": ["MOR"], "moratorium": "2026-09-01"},
    {
        "permission": "GRU",
        "modifiers": ["US", "PS", "IS"],
        "users": ["alice"],
        "projects": ["P1"],
        "institutions": ["UCL"],
    },
    {"permission": "GRU", "modifiers": ["NMDS"]},
    {"permission": "GRU", "modifiers": ["GSO"]},
    {"permission": "GRU", "modifiers": ["CC"]},
    {"permission": "GRU", "modifiers": ["NPOA"]},
    {"permission": "GRU", "modifiers": ["RS"], "restriction_text": "Cardiac only."},
]

PURPOSES = [
    {"category": "GRU"},
    {"category": "HMB", "ethics_approval": True, "not_for_profit": True},
    {"category": "HMB", "commercial": True, "publication": True, "date": "2026-07-01"},
    {"category": "POA", "genetic_study": True},
    {"category": "DS", "diseases": ["MONDO:0007254"], "methods_development": True},
    {"category": "DS", "diseases": ["ICD10:C50.9"]},
    {
        "category": "DS",
        "diseases": ["MONDO:0005148"],
        "country": "ES",
        "publication": True,
        "collaboration": True,
    },
    {"category": "DS", "diseases": ["MONDO:0005148", "MONDO:0007254"]},
    {"category": "CC", "diseases": ["MONDO:0007254"]},
    {
        "category": "GRU",
        "user": "alice",
        "project": "P1",
        "institution": "UCL",
        "return_results": True,
        "methods_development": True,
    },
    {
        "category": "HMB",
        "publication": True,
        "date": "2026-10-01",
        "country": "PT",
        "genetic_study": True,
    },
]

T0 = datetime(2026, 3, 1, tzinfo=UTC)


def _population(make_subject):
    subjects = []
    for index, data_use in enumerate(DATA_USES):
        subject = make_subject()
        add_consent(subject, data_use, recorded_at=T0 + timedelta(minutes=index))
        subjects.append(subject)
    # Variants: withdrawn, expired, genomic not consented, erased, narrowed, and none.
    withdrawn = make_subject()
    add_consent(withdrawn, recorded_at=T0)
    add_consent(withdrawn, status="withdrawn", recorded_at=T0 + timedelta(days=30))
    expired = make_subject()
    add_consent(expired, recorded_at=T0, valid_until=T0 + timedelta(days=20))
    clinical_only = make_subject()
    add_consent(clinical_only, recorded_at=T0, categories=("clinical",))
    erased = make_subject(erased_at=T0 + timedelta(days=40))
    add_consent(erased, recorded_at=T0)
    narrowed = make_subject()
    add_consent(narrowed, recorded_at=T0)
    add_consent(
        narrowed,
        {"permission": "DS", "diseases": ["MONDO:0005015"]},
        recorded_at=T0 + timedelta(days=25),
    )
    future = make_subject()
    add_consent(future, recorded_at=T0, valid_from=T0 + timedelta(days=22))
    subjects += [withdrawn, expired, clinical_only, erased, narrowed, future, make_subject()]
    return subjects


def _assert_agrees(subjects, purpose, category, at):
    expected = {
        s.pk
        for s in subjects
        if decide(
            subject=s, purpose=purpose, purpose_id="t", category=category, at=at, audit=False
        ).allowed
    }
    got = set(
        eligible_subjects(purpose=purpose, category=category, at=at).values_list("pk", flat=True)
    )
    assert got == expected, (purpose, category, at, sorted(got ^ expected))
    return got


@pytest.mark.parametrize("instant_days", [10, 21, 60])
def test_eligible_subjects_agrees_with_decide_on_a_mixed_population(
    make_subject, tmp_path, instant_days
):
    load_fixture_ontologies(tmp_path, icd10=True)
    subjects = _population(make_subject)
    at = T0 + timedelta(days=instant_days)
    total = 0
    for data in PURPOSES:
        purpose = Purpose.from_dict(data)
        for category in ("genomic", "clinical"):
            total += len(_assert_agrees(subjects, purpose, category, at))
    assert total > 50  # the population is mixed: plenty are eligible, plenty are not


def test_the_current_pointer_path_agrees_with_decide_now(make_subject, tmp_path):
    load_fixture_ontologies(tmp_path)
    now = timezone.now()
    subjects = []
    for index, data_use in enumerate(DATA_USES):
        subject = make_subject()
        add_consent(subject, data_use, recorded_at=now - timedelta(days=1, minutes=index))
        subjects.append(subject)
    assert not ConsentRecord.objects.filter(recorded_at__gt=now).exists()
    for data in PURPOSES:
        _assert_agrees(subjects, Purpose.from_dict(data), "genomic", now)


def test_an_amendment_narrowing_to_ds_excludes_the_subject_at_once(make_subject):
    subject = make_subject()
    other = make_subject()
    add_consent(subject, {"permission": "GRU"}, recorded_at=timezone.now() - timedelta(days=1))
    add_consent(other, {"permission": "GRU"}, recorded_at=timezone.now() - timedelta(days=1))
    health = Purpose.from_dict({"category": "HMB"})
    assert set(eligible_subjects(purpose=health, category="genomic")) == {subject, other}
    add_consent(subject, {"permission": "DS", "diseases": ["MONDO:0007254"]})
    assert list(eligible_subjects(purpose=health, category="genomic")) == [other]
    breast = Purpose.from_dict({"category": "DS", "diseases": ["MONDO:0007254"]})
    assert set(eligible_subjects(purpose=breast, category="genomic")) == {subject, other}


def test_withdrawal_excludes_the_subject_from_that_instant(make_subject):
    subject = make_subject()
    add_consent(subject, recorded_at=T0)
    t = T0 + timedelta(days=5)
    add_consent(subject, status="withdrawn", recorded_at=t)
    health = Purpose.from_dict({"category": "HMB"})
    assert list(
        eligible_subjects(purpose=health, category="genomic", at=t - timedelta(microseconds=1))
    ) == [subject]
    assert not eligible_subjects(
        purpose=health, category="genomic", at=t + timedelta(microseconds=1)
    ).exists()
    assert not eligible_subjects(purpose=health, category="genomic").exists()


def test_erased_subjects_are_never_eligible(make_subject):
    subject = make_subject()
    add_consent(subject, recorded_at=T0)
    subject.erased_at = timezone.now()
    subject.save(update_fields=["erased_at"])
    assert not eligible_subjects(
        purpose=Purpose.from_dict({"category": "GRU"}), category="genomic"
    ).exists()


@pytest.mark.parametrize(
    "start, months",
    [
        (date(2026, 1, 31), 1),
        (date(2024, 1, 31), 1),
        (date(2026, 8, 31), 6),
        (date(2026, 3, 15), 12),
        (date(2026, 12, 31), 2),
    ],
)
def test_the_sql_time_limit_adds_months_as_the_matcher_does(make_subject, start, months):
    subject = make_subject()
    add_consent(
        subject,
        {"permission": "GRU", "modifiers": ["TS"], "months": months, "start": start.isoformat()},
        recorded_at=T0,
    )
    end = start + relativedelta(months=months)
    for day, ended in ((end - timedelta(days=1), False), (end, True)):
        found = (
            ConsentRecord.objects.filter(subject=subject).filter(TimeLimitEnded("", day)).exists()
        )
        assert found == ended, (connection.vendor, start, months, day)
