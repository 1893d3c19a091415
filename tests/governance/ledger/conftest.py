"""Helpers for the ledger tests: filling the ledger and lifting its triggers to tamper."""

from __future__ import annotations

import pytest

from governance.audit import Action, Outcome, audit_append
from governance.ledger import triggers


def fill(count: int, *, start: int = 0) -> None:
    """Append ``count`` varied events, as the platform would."""
    actions = [Action.CONSENT_GRANT, Action.GATE_DECISION, Action.GENOMIC_READ, Action.EXPORT_START]
    outcomes = [Outcome.ALLOWED, Outcome.DENIED, Outcome.ALLOWED, Outcome.FAILED]
    for i in range(start, start + count):
        audit_append(
            actor="system",
            action=actions[i % 4],
            object_type="subject",
            object_id=f"OBJ{i}",
            subject_code=f"HX-{i % 7:010d}",
            purpose=f"PRJ-{i % 3}",
            outcome=outcomes[i % 4],
            extra={"n": i, "codes": ["DUO:0000042", f"k{i % 5}"], "ok": i % 2 == 0, "note": "é ✓"},
        )


@pytest.fixture
def ledger(db):
    return fill


@pytest.fixture
def unlocked():
    """``with unlocked(): ...`` runs raw tampering with the append-only triggers lifted."""
    return triggers.suspended


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    """Personas need passwords, not slow ones: these tests are about the ledger."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
