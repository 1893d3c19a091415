"""Demo consents for seeded subjects (called by the ``seed_demo`` command).

``seed_consents`` gives each subject without consent a grant dated in the past year,
through the ordinary consent services (``via="seed"``, so every version is validated,
audited and receipted), then amends some and withdraws some later. The scheme:

* permission by weight (``scopes``, default GRU 35 %, HMB 30 %, DS 30 %, no consent 5 %);
  DS names one of the subject's own MONDO diagnoses when it has one, else a cohort
  disease from the shipped label table;
* modifiers: NPU on about a quarter, IRB on about a fifth, PUB on about a tenth;
* categories: genomic and clinical, plus demographic for about half;
* about 10 % amended later (widened to HMB, or a second disease added to DS);
* about 8 % withdrawn later, always before ``now``.

Deterministic for a given ``rng`` seed. Subjects that already have a consent are left
alone, so running the seed twice adds nothing.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta

from consent import duo, services
from consent.models import ConsentRecord, RecordedVia, Subject
from consent.plain_language import _shipped_disease_labels

DEFAULT_SCOPES: Mapping[str, float] = {"GRU": 0.35, "HMB": 0.30, "DS": 0.30, "none": 0.05}
AMEND_SHARE = 0.10
WITHDRAW_SHARE = 0.08
_PERMISSION = {"GRU": duo.GRU, "HMB": duo.HMB, "DS": duo.DS, "NRES": duo.NRES, "POA": duo.POA}


def _cohort_diseases() -> list[str]:
    return sorted(c for c in _shipped_disease_labels() if c != "MONDO:0000001")


def _ds_disease(subject: Subject, rng: random.Random) -> str:
    own = sorted(
        t for t in subject.diagnoses.values_list("term", flat=True) if t.startswith("MONDO:")
    )
    return rng.choice(own) if own else rng.choice(_cohort_diseases())


def _terms(scope: str, subject: Subject, rng: random.Random) -> dict:
    terms: dict = {"permission": _PERMISSION[scope], "modifiers": []}
    if scope == "DS":
        terms["diseases"] = [_ds_disease(subject, rng)]
    for modifier, share in ((duo.NPU, 0.25), (duo.IRB, 0.20), (duo.PUB, 0.10)):
        if rng.random() < share:
            terms["modifiers"].append(modifier)
    return terms


def seed_consents(
    subjects: Iterable[Subject],
    *,
    rng: random.Random,
    now: datetime,
    scopes: Mapping[str, float] | None = None,
    actor="seed",
) -> list[ConsentRecord]:
    """Grant (and sometimes amend or withdraw) demo consents; returns every version made.

    ``scopes`` maps ``GRU``/``HMB``/``DS``/``NRES``/``POA``/``none`` to weights.
    """
    scopes = dict(scopes or DEFAULT_SCOPES)
    unknown = set(scopes) - {*_PERMISSION, "none"}
    if unknown:
        raise ValueError(f"scopes: unknown scheme {sorted(unknown)[0]!r}")
    names, weights = list(scopes), list(scopes.values())
    made: list[ConsentRecord] = []
    for subject in subjects:
        scope = rng.choices(names, weights)[0]
        if scope == "none" or subject.current_consent_id is not None:
            continue
        granted_at = now - timedelta(days=rng.randint(60, 365), minutes=rng.randint(0, 1439))
        categories = ["genomic", "clinical"] + (["demographic"] if rng.random() < 0.5 else [])
        terms = _terms(scope, subject, rng)
        made.append(
            services.consent_grant(
                actor=actor,
                subject=subject,
                data_use=terms,
                categories=categories,
                via=RecordedVia.SEED,
                now=granted_at,
            )  # fmt: skip
        )
        later = granted_at + timedelta(days=rng.randint(1, 50))
        if rng.random() < AMEND_SHARE:
            if scope == "DS":
                extra = [d for d in _cohort_diseases() if d not in terms["diseases"]]
                terms = {**terms, "diseases": [*terms["diseases"], rng.choice(extra)]}
            else:
                terms = {**terms, "permission": duo.HMB if scope != "HMB" else duo.GRU}
            made.append(
                services.consent_amend(
                    actor=actor,
                    subject=subject,
                    data_use=terms,
                    categories=categories,
                    via=RecordedVia.SEED,
                    now=later,
                )  # fmt: skip
            )
            later += timedelta(days=rng.randint(1, 5))
        if rng.random() < WITHDRAW_SHARE:
            made.append(
                services.consent_withdraw(
                    actor=actor, subject=subject, via=RecordedVia.SEED, now=later
                )
            )
    return made
