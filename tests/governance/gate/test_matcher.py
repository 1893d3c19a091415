"""The DUO matcher, table-driven: every permission and modifier, in both roles."""

from datetime import UTC, date, datetime

import pytest

from consent.duo import DataUse
from governance.gate.matcher import match
from governance.gate.purpose import Purpose

AT = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
BREAST = "MONDO:0007254"
T2D = "MONDO:0005148"


def C(permission="GRU", *modifiers, **params):
    return {"permission": permission, "modifiers": list(modifiers), **params}


def P(category="HMB", **fields):
    return {"category": category, **fields}


DS_BREAST = {"diseases": [BREAST]}

# (consent, purpose, result, [(reason code, outcome)] in order)
CASES = [
    # The permission hierarchy: consent side against each purpose category.
    ("NRES permits general research", C("NRES"), P("GRU"), "permit", [("DUO:0000004", "permit")]),
    ("NRES permits ancestry research", C("NRES"), P("POA"), "permit", [("DUO:0000004", "permit")]),
    ("GRU permits general research", C("GRU"), P("GRU"), "permit", [("DUO:0000042", "permit")]),
    ("GRU permits health research", C("GRU"), P("HMB"), "permit", [("DUO:0000042", "permit")]),
    ("GRU permits ancestry research", C("GRU"), P("POA"), "permit", [("DUO:0000042", "permit")]),
    (
        "GRU permits disease research",
        C("GRU"),
        P("DS", diseases=[T2D]),
        "permit",
        [("DUO:0000042", "permit")],
    ),
    ("HMB permits health research", C("HMB"), P("HMB"), "permit", [("DUO:0000006", "permit")]),
    (
        "HMB permits disease research",
        C("HMB"),
        P("DS", diseases=[BREAST]),
        "permit",
        [("DUO:0000006", "permit")],
    ),
    ("HMB denies general research", C("HMB"), P("GRU"), "deny", [("DUO:0000006", "deny")]),
    ("HMB denies ancestry research", C("HMB"), P("POA"), "deny", [("DUO:0000006", "deny")]),
    (
        "DS permits the same disease",
        C("DS", **DS_BREAST),
        P("DS", diseases=[BREAST]),
        "permit",
        [("DUO:0000007", "permit")],
    ),
    (
        "DS denies another disease",
        C("DS", **DS_BREAST),
        P("DS", diseases=[T2D]),
        "deny",
        [("DUO:0000007", "deny")],
    ),
    (
        "DS needs every purpose disease covered",
        C("DS", **DS_BREAST),
        P("DS", diseases=[BREAST, T2D]),
        "deny",
        [("DUO:0000007", "deny")],
    ),
    (
        "DS denies a general-use purpose (the DUOS fix)",
        C("DS", **DS_BREAST),
        P("GRU"),
        "deny",
        [("DUO:0000007", "deny")],
    ),
    (
        "DS denies health research",
        C("DS", **DS_BREAST),
        P("HMB"),
        "deny",
        [("DUO:0000007", "deny")],
    ),
    (
        "DS denies ancestry research",
        C("DS", **DS_BREAST),
        P("POA"),
        "deny",
        [("DUO:0000007", "deny")],
    ),
    ("POA permits ancestry research", C("POA"), P("POA"), "permit", [("DUO:0000011", "permit")]),
    ("POA denies health research", C("POA"), P("HMB"), "deny", [("DUO:0000011", "deny")]),
    ("POA denies general research", C("POA"), P("GRU"), "deny", [("DUO:0000011", "deny")]),
    (
        "POA denies disease research",
        C("POA"),
        P("DS", diseases=[BREAST]),
        "deny",
        [("DUO:0000011", "deny")],
    ),
    # Clinical care, purpose side and consent side.
    (
        "clinical care needs CC",
        C("GRU"),
        P("CC"),
        "deny",
        [("DUO:0000042", "permit"), ("DUO:0000043", "deny")],
    ),
    (
        "CC permits clinical care",
        C("GRU", "CC"),
        P("CC"),
        "permit",
        [("DUO:0000042", "permit"), ("DUO:0000043", "permit")],
    ),
    (
        "CC with DS covers clinical care of that disease",
        C("DS", "CC", **DS_BREAST),
        P("CC", diseases=[BREAST]),
        "permit",
        [("DUO:0000007", "permit"), ("DUO:0000043", "permit")],
    ),
    (
        "CC with DS denies clinical care without a disease",
        C("DS", "CC", **DS_BREAST),
        P("CC"),
        "deny",
        [("DUO:0000007", "deny"), ("DUO:0000043", "permit")],
    ),
    (
        "CC restricts no research purpose",
        C("HMB", "CC"),
        P("HMB"),
        "permit",
        [("DUO:0000006", "permit"), ("DUO:0000043", "permit")],
    ),
    # Not for profit, non-commercial.
    (
        "NPU permits a not-for-profit purpose",
        C("GRU", "NPU"),
        P(not_for_profit=True),
        "permit",
        [("DUO:0000042", "permit"), ("DUO:0000045", "permit")],
    ),
    (
        "NPU denies an undeclared purpose",
        C("GRU", "NPU"),
        P(),
        "deny",
        [("DUO:0000042", "permit"), ("DUO:0000045", "deny")],
    ),
    (
        "NPU denies a commercial purpose",
        C("GRU", "NPU"),
        P(commercial=True),
        "deny",
        [("DUO:0000042", "permit"), ("DUO:0000045", "deny")],
    ),
    (
        "NCU permits a non-commercial purpose",
        C("GRU", "NCU"),
        P(),
        "permit",
        [("DUO:0000042", "permit"), ("DUO:0000046", "permit")],
    ),
    (
        "NCU denies a commercial purpose",
        C("GRU", "NCU"),
        P(commercial=True),
        "deny",
        [("DUO:0000042", "permit"), ("DUO:0000046", "deny")],
    ),
    (
        "NPUNCU permits a not-for-profit purpose",
        C("GRU", "NPUNCU"),
        P(not_for_profit=True),
        "permit",
        [("DUO:0000042", "permit"), ("DUO:0000018", "permit")],
    ),
    (
        "NPUNCU denies a commercial purpose",
        C("GRU", "NPUNCU"),
        P(commercial=True),
        "deny",
        [("DUO:0000042", "permit"), ("DUO:0000018", "deny")],
    ),
    # Commitments.
    (
        "IRB permits with ethics approval",
        C("GRU", "IRB"),
        P(ethics_approval=True),
        "permit",
        [("DUO:0000042", "permit"), ("DUO:0000021", "permit")],
    ),
    (
        "IRB denies without ethics approval",
        C("GRU", "IRB"),
        P(),
        "deny",
        [("DUO:0000042", "permit"), ("DUO:0000021", "deny")],
    ),
    (
        "PUB permits with a publication commitment",
        C("GRU", "PUB"),
        P(publication=True),
        "permit",
        [("DUO:0000042", "permit"), ("DUO:0000019", "permit")],
    ),
    (
        "PUB denies without it",
        C("GRU", "PUB"),
        P(),
        "deny",
        [("DUO:0000042", "permit"), ("DUO:0000019", "deny")],
    ),
    (
        "COL permits with collaboration",
        C("GRU", "COL"),
        P(collaboration=True),
        "permit",
        [("DUO:0000042", "permit"), ("DUO:0000020", "permit")],
    ),
    (
        "COL denies without it",
        C("GRU", "COL"),
        P(),
        "deny",
        [("DUO:0000042", "permit"), ("DUO:0000020", "deny")],
    ),
    (
        "RTN permits with return of results",
        C("GRU", "RTN"),
        P(return_results=True),
        "permit",
        [("DUO:0000042", "permit"), ("DUO:0000029", "permit")],
    ),
    (
        "RTN denies without it",
        C("GRU", "RTN"),
        P(),
        "deny",
        [("DUO:0000042", "permit"), ("DUO:0000029", "deny")],
    ),
    # Geography, people, projects, institutions.
    (
        "GS permits a listed country",
        C("GRU", "GS", countries=["ES", "PT"]),
        P(country="PT"),
        "permit",
        [("DUO:0000042", "permit"), ("DUO:0000022", "permit")],
    ),
    (
        "GS denies another country",
        C("GRU", "GS", countries=["ES"]),
        P(country="FR"),
        "deny",
        [("DUO:0000042", "permit"), ("DUO:0000022", "deny")],
    ),
    (
        "GS denies a purpose without a country",
        C("GRU", "GS", countries=["ES"]),
        P(),
        "deny",
        [("DUO:0000042", "permit"), ("DUO:0000022", "deny")],
    ),
    (
        "US permits a named user",
        C("GRU", "US", users=["alice"]),
        P(user="alice"),
        "permit",
        [("DUO:0000042", "permit"), ("DUO:0000026", "permit")],
    ),
    (
        "US denies another user",
        C("GRU", "US", users=["alice"]),
        P(user="bob"),
        "deny",
        [("DUO:0000042", "permit"), ("DUO:0000026", "deny")],
    ),
    (
        "PS permits a named project",
        C("GRU", "PS", projects=["P1"]),
        P(project="P1"),
        "permit",
        [("DUO:0000042", "permit"), ("DUO:0000027", "permit")],
    ),
    (
        "PS denies another project",
        C("GRU", "PS", projects=["P1"]),
        P(project="P2"),
        "deny",
        [("DUO:0000042", "permit"), ("DUO:0000027", "deny")],
    ),
    (
        "IS permits a named institution",
        C("GRU", "IS", institutions=["UCL"]),
        P(institution="UCL"),
        "permit",
        [("DUO:0000042", "permit"), ("DUO:0000028", "permit")],
    ),
    (
        "IS denies a purpose without an institution",
        C("GRU", "IS", institutions=["UCL"]),
        P(),
        "deny",
        [("DUO:0000042", "permit"), ("DUO:0000028", "deny")],
    ),
    # Time.
    (
        "TS permits use within the limit",
        C("GRU", "TS", months=12, start="2026-01-01"),
        P(),
        "permit",
        [("DUO:0000042", "permit"), ("DUO:0000025", "permit")],
    ),
    (
        "TS denies use after the limit",
        C("GRU", "TS", months=3, start="2026-01-01"),
        P(),
        "deny",
        [("DUO:0000042", "permit"), ("DUO:0000025", "deny")],
    ),
    (
        "TS denies a purpose dated after the limit",
        C("GRU", "TS", months=12, start="2026-01-01"),
        P(date="2027-01-01"),
        "deny",
        [("DUO:0000042", "permit"), ("DUO:0000025", "deny")],
    ),
    (
        "MOR permits publishing after the moratorium",
        C("GRU", "MOR", moratorium="2027-01-01"),
        P(publication=True, date="2027-01-01"),
        "permit",
        [("DUO:0000042", "permit"), ("DUO:0000024", "permit")],
    ),
    (
        "MOR denies publishing before it",
        C("GRU", "MOR", moratorium="2027-01-01"),
        P(publication=True, date="2026-11-22"),
        "deny",
        [("DUO:0000042", "permit"), ("DUO:0000024", "deny")],
    ),
    (
        "MOR permits use that does not publish",
        C("GRU", "MOR", moratorium="2027-01-01"),
        P(date="2026-11-22"),
        "permit",
        [("DUO:0000042", "permit"), ("DUO:0000024", "permit")],
    ),
    # Kinds of research.
    (
        "NMDS denies methods development",
        C("GRU", "NMDS"),
        P(methods_development=True),
        "deny",
        [("DUO:0000042", "permit"), ("DUO:0000015", "deny")],
    ),
    (
        "NMDS permits research without methods",
        C("GRU", "NMDS"),
        P(),
        "permit",
        [("DUO:0000042", "permit"), ("DUO:0000015", "permit")],
    ),
    (
        "NMDS permits disease-specific methods",
        C("DS", "NMDS", **DS_BREAST),
        P("DS", diseases=[BREAST], methods_development=True),
        "permit",
        [("DUO:0000007", "permit"), ("DUO:0000015", "permit")],
    ),
    (
        "NMDS denies methods for an uncovered disease",
        C("DS", "NMDS", **DS_BREAST),
        P("DS", diseases=[T2D], methods_development=True),
        "deny",
        [("DUO:0000007", "deny"), ("DUO:0000015", "deny")],
    ),
    (
        "GSO permits a genetic study",
        C("GRU", "GSO"),
        P(genetic_study=True),
        "permit",
        [("DUO:0000042", "permit"), ("DUO:0000016", "permit")],
    ),
    (
        "GSO denies a non-genetic study",
        C("GRU", "GSO"),
        P(),
        "deny",
        [("DUO:0000042", "permit"), ("DUO:0000016", "deny")],
    ),
    (
        "NPOA denies ancestry research",
        C("GRU", "NPOA"),
        P("POA"),
        "deny",
        [("DUO:0000042", "permit"), ("DUO:0000044", "deny")],
    ),
    (
        "NPOA permits other research",
        C("GRU", "NPOA"),
        P("HMB"),
        "permit",
        [("DUO:0000042", "permit"), ("DUO:0000044", "permit")],
    ),
    # Free text and the combination.
    (
        "RS needs review",
        C("GRU", "RS", restriction_text="Cardiac outcomes only."),
        P(),
        "review",
        [("DUO:0000042", "permit"), ("DUO:0000012", "review")],
    ),
    (
        "deny outranks review",
        C("GRU", "RS", "IRB", restriction_text="Cardiac only."),
        P(),
        "deny",
        [("DUO:0000042", "permit"), ("DUO:0000012", "review"), ("DUO:0000021", "deny")],
    ),
    (
        "every modifier must permit",
        C("HMB", "IRB", "NPU", "GS", countries=["ES"]),
        P(ethics_approval=True, not_for_profit=True, country="ES"),
        "permit",
        [
            ("DUO:0000006", "permit"),
            ("DUO:0000021", "permit"),
            ("DUO:0000045", "permit"),
            ("DUO:0000022", "permit"),
        ],
    ),
]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "name, consent, purpose, result, reasons", CASES, ids=[c[0] for c in CASES]
)
def test_each_term_gives_the_expected_result_and_reasons(name, consent, purpose, result, reasons):
    outcome = match(DataUse.from_dict(consent), Purpose.from_dict(purpose), AT)
    assert outcome.result == result
    assert [(c.reason.code, c.outcome) for c in outcome.checks] == reasons
    assert all(r.message and r.term for r in outcome.reasons)


def test_every_permission_and_modifier_is_covered_by_the_table():
    from consent import duo

    consent_terms = set()
    for _, consent, purpose, _, _ in CASES:
        use = DataUse.from_dict(consent)
        consent_terms |= {use.permission, *use.modifiers}
    assert set(duo.PERMISSIONS) | set(duo.MODIFIERS) <= consent_terms
    categories = {Purpose.from_dict(p).category for _, _, p, _, _ in CASES}
    assert categories == {duo.GRU, duo.HMB, duo.DS, duo.POA, duo.CC}


@pytest.mark.django_db
def test_a_time_limit_without_start_runs_from_the_consent_date():
    use = DataUse.from_dict(C("GRU", "TS", months=1))
    purpose = Purpose.from_dict(P())
    assert match(use, purpose, AT, consent_start=date(2026, 5, 15)).result == "permit"
    assert match(use, purpose, AT, consent_start=date(2026, 4, 30)).result == "deny"


@pytest.mark.django_db
def test_reasons_say_which_disease_is_not_covered():
    outcome = match(
        DataUse.from_dict(C("DS", **DS_BREAST)), Purpose.from_dict(P("DS", diseases=[T2D])), AT
    )
    assert (
        "MONDO:0005148 does not lie under any consented disease (MONDO:0007254)"
        in outcome.reasons[0].message
    )
