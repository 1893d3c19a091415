"""Plain language: every DUO term and combination reads as sentences, never as codes."""

from __future__ import annotations

import itertools
import re
from datetime import date

import pytest
from django.template.loader import render_to_string

from consent import duo, services
from consent.plain_language import (
    MODIFIER_CHOICES,
    PERMISSION_CHOICES,
    data_use_sentences,
    disease_label,
    record_sentences,
)

from .conftest import BREAST_CANCER, T0

CODE_PATTERN = re.compile(r"DUO:|\b(?:MONDO|DOID|ICD10|ICD10CM|HP):\w+|\b[A-Z]{2,10}:\d{3,}")
_PARAMS = {
    duo.GS: {"countries": ["GB", "FR"]},
    duo.TS: {"months": 12, "start": "2026-02-01"},
    duo.MOR: {"moratorium": "2027-06-30"},
    duo.US: {"users": ["Dr Jane Doe"]},
    duo.PS: {"projects": ["Heart study"]},
    duo.IS: {"institutions": ["University of Cambridge"]},
    duo.RS: {"restriction_text": "No research on animals"},
}


def _use(permission, modifiers=()):
    terms = {"permission": permission, "modifiers": list(modifiers)}
    if permission == duo.DS:
        terms["diseases"] = [BREAST_CANCER]
    for modifier in modifiers:
        terms.update(_PARAMS.get(modifier, {}))
    return duo.DataUse.from_dict(terms)


def test_the_issue_example_reads_as_written():
    use = duo.DataUse.from_dict(
        {"permission": duo.DS, "diseases": [BREAST_CANCER], "modifiers": [duo.NPU]}
    )
    assert data_use_sentences(use) == [
        "Researchers may use your data only to study breast cancer, and only in not-for-profit organisations."
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("permission", duo.PERMISSIONS)
def test_every_permission_alone_and_with_each_modifier_has_no_code(permission):
    for modifier in (None, *duo.MODIFIERS):
        sentences = data_use_sentences(_use(permission, [modifier] if modifier else []))
        text = " ".join(sentences)
        assert sentences[0].startswith("Researchers may use your data")
        assert not CODE_PATTERN.search(text), text
        assert all(s.endswith((".", "”")) for s in sentences)


@pytest.mark.django_db
def test_every_modifier_changes_the_wording():
    base = " ".join(data_use_sentences(_use(duo.HMB)))
    for modifier in duo.MODIFIERS:
        assert " ".join(data_use_sentences(_use(duo.HMB, [modifier]))) != base, modifier


@pytest.mark.django_db
def test_combinations_render_without_codes():
    for modifiers in itertools.combinations(duo.MODIFIERS, 3):
        text = " ".join(data_use_sentences(_use(duo.DS, modifiers)))
        assert not CODE_PATTERN.search(text), text
    everything = " ".join(data_use_sentences(_use(duo.GRU, duo.MODIFIERS)))
    assert "Britain (UK) and France" in everything
    assert "30 June 2027" in everything


@pytest.mark.django_db
def test_every_term_is_offered_to_the_patient_by_name():
    assert {code for code, _ in PERMISSION_CHOICES} == set(duo.PERMISSIONS)
    assert {code for code, _ in MODIFIER_CHOICES} == set(duo.MODIFIERS)
    assert not any(CODE_PATTERN.search(label) for _, label in PERMISSION_CHOICES + MODIFIER_CHOICES)


@pytest.mark.django_db
def test_diseases_are_named_by_label_with_a_fallback_that_is_never_a_code():
    assert disease_label(BREAST_CANCER) == "breast cancer"
    assert disease_label("ICD10:E10") == "type 1 diabetes mellitus"
    assert disease_label("MONDO:9999999") == "a disease named in your consent record"


@pytest.mark.django_db
def test_the_gates_ontology_table_names_diseases_when_loaded():
    from governance.gate.models import OntologyTerm

    OntologyTerm.objects.create(
        curie="MONDO:0000707", vocabulary="MONDO", label="rare example disease"
    )
    assert disease_label("MONDO:0000707") == "rare example disease"


@pytest.mark.django_db
def test_the_portal_pages_for_a_rich_consent_show_no_code(personas, client_for):
    terms = {
        "permission": duo.DS, "diseases": [BREAST_CANCER, "ICD10:E10", "MONDO:9999999"],
        "modifiers": list(duo.MODIFIERS), **{k: v for p in _PARAMS.values() for k, v in p.items()},
    }  # fmt: skip
    services.consent_grant(
        actor=personas.patient, subject=personas.patient_subject, data_use=terms,
        categories=["genomic", "clinical", "demographic"], via="portal", now=T0,
    )  # fmt: skip
    client = client_for(personas.patient)
    for url in ("/portal/", "/portal/history/", "/portal/consent/"):
        html = client.get(url).content.decode()
        body = html.split("<main", 1)[1]
        assert not CODE_PATTERN.search(body), (url, CODE_PATTERN.search(body))
        assert "breast cancer" in body


@pytest.mark.django_db
def test_a_withdrawn_version_says_so_first(personas):
    services.consent_grant(
        actor=personas.patient, subject=personas.patient_subject, data_use={"permission": duo.HMB},
        categories=["genomic"], via="portal", now=T0,
    )  # fmt: skip
    record = services.consent_withdraw(
        actor=personas.patient, subject=personas.patient_subject, via="portal"
    )
    assert record_sentences(record)[0].startswith("You withdrew your consent on")


def test_templates_render_sentences_escaped():
    html = render_to_string(
        "consent/text.html",
        {"text": type("T", (), {"title": "<b>x</b>", "body": "", "version": "v1", "sha256": ""})()},
    )
    assert "<b>x</b>" not in html
    assert date(2026, 1, 1)
