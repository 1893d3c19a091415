"""The current version's gate terms on the subject row follow the pointer, whatever moves it."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.db import connection

from consent import duo, services
from consent.current_terms import ACTIVE, CATEGORY_BITS, TERM_BITS, term_mask
from consent.duo import DataUse
from consent.models import Subject
from governance.gate.matcher import ts_end
from tests.governance.gate.factories import add_consent

from .conftest import T0

pytestmark = pytest.mark.django_db

DATA_USES = [
    {"permission": "NRES"},
    {"permission": "GRU", "modifiers": ["NPU", "IRB", "PUB", "COL", "RTN", "NMDS", "GSO"]},
    {"permission": "HMB", "modifiers": ["NCU", "NPUNCU", "CC", "NPOA"]},
    {"permission": "POA", "modifiers": ["GS"], "countries": ["ES", "PT"]},
    {"permission": "DS", "diseases": ["MONDO:0007254"], "modifiers": ["TS"], "months": 6},
    {"permission": "GRU", "modifiers": ["TS"], "months": 1, "start": "2026-01-31"},
    {"permission": "GRU", "modifiers": ["MOR"], "moratorium": "2026-09-01"},
    {
        "permission": "GRU",
        "modifiers": ["US", "PS", "IS", "RS"],
        "users": ["alice"],
        "projects": ["P1"],
        "institutions": ["UCL"],
        "restriction_text": "Cardiac only.",
    },
]


def _terms(subject) -> tuple:
    row = Subject.objects.filter(pk=subject.pk).values_list(
        "current_terms", "current_valid_from", "current_valid_until",
        "current_use_ends", "current_moratorium", "current_countries",
        "current_users", "current_projects", "current_institutions",
    )  # fmt: skip
    return row.get()


@pytest.mark.parametrize("data_use", DATA_USES)
def test_the_subject_row_holds_the_current_versions_terms(make_subject, data_use):
    subject = make_subject()
    record = add_consent(
        subject, data_use, categories=("genomic", "demographic"), recorded_at=T0,
        valid_until=T0 + timedelta(days=400),
    )  # fmt: skip
    use = DataUse.from_dict(data_use)
    expected = (
        ACTIVE
        | CATEGORY_BITS["genomic"]
        | CATEGORY_BITS["demographic"]
        | term_mask([use.permission, *use.modifiers])
    )
    assert _terms(subject) == (
        expected,
        record.valid_from,
        record.valid_until,
        ts_end(use, record.valid_from.date()),
        use.moratorium,
        list(use.countries),
        list(use.users),
        list(use.projects),
        list(use.institutions),
    )


def test_the_terms_follow_grant_amend_and_withdrawal(personas):
    subject = personas.patient_subject
    assert _terms(subject) == (0, *[None] * 8)
    services.consent_grant(
        actor=personas.patient, subject=subject, data_use={"permission": "DUO:0000042"},
        categories=["genomic"], via="portal", now=T0,
    )  # fmt: skip
    assert _terms(subject)[0] == ACTIVE | CATEGORY_BITS["genomic"] | TERM_BITS[duo.GRU]
    services.consent_amend(
        actor=personas.patient, subject=subject,
        data_use={"permission": "DUO:0000006", "modifiers": ["DUO:0000025"], "months": 12},
        categories=["clinical"], via="portal", now=T0 + timedelta(days=1),
    )  # fmt: skip
    terms, valid_from, _, use_ends, *_ = _terms(subject)
    assert terms == ACTIVE | CATEGORY_BITS["clinical"] | term_mask([duo.HMB, duo.TS])
    assert valid_from == T0 + timedelta(days=1)
    assert use_ends == date(2027, 1, 2)
    services.consent_withdraw(
        actor=personas.patient, subject=subject, via="portal", now=T0 + timedelta(days=2)
    )
    assert _terms(subject)[0] == CATEGORY_BITS["clinical"] | term_mask([duo.HMB, duo.TS])


def test_saving_a_stale_subject_does_not_restore_old_terms(make_subject):
    subject = make_subject()
    add_consent(subject, {"permission": "GRU"}, recorded_at=T0)
    stale = Subject.objects.get(pk=subject.pk)
    add_consent(subject, {"permission": "DS", "diseases": ["MONDO:0007254"]}, recorded_at=T0)
    stale.current_consent_id = subject.current_consent_id
    stale.postcode = "N1"
    stale.save()
    terms = _terms(subject)[0]
    assert terms & TERM_BITS[duo.DS] and not terms & TERM_BITS[duo.GRU]


def test_a_subject_without_consent_has_no_terms(make_subject):
    subject = make_subject()
    add_consent(subject, {"permission": "GRU"}, recorded_at=T0)
    Subject.objects.filter(pk=subject.pk).update(current_consent=None)
    assert _terms(subject) == (0, *[None] * 8)


def test_the_current_terms_triggers_and_the_sqlite_gate_index_are_installed():
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                "SELECT name FROM sqlite_master WHERE tbl_name = 'consent_subject' "
                "AND (type = 'trigger' OR name = 'consent_subject_gate_idx')"
            )
            expected = {
                "consent_subject_current_terms_insert",
                "consent_subject_current_terms_update",
                "consent_subject_gate_idx",
            }
        else:
            cursor.execute(
                "SELECT tgname FROM pg_trigger WHERE tgrelid = 'consent_subject'::regclass "
                "AND NOT tgisinternal"
            )
            expected = {"consent_subject_current_terms"}
        assert {row[0] for row in cursor.fetchall()} == expected
