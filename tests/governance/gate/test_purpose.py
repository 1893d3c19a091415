from datetime import date

import pytest

from consent import duo
from governance.errors import ValidationFailed
from governance.gate.purpose import Purpose


def test_the_issue_example_parses_and_round_trips():
    data = {
        "category": "DUO:0000007",
        "diseases": ["MONDO:0005015"],
        "methods_development": False,
        "genetic_study": True,
        "commercial": False,
        "not_for_profit": True,
        "country": "ES",
        "institution": "",
        "user": "",
        "project": "",
        "ethics_approval": True,
        "collaboration": False,
        "publication": True,
        "return_results": False,
        "date": "2026-11-22",
    }
    purpose = Purpose.from_dict(data)
    assert purpose.category == duo.DS and purpose.diseases == ("MONDO:0005015",)
    assert purpose.genetic_study and purpose.not_for_profit and purpose.date == date(2026, 11, 22)
    assert Purpose.from_dict(purpose.to_dict()) == purpose


def test_omitted_keys_mean_false_or_empty():
    purpose = Purpose.from_dict({"category": "GRU"})
    assert purpose == Purpose(category=duo.GRU)


@pytest.mark.parametrize(
    "data, message",
    [
        ({}, "purpose.category: required"),
        (
            {"category": "DUO:0000045"},
            "purpose.category: DUO:0000045 (NPU) is not a purpose category",
        ),
        (
            {"category": "DS"},
            "purpose.diseases: disease-specific research (DS) needs at least one disease term",
        ),
        (
            {"category": "DS", "diseases": ["MONDO:123"]},
            "purpose.diseases[0]: 'MONDO:123' is not a disease CURIE",
        ),
        (
            {"category": "HMB", "diseases": ["MONDO:0005015"]},
            "purpose.diseases: only a disease-specific (DS) or clinical care (CC) purpose names diseases",
        ),
        ({"category": "HMB", "commercial": "yes"}, "purpose.commercial: expected true or false"),
        (
            {"category": "HMB", "commercial": True, "not_for_profit": True},
            "purpose.not_for_profit: a commercial purpose",
        ),
        (
            {"category": "HMB", "country": "Spain"},
            "purpose.country: expected an ISO 3166-1 alpha-2 country code",
        ),
        ({"category": "HMB", "date": "22/11/2026"}, "purpose.date: expected a date as YYYY-MM-DD"),
        ({"category": "HMB", "user": 7}, "purpose.user: expected a name"),
        ({"category": "HMB", "budget": 1}, "purpose.budget: unknown field"),
    ],
)
def test_invalid_purposes_are_refused_naming_the_field(data, message):
    with pytest.raises(ValidationFailed) as caught:
        Purpose.from_dict(data)
    assert caught.value.message.startswith(message), caught.value.message


def test_icd10_and_doid_disease_terms_are_accepted():
    purpose = Purpose.from_dict(
        {"category": "DS", "diseases": ["ICD10:C50.9", "DOID:1612", "ICD10:C00-C97"]}
    )
    assert purpose.diseases == ("ICD10:C50.9", "DOID:1612", "ICD10:C00-C97")
