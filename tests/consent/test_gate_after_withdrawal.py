"""The gate sees a withdrawal from the very next instant."""

from __future__ import annotations

from datetime import timedelta

import pytest

from consent import services
from governance.gate import Purpose, decide

from .conftest import T0

pytestmark = pytest.mark.django_db


def test_a_gate_question_at_the_next_instant_after_withdrawal_is_denied(personas, ds_breast_cancer):
    subject = personas.patient_subject
    services.consent_grant(
        actor=personas.patient, subject=subject, data_use={"permission": "DUO:0000042"},
        categories=["genomic"], via="portal", now=T0,
    )  # fmt: skip
    purpose = Purpose.from_dict({"category": "DUO:0000006"})
    before = decide(
        subject=subject,
        purpose=purpose,
        purpose_id="test:1",
        category="genomic",
        at=T0 + timedelta(hours=1),
    )
    assert before.allowed
    withdrawn_at = T0 + timedelta(hours=2)
    withdrawal = services.consent_withdraw(
        actor=personas.patient, subject=subject, via="portal", now=withdrawn_at
    )
    just_before = decide(
        subject=subject, purpose=purpose, purpose_id="test:1", category="genomic",
        at=withdrawn_at - timedelta(microseconds=1),
    )  # fmt: skip
    after = decide(
        subject=subject, purpose=purpose, purpose_id="test:1", category="genomic",
        at=withdrawn_at + timedelta(microseconds=1),
    )  # fmt: skip
    assert just_before.allowed
    assert not after.allowed
    assert after.consent_version_id == withdrawal.pk


def test_the_gate_denies_a_category_the_consent_does_not_cover(personas):
    services.consent_grant(
        actor=personas.patient, subject=personas.patient_subject, data_use={"permission": "DUO:0000042"},
        categories=["clinical"], via="portal", now=T0,
    )  # fmt: skip
    purpose = Purpose.from_dict({"category": "DUO:0000042"})
    decision = decide(
        subject=personas.patient_subject,
        purpose=purpose,
        purpose_id="t",
        category="genomic",
        at=T0 + timedelta(days=1),
    )
    assert not decision.allowed
