"""The compliance demo seed leaves a verified ledger for the console to show."""

import pytest
from django.urls import reverse

from governance.audit import Action, audit_append
from governance.compliance.demo import seed_compliance

pytestmark = pytest.mark.django_db


def test_seeding_verifies_the_ledger_and_the_console_shows_it(personas, client_for):
    audit_append(actor=personas.steward, action=Action.SUBJECT_READ, object_type="subject")
    run = seed_compliance(officer=personas.compliance)
    assert run.ok and run.tree_size >= 1 and run.requested_by == personas.compliance
    html = client_for(personas.compliance).get(reverse("compliance:home")).content.decode()
    assert "Intact" in html and f"over {run.tree_size} events" in html
