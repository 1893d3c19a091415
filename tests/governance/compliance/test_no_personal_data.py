"""No personal data in any ledger event: every flow runs on canary identities, then the
whole ledger (every field, every extra) is searched for them."""

from __future__ import annotations

import json
from datetime import date

import pytest
from django.urls import reverse

from governance.ledger.models import AuditEvent
from tests.governance.compliance.test_audit_coverage import PRESENT, World
from tests.governance.exports.conftest import make_cohort  # noqa: F401 - fixture

pytestmark = pytest.mark.django_db

CANARY_NAMES = ["Zebulon Quillfeather", "Ottoline Marchbanks", "Perpetua Wyndcliffe", "Barnaby Thistlewood",
                "Clementine Oakhurst"]
CANARY_EMAILS = [f"canary.{i}.quillfeather@example.org" for i in range(5)]
CANARY_MRNS = [f"MRN8{i}7734{i}91" for i in range(5)]
CANARY_POSTCODES = ["ZE2 9QF", "ZE2 9QG", "ZE2 9QH", "ZE2 9QJ", "ZE2 9QK"]
# The personas' subjects and the identities the coverage runners type in themselves.
OTHER_IDENTIFIERS = ["Patient One", "Patient Two", "Coverage Person", "coverage@example.org", "MRN7700001",
                     "Link Person", "link@example.org", "MRN7700002", "CB2 1TN"]
CANARIES = CANARY_NAMES + CANARY_EMAILS + CANARY_MRNS + CANARY_POSTCODES + OTHER_IDENTIFIERS


def _canary_identity(i: int) -> dict:
    return {
        "name": CANARY_NAMES[i], "email": CANARY_EMAILS[i], "mrn": CANARY_MRNS[i],
        "birth_date": date(1961 + i % 5, 1 + i % 12, 1 + i % 28), "postcode": CANARY_POSTCODES[i],
    }  # fmt: skip


def _ledger_text() -> str:
    parts = []
    for event in AuditEvent.objects.order_by("seq"):
        fields = {f.name: getattr(event, f.name) for f in AuditEvent._meta.concrete_fields}
        parts.append(json.dumps(fields, default=str, ensure_ascii=False))
    return "\n".join(parts).lower()


def _leaks() -> list[str]:
    text = _ledger_text()
    found = [canary for canary in CANARIES if canary.lower() in text]
    found += [mrn for mrn in CANARY_MRNS if mrn[3:] in text]  # the number without its prefix
    return found


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def canary_world(personas, make_cohort, client_for):  # noqa: F811 - the imported fixture
    def cohort_factory(n):
        return make_cohort(n=n, identity=_canary_identity)

    return World(personas, cohort_factory, client_for)


def test_the_search_finds_a_canary_when_one_is_planted(canary_world):
    from governance.audit import Action, audit_append

    audit_append(actor="system", action=Action.SUBJECT_READ, object_type="subject",
                 extra={"note": CANARY_EMAILS[0]})
    assert _leaks() == [CANARY_EMAILS[0]]


@pytest.mark.parametrize("row", PRESENT, ids=[row.name for row in PRESENT])
def test_no_flow_writes_a_name_email_mrn_or_postcode_to_the_ledger(canary_world, row):
    assert canary_world.cohort.subjects  # every flow runs beside the canary cohort
    row.runner(canary_world, lambda: None)
    assert AuditEvent.objects.exists()
    assert _leaks() == [], row.name


def test_a_console_search_for_a_name_does_not_put_the_name_in_the_ledger(canary_world):
    client = canary_world.client_for(canary_world.personas.compliance)
    for params in ({"actor": CANARY_NAMES[0]}, {"actor": CANARY_EMAILS[1], "since": "2026-01-01"}):
        assert client.get(reverse("compliance:events"), params).status_code == 200
        b"".join(client.get(reverse("compliance:events_csv"), params).streaming_content)
    assert client.get(reverse("compliance:events"), {"subject_code": CANARY_NAMES[2]}).status_code == 400
    assert _leaks() == []
