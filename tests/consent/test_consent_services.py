"""Consent versions: every transition, append-only history, the consent in force."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.db.utils import DatabaseError

from consent import services
from consent.exceptions import ConsentClockSkew, ConsentTransitionInvalid
from consent.models import ConsentDisease, ConsentRecord
from consent.receipts import receipt_verify
from consent.selectors import consent_in_force, consent_version_at
from consent.texts import consent_text
from governance.errors import PermissionDenied, ValidationFailed
from governance.ledger.models import AuditEvent

from .conftest import BREAST_CANCER, T0

pytestmark = pytest.mark.django_db


def grant(personas, data_use, *, now=T0, categories=("genomic", "clinical")):
    return services.consent_grant(
        actor=personas.patient, subject=personas.patient_subject, data_use=data_use,
        categories=categories, via="portal", now=now,
    )  # fmt: skip


def test_granting_creates_version_one_and_points_the_subject_at_it(personas, ds_breast_cancer):
    record = grant(personas, ds_breast_cancer)
    personas.patient_subject.refresh_from_db()
    assert record.version == 1
    assert record.event == "grant" and record.status == "active"
    assert personas.patient_subject.current_consent_id == record.pk
    assert record.permission == "DUO:0000007"
    assert record.modifiers == ",DUO:0000045,"
    assert record.categories == ["genomic", "clinical"]
    assert list(ConsentDisease.objects.filter(consent=record).values_list("term", flat=True)) == [
        BREAST_CANCER
    ]
    assert record.text_version == "v1"
    assert record.text_digest == consent_text("v1").sha256


def test_each_transition_writes_one_audit_event_with_codes_only(personas, ds_breast_cancer):
    before = AuditEvent.objects.count()
    grant(personas, ds_breast_cancer)
    services.consent_amend(
        actor=personas.patient, subject=personas.patient_subject, data_use={"permission": "DUO:0000006"},
        categories=["genomic"], via="portal", now=T0 + timedelta(days=1),
    )  # fmt: skip
    services.consent_withdraw(
        actor=personas.patient,
        subject=personas.patient_subject,
        via="portal",
        now=T0 + timedelta(days=2),
    )
    events = list(AuditEvent.objects.order_by("seq")[before:])
    assert [e.action for e in events] == ["consent.grant", "consent.amend", "consent.withdraw"]
    assert {e.subject_code for e in events} == {personas.patient_subject.code}
    assert events[0].extra["permission"] == "DUO:0000007"
    assert "Patient One" not in str([e.extra for e in events])


def test_amending_adds_a_version_and_never_changes_the_old_one(personas, ds_breast_cancer):
    first = grant(personas, ds_breast_cancer)
    snapshot = ConsentRecord.objects.filter(pk=first.pk).values().get()
    second = services.consent_amend(
        actor=personas.patient, subject=personas.patient_subject,
        data_use={"permission": "DUO:0000007", "diseases": [BREAST_CANCER, "MONDO:0005147"]},
        categories=["genomic"], via="portal", now=T0 + timedelta(days=3),
    )  # fmt: skip
    assert second.version == 2 and second.event == "amend"
    assert ConsentRecord.objects.filter(pk=first.pk).values().get() == snapshot
    assert sorted(second.disease_rows.values_list("term", flat=True)) == sorted(
        [BREAST_CANCER, "MONDO:0005147"]
    )


def test_withdrawal_keeps_the_terms_and_marks_the_version_withdrawn(personas, ds_breast_cancer):
    grant(personas, ds_breast_cancer)
    record = services.consent_withdraw(
        actor=personas.patient,
        subject=personas.patient_subject,
        via="portal",
        now=T0 + timedelta(hours=5),
    )
    assert record.version == 2 and record.event == "withdraw" and record.status == "withdrawn"
    assert record.permission == "DUO:0000007" and record.diseases == [BREAST_CANCER]


def test_consent_can_be_granted_again_after_withdrawal(personas, ds_breast_cancer):
    grant(personas, ds_breast_cancer)
    services.consent_withdraw(
        actor=personas.patient,
        subject=personas.patient_subject,
        via="portal",
        now=T0 + timedelta(days=1),
    )
    again = grant(personas, {"permission": "DUO:0000042"}, now=T0 + timedelta(days=2))
    assert (again.version, again.event, again.status) == (3, "grant", "active")


@pytest.mark.parametrize(
    "setup, event",
    [
        ([], "amend"),
        ([], "withdraw"),
        (["grant"], "grant"),
        (["grant", "withdraw"], "amend"),
        (["grant", "withdraw"], "withdraw"),
    ],
)
def test_transitions_that_do_not_follow_are_refused_and_write_nothing(
    personas, ds_breast_cancer, setup, event
):
    now = T0
    for step in setup:
        if step == "grant":
            grant(personas, ds_breast_cancer, now=now)
        else:
            services.consent_withdraw(
                actor=personas.patient, subject=personas.patient_subject, via="portal", now=now
            )
        now += timedelta(hours=1)
    count = ConsentRecord.objects.count()
    events = AuditEvent.objects.count()
    with pytest.raises(ConsentTransitionInvalid):
        if event == "withdraw":
            services.consent_withdraw(
                actor=personas.patient, subject=personas.patient_subject, via="portal", now=now
            )
        else:
            getattr(services, f"consent_{event}")(
                actor=personas.patient, subject=personas.patient_subject, data_use=ds_breast_cancer,
                categories=["genomic"], via="portal", now=now,
            )  # fmt: skip
    assert ConsentRecord.objects.count() == count
    assert AuditEvent.objects.count() == events


@pytest.mark.parametrize(
    "data_use, categories, field",
    [
        ({"permission": "DUO:0000007"}, ["genomic"], "diseases"),
        ({"permission": "DUO:0000001"}, ["genomic"], "permission"),
        ({"permission": "DUO:0000005"}, ["genomic"], "permission"),  # obsolete GRU-CC
        ({"permission": "DUO:0000042", "modifiers": ["DUO:0000022"]}, ["genomic"], "countries"),
        ({"permission": "DUO:0000042"}, [], "categories"),
        ({"permission": "DUO:0000042"}, ["genetic"], "categories"),
    ],
)
def test_bad_terms_are_refused_naming_the_field_and_nothing_is_stored(
    personas, data_use, categories, field
):
    with pytest.raises(ValidationFailed) as caught:
        grant(personas, data_use, categories=categories)
    assert field in caught.value.message
    assert not ConsentRecord.objects.exists()
    personas.patient_subject.refresh_from_db()
    assert personas.patient_subject.current_consent_id is None


def test_a_version_cannot_be_recorded_before_the_latest_one(personas, ds_breast_cancer):
    grant(personas, ds_breast_cancer)
    with pytest.raises(ConsentClockSkew):
        services.consent_withdraw(
            actor=personas.patient,
            subject=personas.patient_subject,
            via="portal",
            now=T0 - timedelta(seconds=1),
        )


def test_the_portal_route_is_only_for_the_patient_and_the_staff_route_only_for_stewards(
    personas, ds_breast_cancer
):
    with pytest.raises(PermissionDenied):
        services.consent_grant(
            actor=personas.other_patient, subject=personas.patient_subject, data_use=ds_breast_cancer,
            categories=["genomic"], via="portal", now=T0,
        )  # fmt: skip
    with pytest.raises(PermissionDenied):
        services.consent_grant(
            actor=personas.researcher, subject=personas.patient_subject, data_use=ds_breast_cancer,
            categories=["genomic"], via="staff", now=T0,
        )  # fmt: skip
    record = services.consent_grant(
        actor=personas.steward, subject=personas.patient_subject, data_use=ds_breast_cancer,
        categories=["genomic"], via="staff", now=T0,
    )  # fmt: skip
    assert record.recorded_by == personas.steward and record.recorded_via == "staff"


def test_consent_in_force_answers_before_between_and_after_versions(personas, ds_breast_cancer):
    subject = personas.patient_subject
    v1 = grant(personas, ds_breast_cancer, now=T0)
    v2 = services.consent_amend(
        actor=personas.patient, subject=subject, data_use={"permission": "DUO:0000006"},
        categories=["genomic"], via="portal", now=T0 + timedelta(days=10),
    )  # fmt: skip
    v3 = services.consent_withdraw(
        actor=personas.patient, subject=subject, via="portal", now=T0 + timedelta(days=20)
    )
    v4 = grant(personas, {"permission": "DUO:0000042"}, now=T0 + timedelta(days=30))
    assert consent_in_force(subject, T0 - timedelta(microseconds=1)) is None
    assert consent_in_force(subject, T0) == v1
    assert consent_in_force(subject, T0 + timedelta(days=5)) == v1
    assert consent_in_force(subject, T0 + timedelta(days=10)) == v2
    assert consent_in_force(subject, T0 + timedelta(days=20) - timedelta(microseconds=1)) == v2
    assert consent_in_force(subject, T0 + timedelta(days=20)) is None
    assert consent_version_at(subject, T0 + timedelta(days=25)) == v3
    assert consent_in_force(subject, T0 + timedelta(days=30)) == v4
    assert consent_in_force(subject, T0 + timedelta(days=400)) == v4


def test_consent_is_not_in_force_after_its_valid_until(personas, ds_breast_cancer):
    record = services.consent_grant(
        actor=personas.patient, subject=personas.patient_subject, data_use=ds_breast_cancer,
        categories=["genomic"], via="portal", valid_until=T0 + timedelta(days=30), now=T0,
    )  # fmt: skip
    assert consent_in_force(personas.patient_subject, T0 + timedelta(days=29)) == record
    assert consent_in_force(personas.patient_subject, T0 + timedelta(days=30)) is None


def test_every_version_carries_a_receipt_that_verifies(personas, ds_breast_cancer):
    record = grant(personas, ds_breast_cancer)
    withdrawn = services.consent_withdraw(
        actor=personas.patient,
        subject=personas.patient_subject,
        via="portal",
        now=T0 + timedelta(days=1),
    )
    claims = receipt_verify(record.receipt)
    assert claims["sub"] == personas.patient_subject.code
    assert claims["event"] == "grant" and claims["consent_version"] == 1
    assert claims["purposes"][0]["code"] == "DUO:0000007"
    assert claims["purposes"][0]["diseases"] == [BREAST_CANCER]
    assert claims["purposes"][1]["shorthand"] == "NPU"
    assert claims["data_categories"] == ["genomic", "clinical"]
    assert claims["consent_text"] == {"version": "v1", "sha256": consent_text("v1").sha256}
    later = receipt_verify(withdrawn.receipt)
    assert later["event"] == "withdraw" and later["status"] == "withdrawn"
    assert later["given_at"] == "2026-01-01T09:00:00Z"
    assert later["withdrawn_at"] == "2026-01-02T09:00:00Z"


def test_the_database_rejects_a_raw_update_or_delete_of_a_version(personas, ds_breast_cancer):
    record = grant(personas, ds_breast_cancer)
    for sql in (
        "UPDATE consent_consentrecord SET permission = 'DUO:0000042' WHERE id = %s",
        "DELETE FROM consent_consentrecord WHERE id = %s",
        "UPDATE consent_consentdisease SET term = 'MONDO:0000001' WHERE consent_id = %s",
        "DELETE FROM consent_consentdisease WHERE consent_id = %s",
    ):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql, [record.pk])
    record.refresh_from_db()
    assert record.permission == "DUO:0000007"
    assert record.disease_rows.count() == 1


def test_the_orm_cannot_edit_a_version_either(personas, ds_breast_cancer):
    record = grant(personas, ds_breast_cancer)
    record.permission = "DUO:0000042"
    with pytest.raises(DatabaseError), transaction.atomic():
        record.save(update_fields=["permission"])
    with pytest.raises(DatabaseError), transaction.atomic():
        ConsentRecord.objects.filter(pk=record.pk).update(status="withdrawn")


def test_the_append_only_triggers_are_installed():
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name IN "
                "('consent_consentrecord', 'consent_consentdisease')"
            )
            names = {row[0] for row in cursor.fetchall()}
        assert names == {
            "consent_consentrecord_no_update", "consent_consentrecord_no_delete",
            "consent_consentdisease_no_update", "consent_consentdisease_no_delete",
        }  # fmt: skip
    else:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT tgname FROM pg_trigger WHERE tgname LIKE 'consent_%%_append_only'"
            )
            names = {row[0] for row in cursor.fetchall()}
        assert names == {"consent_consentrecord_append_only", "consent_consentdisease_append_only"}
