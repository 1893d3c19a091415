"""Subjects: encrypted identifiers, blind-index lookup, audited reads, user links."""

from __future__ import annotations

from datetime import date

import pytest

from consent import services
from consent.exceptions import SubjectIdentifierTaken
from consent.models import Subject
from consent.selectors import (
    subject_get_by_email,
    subject_get_by_mrn,
    subject_get_for_user,
    subject_identifiers,
)
from governance.errors import NotFound, ValidationFailed
from governance.ledger.models import AuditEvent

pytestmark = pytest.mark.django_db

CANARY = {"name": "Zebedee Canaryname", "email": "zebedee.canary@example.org", "mrn": "CANARY-991"}


def create(personas, **over):
    fields = dict(
        actor=personas.steward, birth_date=date(1980, 2, 3), sex="female", postcode="cb2 1tn",
        ethnic_background="British", diagnoses=["ICD10:E10", "MONDO:0007254"], **CANARY,
    )  # fmt: skip
    fields.update(over)
    return services.subject_create(**fields)


def test_a_subject_gets_a_random_code_and_stores_identifiers_only_encrypted(personas):
    subject = create(personas)
    row = Subject.objects.filter(pk=subject.pk).values().get()
    assert subject.code.startswith("HX-") and len(subject.code) == 13
    assert CANARY["mrn"] not in subject.code
    stored = repr(row)
    for value in CANARY.values():
        assert value not in stored and value.lower() not in stored
    assert row["postcode"] == "CB2 1TN"
    assert sorted(subject.diagnoses.values_list("term", flat=True)) == [
        "ICD10:E10",
        "MONDO:0007254",
    ]


def test_lookup_by_mrn_or_email_goes_through_the_blind_index(personas):
    subject = create(personas)
    assert subject_get_by_mrn("canary-991") == subject
    assert subject_get_by_email("  Zebedee.Canary@EXAMPLE.org ") == subject
    with pytest.raises(NotFound):
        subject_get_by_mrn("CANARY-992")


def test_decrypting_identifiers_is_an_audited_read_without_the_values_in_the_ledger(personas):
    subject = create(personas)
    values = subject_identifiers(subject, actor=personas.steward, purpose="test")
    assert values == {"name": CANARY["name"], "email": CANARY["email"], "mrn": CANARY["mrn"]}
    event = AuditEvent.objects.filter(action="subject.read").get()
    assert event.subject_code == subject.code
    ledger = repr(list(AuditEvent.objects.values()))
    for value in CANARY.values():
        assert value not in ledger


def test_a_second_subject_with_the_same_mrn_or_email_is_refused(personas):
    create(personas)
    with pytest.raises(SubjectIdentifierTaken, match="mrn"):
        create(personas, email="other@example.org")
    with pytest.raises(SubjectIdentifierTaken, match="email"):
        create(personas, mrn="OTHER-1")


@pytest.mark.parametrize(
    "field, value",
    [
        ("email", "not-an-email"),
        ("mrn", ""),
        ("name", " "),
        ("sex", "x"),
        ("birth_date", date(2999, 1, 1)),
        ("diagnoses", ["E10"]),
        ("postcode", "<b>"),
    ],
)
def test_bad_subject_input_is_refused_naming_the_field(personas, field, value):
    with pytest.raises(ValidationFailed) as caught:
        create(personas, **{field: value})
    assert caught.value.message.startswith(field)
    assert (
        not Subject.objects.filter(email_index__isnull=False)
        .exclude(pk__in=[personas.patient_subject.pk, personas.other_subject.pk])
        .exists()
    )


def test_linking_a_user_needs_the_patient_role_and_one_subject_per_user(personas, make_user):
    subject = create(personas)
    with pytest.raises(ValidationFailed):
        services.subject_link_user(
            actor=personas.steward, subject=subject, user=personas.researcher
        )
    with pytest.raises(SubjectIdentifierTaken):
        services.subject_link_user(actor=personas.steward, subject=subject, user=personas.patient)
    fresh = make_user("fresh_patient", "patient")
    services.subject_link_user(actor=personas.steward, subject=subject, user=fresh)
    subject.refresh_from_db()
    assert subject.user == fresh
    assert subject_get_for_user(user=fresh, code=subject.code) == subject
    assert AuditEvent.objects.filter(action="subject.link_user", subject_code=subject.code).exists()


def test_the_access_function_gives_the_same_not_found_for_missing_and_forbidden(personas):
    with pytest.raises(NotFound) as missing:
        subject_get_for_user(user=personas.patient, code="HX-0000000000")
    with pytest.raises(NotFound) as forbidden:
        subject_get_for_user(user=personas.patient, code=personas.other_subject.code)
    assert missing.value.message == forbidden.value.message
    for persona in ("researcher", "outsider", "dac_member", "compliance"):
        with pytest.raises(NotFound):
            subject_get_for_user(
                user=getattr(personas, persona), code=personas.patient_subject.code
            )
    assert (
        subject_get_for_user(user=personas.steward, code=personas.patient_subject.code)
        == personas.patient_subject
    )
