from datetime import date

import pytest

from consent import duo
from consent.duo import DataUse
from governance.errors import ValidationFailed


def test_the_shipped_release_has_the_25_live_permission_and_modifier_terms():
    terms = duo.terms()
    live = {t.id for t in terms.values() if not t.obsolete and t.shorthand}
    assert live == set(duo.PERMISSIONS) | set(duo.MODIFIERS) | {"DUO:0000043"}
    assert len(live) == 23
    assert terms[duo.DS].parents == (duo.HMB,)
    assert terms[duo.HMB].parents == (duo.GRU,)
    assert terms[duo.NPU].parents == (duo.NPUNCU,)
    assert terms[duo.DS].shorthand == "DS" and terms[duo.DS].label == "disease specific research"
    assert "related to the specified disease" in terms[duo.DS].description


def test_the_npoa_iri_typo_is_normalised():
    assert duo.terms()[duo.NPOA].shorthand == "NPOA"
    assert "DUO:00000044" not in duo.terms()


def test_obsolete_terms_are_flagged():
    terms = duo.terms()
    assert terms["DUO:0000005"].obsolete and terms["DUO:0000005"].shorthand == "GRU-CC"
    assert terms["DUO:0000014"].obsolete
    assert not terms[duo.GRU].obsolete


def test_a_full_data_use_round_trips_through_its_dict():
    data = {
        "permission": "DUO:0000007",
        "diseases": ["MONDO:0007254"],
        "modifiers": [
            "DUO:0000045",
            "DUO:0000022",
            "DUO:0000025",
            "DUO:0000024",
            "DUO:0000026",
            "DUO:0000012",
        ],
        "countries": ["ES"],
        "months": 24,
        "start": "2026-01-01",
        "moratorium": "2027-01-01",
        "users": ["alice@example.org"],
        "restriction_text": "Only cardiovascular outcomes.",
    }
    use = DataUse.from_dict(data)
    assert use.start == date(2026, 1, 1) and use.months == 24
    assert use.to_dict() == data
    assert DataUse.from_dict(use.to_dict()) == use


def test_shorthands_are_accepted_and_stored_as_curies():
    use = DataUse.from_dict({"permission": "HMB", "modifiers": ["IRB", "NCU"]})
    assert use.permission == duo.HMB and use.modifiers == (duo.IRB, duo.NCU)


@pytest.mark.parametrize(
    "data, message",
    [
        (
            {"permission": "DUO:0000007"},
            "data_use.diseases: disease-specific research (DS) needs at least one disease term",
        ),
        (
            {"permission": "DUO:0000042", "modifiers": ["DUO:0000045", "DUO:0000005"]},
            "data_use.modifiers[1]: DUO:0000005 is obsolete (GRU-CC)",
        ),
        ({"permission": "DUO:0000099"}, "data_use.permission: DUO:0000099 is not a DUO term"),
        (
            {"permission": "DUO:0000045"},
            "data_use.permission: DUO:0000045 (NPU) is not a permission",
        ),
        (
            {"permission": "GRU", "modifiers": ["DUO:0000042"]},
            "data_use.modifiers[0]: DUO:0000042 (GRU) is not a data use modifier",
        ),
        (
            {"permission": "GRU", "modifiers": ["GS"]},
            "data_use.countries: GS (DUO:0000022) needs at least one country",
        ),
        (
            {"permission": "GRU", "modifiers": ["GS"], "countries": ["XX"]},
            "data_use.countries[0]: XX is not an ISO 3166-1 alpha-2 country code",
        ),
        (
            {"permission": "GRU", "modifiers": ["TS"], "months": 0},
            "data_use.months: expected a whole number of months",
        ),
        (
            {"permission": "GRU", "modifiers": ["TS"]},
            "data_use.months: TS (DUO:0000025) needs a number of months",
        ),
        (
            {"permission": "GRU", "modifiers": ["MOR"]},
            "data_use.moratorium: MOR (DUO:0000024) needs a date",
        ),
        (
            {"permission": "GRU", "modifiers": ["MOR"], "moratorium": "next year"},
            "data_use.moratorium: expected a date",
        ),
        (
            {"permission": "GRU", "modifiers": ["US"]},
            "data_use.users: US (DUO:0000026) needs at least one user",
        ),
        (
            {"permission": "GRU", "modifiers": ["PS"]},
            "data_use.projects: PS (DUO:0000027) needs at least one project",
        ),
        (
            {"permission": "GRU", "modifiers": ["IS"]},
            "data_use.institutions: IS (DUO:0000028) needs at least one institution",
        ),
        (
            {"permission": "GRU", "modifiers": ["RS"]},
            "data_use.restriction_text: RS (DUO:0000012) needs the restriction's text",
        ),
        (
            {"permission": "GRU", "countries": ["ES"]},
            "data_use.countries: given without the GS modifier",
        ),
        (
            {"permission": "GRU", "diseases": ["MONDO:0007254"]},
            "data_use.diseases: only a disease-specific (DS) permission names diseases",
        ),
        (
            {"permission": "DS", "diseases": ["breast cancer"]},
            "data_use.diseases[0]: 'breast cancer' is not a disease CURIE",
        ),
        (
            {"permission": "GRU", "modifiers": ["IRB", "IRB"]},
            "data_use.modifiers[1]: DUO:0000021 is listed twice",
        ),
        ({"permission": "GRU", "colour": "red"}, "data_use.colour: unknown field"),
    ],
)
def test_invalid_data_use_is_refused_naming_the_field(data, message):
    with pytest.raises(ValidationFailed) as caught:
        DataUse.from_dict(data)
    assert caught.value.message.startswith(message), caught.value.message


@pytest.mark.django_db
def test_a_consent_record_reads_as_its_data_use(make_subject):
    from tests.governance.gate.factories import add_consent

    record = add_consent(
        make_subject(),
        {
            "permission": "DS",
            "diseases": ["MONDO:0005015"],
            "modifiers": ["IRB", "GS"],
            "countries": ["GB", "ES"],
        },
    )
    use = DataUse.from_consent(record)
    assert use.permission == duo.DS and use.diseases == ("MONDO:0005015",)
    assert use.modifiers == (duo.IRB, duo.GS) and use.countries == ("GB", "ES")
    assert record.modifiers == ",DUO:0000021,DUO:0000022,"
