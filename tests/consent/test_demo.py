"""Demo consents: a deterministic mix of GRU, HMB and DS, some amended or withdrawn."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from consent import duo
from consent.demo import seed_consents
from consent.models import ConsentRecord

from .conftest import T0

pytestmark = pytest.mark.django_db


def test_seeded_consents_mix_scopes_and_are_repeatable(make_subject):
    subjects = [make_subject(name=f"Demo {i}") for i in range(60)]
    made = seed_consents(subjects, rng=random.Random(7), now=T0)
    grants = [r for r in made if r.event == "grant"]
    assert Counter(r.permission for r in grants).keys() <= {duo.GRU, duo.HMB, duo.DS}
    assert {duo.GRU, duo.HMB, duo.DS} <= set(r.permission for r in grants)
    assert all(r.diseases for r in grants if r.permission == duo.DS)
    assert any(r.event == "withdraw" for r in made)
    assert all(r.recorded_at < T0 and r.recorded_via == "seed" for r in made)
    for subject in subjects:
        subject.refresh_from_db()
    assert seed_consents(subjects, rng=random.Random(7), now=T0) == []
    assert ConsentRecord.objects.count() == len(made)


def test_unknown_scopes_are_refused(make_subject):
    with pytest.raises(ValueError, match="scopes"):
        seed_consents([make_subject()], rng=random.Random(1), now=T0, scopes={"XYZ": 1.0})
