"""The eligibility preview: the gate's eligible subjects, narrowed by the cohort, never exact when small."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from consent.models import SubjectDiagnosis
from consent.services import consent_grant
from governance.access import selectors
from governance.access.criteria import Estimate

from .conftest import HMB, T0

pytestmark = pytest.mark.django_db

GRU = {"permission": "DUO:0000042"}
DS_BREAST = {"permission": "DUO:0000007", "diseases": ["MONDO:0007254"]}


@pytest.fixture
def consented(personas, make_subject):
    """``consented(n, data_use, **subject_fields)``: n subjects, each consenting through a steward."""

    def make(
        n,
        data_use=GRU,
        *,
        categories=("genomic", "clinical", "demographic"),
        diagnosis=None,
        **fields,
    ):
        subjects = []
        for _ in range(n):
            subject = make_subject(**fields)
            consent_grant(
                actor=personas.steward,
                subject=subject,
                data_use=data_use,
                categories=categories,
                via="staff",
                now=T0 - timedelta(days=30),
            )
            if diagnosis:
                SubjectDiagnosis.objects.create(subject=subject, term=diagnosis)
            subjects.append(subject)
        return subjects

    return make


@pytest.mark.parametrize(
    "count, lower, display",
    [
        (0, 0, "fewer than 10"),
        (9, 0, "fewer than 10"),
        (10, 10, "about 10"),
        (19, 10, "about 10"),
        (127, 120, "about 120"),
    ],
)
def test_counts_are_rounded_down_to_tens_and_never_shown_below_ten(count, lower, display):
    estimate = Estimate.of(count)
    assert estimate.lower_bound == lower
    assert estimate.display.startswith(display)


def test_the_preview_counts_only_subjects_whose_consent_permits_the_purpose(consented, make_draft):
    consented(12)  # GRU: permits health research
    consented(15, DS_BREAST)  # disease-specific: not for general health research
    request = make_draft(purpose=HMB, categories=("genomic",))
    estimate = selectors.access_request_eligibility(request=request, at=T0)
    assert (estimate.lower_bound, estimate.display.split(" (")[0]) == (10, "about 10")


def test_a_small_eligible_group_is_reported_as_fewer_than_ten(consented, make_draft):
    consented(7)
    request = make_draft()
    assert selectors.access_request_eligibility(request=request, at=T0).display == "fewer than 10"


def test_every_requested_category_must_be_consented(consented, make_draft):
    consented(11, categories=("genomic",))
    consented(10, categories=("genomic", "clinical"))
    only_genomic = make_draft(categories=("genomic",))
    both = make_draft(categories=("genomic", "clinical"))
    assert selectors.access_request_eligibility(request=only_genomic, at=T0).lower_bound == 20
    assert selectors.access_request_eligibility(request=both, at=T0).lower_bound == 10


def test_cohort_criteria_narrow_the_eligible_subjects(consented, make_draft):
    consented(
        3, sex="female", postcode="CB2 0QQ", birth_date=date(1980, 5, 1), diagnosis="MONDO:0005148"
    )
    consented(
        2, sex="male", postcode="CB2 1TN", birth_date=date(1950, 5, 1), diagnosis="MONDO:0005148"
    )
    consented(4, sex="female", postcode="SW1A 1AA", birth_date=date(2010, 5, 1))

    def count(cohort):
        request = make_draft(cohort=cohort)
        return selectors.cohort_subjects(
            purpose=request.purpose, categories=request.categories, cohort=request.cohort, at=T0
        ).count()

    assert count({}) == 9
    assert count({"diagnoses": ["MONDO:0005148"]}) == 5
    assert count({"regions": ["cb"]}) == 5
    assert count({"sex": ["female"]}) == 7
    assert count({"min_age": 18}) == 5
    assert count({"max_age": 50}) == 7
    assert count({"sex": ["female"], "regions": ["CB2"], "min_age": 40, "max_age": 50}) == 3
