"""De-identification of cohort exports: Safe Harbor, k-anonymity and l-diversity.

The engine is pure pandas, so these tests need no database. pycanon measures the
released tables independently of the engine's own bookkeeping.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pycanon import anonymity

from governance.errors import ValidationFailed
from governance.exports.deid import (
    AGE,
    DEFAULT_LOW_POPULATION_AREAS,
    ETHNIC_BACKGROUND,
    ETHNIC_GROUPS,
    POSTCODE_AREA,
    POSTCODE_AREA_REGIONS,
    VALUE_DETECTORS,
    DeidentificationFailed,
    IdentifierClass,
    column_identifier_class,
    deidentify,
    normalised_certainty_penalty,
    postcode_areas,
    safe_harbor_check,
)

TODAY = date(2024, 6, 1)
UK1 = Path(__file__).resolve().parents[2] / "consent" / "data" / "cohort" / "uk1.tsv"
REPORT_KEYS = {
    "quasi_identifiers",
    "sensitive_columns",
    "k_requested",
    "k_achieved",
    "l_requested",
    "l_achieved",
    "suppressed",
    "rows_in",
    "rows_out",
    "generalisation_levels",
    "information_loss",
    "safe_harbor",
}


def pseudonym(code: str) -> str:
    return hmac.new(b"test-project-key", code.encode(), hashlib.sha256).hexdigest()


def cohort(
    n: int, *, seed: int = 7, areas=("SW", "M", "EH", "B", "LS"), birth_years=(1940, 2000)
) -> pd.DataFrame:
    """A synthetic per-subject table with every kind of column an export meets."""
    rng = np.random.default_rng(seed)
    area = rng.choice(list(areas), n)
    district = rng.integers(1, 10, n)
    born = pd.to_datetime(
        {
            "year": rng.integers(birth_years[0], birth_years[1], n),
            "month": rng.integers(1, 13, n),
            "day": rng.integers(1, 29, n),
        }
    )
    return pd.DataFrame(
        {
            "subject_code": [f"HX-{i:010d}" for i in range(n)],
            "name": [f"Person Number{i}" for i in range(n)],
            "email": [f"person{i}@example.org" for i in range(n)],
            "mrn": [f"MRN{100000 + i}" for i in range(n)],
            "birth_date": born.dt.date,
            "sex": rng.choice(["female", "male"], n),
            "postcode": [f"{a}{d} {d}AB" for a, d in zip(area, district, strict=True)],
            "ethnic_background": rng.choice(
                ["British", "Irish", "Indian", "African", "Chinese"], n
            ),
            "diagnoses": [
                sorted(set(rng.choice(["E11", "I10", "C50.9", "J45", "F32"], rng.integers(1, 3))))
                for _ in range(n)
            ],
            "bmi": rng.normal(27, 4, n).round(1),
        }
    )


def released_by_code(result, table: pd.DataFrame) -> pd.DataFrame:
    """The released rows indexed by the subject code they came from (tests know the key)."""
    by_pseudonym = {pseudonym(code): code for code in table["subject_code"]}
    return result.table.set_index(result.table["pseudonym"].map(by_pseudonym))


# --- k-anonymity and l-diversity ------------------------------------------------------------


def test_pycanon_measures_the_released_table_as_k_anonymous_and_l_diverse():
    table = cohort(2000)
    result = deidentify(table, k=5, l_diversity=2, pseudonym=pseudonym, now=TODAY)
    qis = result.report["quasi_identifiers"]
    assert qis == ["age", "sex", "postcode_area", "ethnic_background"]
    assert anonymity.k_anonymity(result.table, qis) >= 5
    assert anonymity.l_diversity(result.table, qis, ["diagnoses"]) >= 2
    assert result.report["k_achieved"] == anonymity.k_anonymity(result.table, qis)
    assert result.report["l_achieved"] == anonymity.l_diversity(result.table, qis, ["diagnoses"])


def test_a_table_already_k_anonymous_is_released_without_generalisation_or_loss():
    table = pd.DataFrame(
        {
            "subject_code": [f"S{i}" for i in range(12)],
            "age": [40] * 6 + [50] * 6,
            "sex": ["female"] * 6 + ["male"] * 6,
        }
    )
    result = deidentify(table, k=6, pseudonym=pseudonym)
    assert result.report["generalisation_levels"] == {"age": "age", "sex": "sex"}
    assert result.report["suppressed"] == 0
    assert result.report["information_loss"]["value"] == 0
    assert sorted(result.table["age"]) == ["40"] * 6 + ["50"] * 6


def test_l_diversity_generalises_or_suppresses_until_every_class_has_l_diagnoses():
    table = cohort(600, seed=3)
    without = deidentify(table, k=5, pseudonym=pseudonym, now=TODAY)
    with_l = deidentify(table, k=5, l_diversity=3, pseudonym=pseudonym, now=TODAY)
    qis = with_l.report["quasi_identifiers"]
    assert anonymity.l_diversity(with_l.table, qis, ["diagnoses"]) >= 3
    assert with_l.report["l_requested"] == 3
    assert with_l.report["l_achieved"] >= 3
    assert with_l.report["information_loss"]["value"] >= without.report["information_loss"]["value"]


def test_too_much_suppression_raises_a_clear_error_and_releases_nothing():
    table = cohort(300, seed=11)
    exact = {
        "age": "age",
        "sex": "sex",
        "postcode_area": "postcode area",
        "ethnic_background": "ethnic background",
    }
    result = None
    with pytest.raises(DeidentificationFailed) as caught:
        result = deidentify(table, k=5, max_levels=exact, pseudonym=pseudonym, now=TODAY)
    assert result is None
    message = caught.value.message
    assert "k=5" in message
    assert "20.0%" in message
    assert re.search(r"needs \d+\.\d% of the 300 records suppressed", message)
    assert "nothing was released" in message
    assert caught.value.code == "deidentification_failed"
    assert caught.value.extra["needed_share"] > 0.2
    assert not any(code in message for code in table["subject_code"])


def test_impossible_l_diversity_names_l_in_the_error():
    table = cohort(50)
    table["diagnoses"] = "E11"
    with pytest.raises(
        DeidentificationFailed, match=r"k=5 and distinct l-diversity with l=2 needs 100\.0%"
    ):
        deidentify(table, k=5, l_diversity=2, pseudonym=pseudonym, now=TODAY)


@pytest.mark.parametrize("k", [1, 0, -3, 2.5, True])
def test_k_below_two_or_not_a_whole_number_is_refused(k):
    with pytest.raises(ValidationFailed, match="k must be a whole number of at least 2"):
        deidentify(cohort(20), k=k, pseudonym=pseudonym, now=TODAY)


def test_max_suppression_is_a_share_below_one():
    with pytest.raises(ValidationFailed, match="max_suppression"):
        deidentify(cohort(20), k=2, max_suppression=1.0, pseudonym=pseudonym, now=TODAY)


def test_the_report_has_every_key_and_its_counts_agree():
    table = cohort(1500, seed=5)
    result = deidentify(table, k=10, l_diversity=2, pseudonym=pseudonym, now=TODAY)
    report = result.report
    assert REPORT_KEYS <= set(report)
    assert report["rows_in"] == len(table) == report["rows_out"] + report["suppressed"]
    assert report["rows_out"] == len(result.table)
    assert report["suppressed"] <= 0.2 * len(table)
    assert report["k_requested"] == 10 and report["k_achieved"] >= 10
    assert report["sensitive_columns"] == ["diagnoses"]
    assert set(report["generalisation_levels"]) == set(report["quasi_identifiers"])
    assert set(report["quasi_identifiers"]) <= set(result.table.columns)
    assert report["generalisation_levels"]["age"] in AGE.levels
    loss = report["information_loss"]
    assert "normalised certainty penalty" in loss["metric"]
    assert 0 <= loss["value"] <= 1
    assert loss["value"] == pytest.approx(sum(loss["by_column"].values()) / len(loss["by_column"]))
    harbor = report["safe_harbor"]
    assert harbor["standard"] == "45 CFR 164.514(b)(2)"
    assert harbor["findings"] == []
    assert {"name", "email", "mrn", "subject_code"} <= set(harbor["removed_columns"])
    assert harbor["transformed_columns"]["birth_date"] == "age"
    assert harbor["transformed_columns"]["postcode"] == "postcode_area"
    assert list(result.table.columns[:1]) == ["pseudonym"]
    assert "subject_code" not in result.table.columns
    json.dumps(report)  # the report is stored as JSON beside the export


def test_released_rows_are_ordered_by_pseudonym_not_by_the_source():
    result = deidentify(cohort(400), k=5, pseudonym=pseudonym, now=TODAY)
    assert result.table["pseudonym"].is_monotonic_increasing
    assert result.table.index.equals(pd.RangeIndex(len(result.table)))


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    rows=st.lists(
        st.tuples(
            st.integers(0, 105),
            st.sampled_from(["female", "male", "other", None]),
            st.sampled_from(["SW", "M", "ZE", "BT", None]),
            st.sampled_from(["British", "Indian", "African", "Do not know", None]),
            st.sampled_from(["E11", "I10", "J45;E11", ""]),
        ),
        min_size=1,
        max_size=40,
    ),
    k=st.integers(2, 6),
    max_suppression=st.sampled_from([0.0, 0.1, 0.3, 0.6]),
    l_diversity=st.sampled_from([None, 2, 3]),
)
def test_k_anonymity_holds_whenever_deidentify_returns(rows, k, max_suppression, l_diversity):
    table = pd.DataFrame(
        rows, columns=["age", "sex", "postcode_area", "ethnic_background", "diagnoses"]
    )
    table.insert(0, "subject_code", [f"S{i}" for i in range(len(table))])
    try:
        result = deidentify(
            table,
            k=k,
            l_diversity=l_diversity,
            max_suppression=max_suppression,
            pseudonym=pseudonym,
        )
    except DeidentificationFailed as error:
        assert f"k={k}" in error.message
        return
    report = result.report
    qis = report["quasi_identifiers"]
    sizes = result.table.groupby(qis, dropna=False).size()
    assert sizes.min() >= k
    assert anonymity.k_anonymity(result.table, qis) >= k
    if l_diversity:
        assert result.table.groupby(qis, dropna=False)["diagnoses"].nunique().min() >= l_diversity
    assert report["rows_in"] == report["rows_out"] + report["suppressed"]
    assert report["suppressed"] <= max_suppression * len(table)
    assert not result.table["age"].isin([str(age) for age in range(90, 106)]).any()


# --- Safe Harbor on the released table -------------------------------------------------------


def test_canary_identifiers_appear_nowhere_in_the_released_csv_or_report():
    table = cohort(500, seed=21)
    canaries = {
        "name": "Zebedee Quartermaine",
        "email": "zebedee.quartermaine@canary.example",
        "mrn": "MRN4451902",
        "postcode": "SW1A 2AA",
        "phone": "07700 900461",
        "nhs_number": "943 476 5919",
    }
    table["phone"] = "07700 900000"
    table["nhs_number"] = "401 023 2137"
    for column, value in canaries.items():
        table.loc[17, column] = value
    table.loc[17, "birth_date"] = date(1931, 7, 14)
    result = deidentify(table, k=5, pseudonym=pseudonym, now=TODAY)
    released = result.table.to_csv(index=False).encode()
    report = json.dumps(result.report).encode()
    for value in [*canaries.values(), "1931-07-14", "14/07/1931", "Quartermaine", "SW1A", "2AA"]:
        assert value.encode() not in released
        assert value.encode() not in report
    for code in table["subject_code"]:
        assert code.encode() not in released
    assert not re.search(rb"\d{4}-\d{2}-\d{2}", released)
    assert not re.search(rb"[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}", released)
    assert safe_harbor_check(result.table) == []


def test_ages_over_89_are_released_as_90_plus():
    table = cohort(300, seed=2)
    table.loc[:19, "birth_date"] = [date(1920 + i % 12, 1 + i % 12, 1 + i) for i in range(20)]
    result = deidentify(
        table, k=5, max_levels={"age": "10-year band"}, pseudonym=pseudonym, now=TODAY
    )
    released = released_by_code(result, table)
    old = [code for code in table["subject_code"][:20] if code in released.index]
    assert len(old) >= 15
    assert set(released.loc[old, "age"]) == {"90+"}
    numbers = pd.to_numeric(result.table["age"].str.split("-").str[-1], errors="coerce")
    assert numbers.max() <= 89


def test_dates_are_released_as_years_only():
    table = cohort(300, seed=4)
    table["recruited_on"] = pd.Timestamp("2012-03-04") + pd.to_timedelta(
        np.arange(300) % 900, unit="D"
    )
    table["diagnosis_date"] = "2019-11-23"
    table["year_of_birth"] = pd.to_datetime(table["birth_date"]).dt.year
    result = deidentify(table, k=5, pseudonym=pseudonym, now=TODAY)
    assert {"recruited_on_year", "diagnosis_date_year"} <= set(result.table.columns)
    assert not {"recruited_on", "diagnosis_date", "birth_date", "year_of_birth"} & set(
        result.table.columns
    )
    assert "year_of_birth" in result.report["safe_harbor"]["removed_columns"]
    assert set(result.table["diagnosis_date_year"]) == {2019}
    assert result.table["recruited_on_year"].between(2012, 2014).all()
    assert not re.search(r"\d{4}-\d{2}-\d{2}|\d{2}/\d{2}/\d{4}", result.table.to_csv(index=False))


def test_low_population_postcode_areas_become_000():
    table = cohort(400, seed=9, areas=("SW", "ZE", "HS", "M"))
    result = deidentify(
        table, k=5, max_levels={"postcode_area": "postcode area"}, pseudonym=pseudonym, now=TODAY
    )
    released = released_by_code(result, table)
    remote = table.loc[table["postcode"].str[:2].isin(["ZE", "HS"]), "subject_code"]
    remote = [code for code in remote if code in released.index]
    assert remote
    assert set(released.loc[remote, "postcode_area"]) == {"000"}
    assert not result.table["postcode_area"].isin(["ZE", "HS"]).any()
    assert result.report["safe_harbor"]["low_population_areas"] == sorted(
        DEFAULT_LOW_POPULATION_AREAS
    )


def test_postcodes_are_reduced_to_their_area_letters_with_a_configurable_low_population_list():
    postcodes = pd.Series(["SW1A 1AA", "m1 1ae", "ZE2 9XQ", None, "EH99 1SP", "B33 8TH", "BT1 5GS"])
    assert postcode_areas(postcodes).tolist() == ["SW", "M", "000", "Unknown", "EH", "B", "BT"]
    custom = postcode_areas(postcodes, low_population_areas={"BT", "EH"})
    assert custom.tolist() == ["SW", "M", "ZE", "Unknown", "000", "B", "000"]


def test_an_unreadable_postcode_is_refused_by_row_without_echoing_it():
    table = cohort(30)
    table.loc[4, "postcode"] = "not a postcode"
    table.loc[9, "postcode"] = "QQ1 1AA"
    with pytest.raises(ValidationFailed) as caught:
        deidentify(table, k=2, pseudonym=pseudonym, now=TODAY)
    assert "'postcode'" in caught.value.message
    assert "rows 4" in caught.value.message or "rows 9" in caught.value.message
    assert "not a postcode" not in caught.value.message


def test_an_identifier_hidden_in_a_free_text_column_stops_the_export():
    table = cohort(200)
    table["clinical_note"] = "stable"
    table.loc[3, "clinical_note"] = "call the daughter on 020 7946 0958"
    with pytest.raises(DeidentificationFailed) as caught:
        deidentify(table, k=5, pseudonym=pseudonym, now=TODAY)
    assert "clinical_note" in caught.value.message
    assert "telephone" in caught.value.message
    assert "7946" not in caught.value.message


def test_a_pseudonym_function_that_returns_the_code_is_refused():
    with pytest.raises(ValidationFailed, match="unchanged"):
        deidentify(cohort(20), k=2, pseudonym=lambda code: code, now=TODAY)


def test_the_uk1_cohort_releases_k_anonymously_with_its_identifier_columns_dropped():
    uk1 = pd.read_csv(UK1, sep="\t", na_values=["#REF!"])
    table = uk1.rename(
        columns={
            "eid": "subject_code",
            "Sex": "sex",
            "Ethnic background-0.0": "ethnic_background",
            "Age at recruitment-0.0": "age",
        }
    )[
        [
            "subject_code",
            "Sample name",
            "Subject id",
            "EGA sample id",
            "age",
            "sex",
            "ethnic_background",
            "Body mass index (BMI)-0.0",
            "White blood cell (leukocyte) count-0.0",
            "Home location - east co-ordinate-0.0",
            "Home location - north co-ordinate-0.0",
        ]
    ]
    result = deidentify(table, k=5, pseudonym=pseudonym)
    removed = result.report["safe_harbor"]["removed_columns"]
    assert {"Sample name", "Subject id", "EGA sample id"} <= set(removed)
    assert {"Home location - east co-ordinate-0.0", "Home location - north co-ordinate-0.0"} <= set(
        removed
    )
    assert "White blood cell (leukocyte) count-0.0" in result.table.columns
    assert anonymity.k_anonymity(result.table, result.report["quasi_identifiers"]) >= 5
    assert not result.table.isin(uk1["Subject id"].tolist()).any().any()


# --- hierarchies ------------------------------------------------------------------------------


def test_age_bands_widen_level_by_level_and_keep_90_plus_apart():
    assert [AGE.generalise("47", level) for level in range(5)] == [
        "47",
        "45-49",
        "40-49",
        "40-59",
        "*",
    ]
    assert [AGE.generalise("87", level) for level in range(5)] == [
        "87",
        "85-89",
        "80-89",
        "80-89",
        "*",
    ]
    assert [AGE.generalise("90+", level) for level in range(5)] == ["90+", "90+", "90+", "90+", "*"]
    assert AGE.generalise("Unknown", 2) == "Unknown"


def test_every_uk1_ethnic_background_has_a_group():
    backgrounds = set(
        pd.read_csv(UK1, sep="\t", usecols=["Ethnic background-0.0"])["Ethnic background-0.0"]
    )
    assert backgrounds <= set(ETHNIC_GROUPS)
    assert ETHNIC_BACKGROUND.generalise("Irish", 1) == "White"
    assert ETHNIC_BACKGROUND.generalise("Chinese", 1) == "Asian or Asian British"
    assert ETHNIC_BACKGROUND.generalise("Any other Black background", 1) == "Black or Black British"
    assert ETHNIC_BACKGROUND.generalise("White and Asian", 1) == "Mixed"
    assert ETHNIC_BACKGROUND.generalise("Prefer not to answer", 1) == "Unknown"
    assert ETHNIC_BACKGROUND.generalise("Do not know", 2) == "*"


def test_postcode_areas_generalise_to_regions_and_000_stays_000():
    assert len(POSTCODE_AREA_REGIONS) == 124
    assert [POSTCODE_AREA.generalise("SW", level) for level in range(3)] == ["SW", "London", "*"]
    assert POSTCODE_AREA.generalise("EH", 1) == "Scotland"
    assert POSTCODE_AREA.generalise("000", 1) == "000"


# --- the Safe Harbor check --------------------------------------------------------------------

VALUE_EXAMPLES = {
    "email address": "write to jane.doe@example.org",
    "URL": "see https://example.org/patients/17",
    "IPv4 address": "logged in from 192.168.10.24",
    "IPv6 address": "2001:db8::8a2e:370:7334",
    "MAC address": "00:1A:2B:3C:4D:5E",
    "labelled serial number": "pacemaker serial no. PM55321A",
    "full UK postcode": "lives at SW1A 1AA",
    "ZIP+4 code": "90210-1234",
    "full date": "seen 14/07/2019",
    "full date with month name": "born 14 July 1931",
    "labelled fax number": "Fax: 020 7946 0000",
    "UK telephone number": "+44 7700 900123",
    "international telephone number": "+1 415 555 2671",
    "North American telephone number": "(415) 555-2671",
    "US social security number": "078-05-1120",
    "UK National Insurance number": "JG 10 37 59 A",
    "NHS or CHI number": "943 476 5919",
    "medical record number": "MRN: 00482913",
    "labelled health plan number": "policy number HP778812",
    "payment card number": "4111 1111 1111 1111",
    "IBAN": "GB82 WEST 1234 5698 7654 32",
    "labelled account number": "account no. 31926819",
    "UK driving licence number": "MORGA753116SM9IJ",
    "labelled passport, licence or certificate number": "passport no 925076473",
    "UK number plate": "AB12 CDE",
    "vehicle identification number": "1HGCM82633A004352",
    "labelled biometric template": "fingerprint template v2",
    "embedded image": "data:image/png;base64,AAAA",
    "titled name": "seen by Dr Anna Smith",
    "platform subject code": "HX-7K3M9QP2TB",
    "long number": "123456789012",
}


def test_every_value_detector_has_an_example_here():
    assert set(VALUE_EXAMPLES) == {detector.name for detector in VALUE_DETECTORS}


@pytest.mark.parametrize("detector", VALUE_DETECTORS, ids=lambda detector: detector.name)
def test_safe_harbor_check_finds_each_identifier_it_claims_to_detect_in_cell_values(detector):
    table = pd.DataFrame({"free_text": ["nothing to see", VALUE_EXAMPLES[detector.name], "stable"]})
    findings = safe_harbor_check(table)
    found = {(f.identifier_class, f.detector) for f in findings}
    assert (detector.identifier_class, detector.name) in found
    finding = next(f for f in findings if f.detector == detector.name)
    assert finding.column == "free_text" and finding.rows == 1
    assert VALUE_EXAMPLES[detector.name] not in str(finding)


COLUMN_EXAMPLES = {
    IdentifierClass.NAMES: "First name",
    IdentifierClass.GEOGRAPHY: "home_address",
    IdentifierClass.DATES: "admissionDate",
    IdentifierClass.TELEPHONE: "phone",
    IdentifierClass.FAX: "fax_number",
    IdentifierClass.EMAIL: "E-mail",
    IdentifierClass.SOCIAL_SECURITY: "ssn",
    IdentifierClass.MEDICAL_RECORD: "NHSNumber",
    IdentifierClass.HEALTH_PLAN: "insurance_number",
    IdentifierClass.ACCOUNT: "bank_account",
    IdentifierClass.CERTIFICATE: "passport_number",
    IdentifierClass.VEHICLE: "licence_plate",
    IdentifierClass.DEVICE: "device_serial",
    IdentifierClass.URL: "website",
    IdentifierClass.IP_ADDRESS: "ip_address",
    IdentifierClass.BIOMETRIC: "fingerprint",
    IdentifierClass.PHOTO: "photo",
    IdentifierClass.OTHER_CODE: "patient_id",
}


def test_all_eighteen_classes_are_mapped_from_column_names():
    assert len(IdentifierClass) == 18
    assert [c.letter for c in IdentifierClass] == list("ABCDEFGHIJKLMNOPQR")
    assert set(COLUMN_EXAMPLES) == set(IdentifierClass)


@pytest.mark.parametrize("identifier_class", list(IdentifierClass), ids=lambda c: c.letter)
def test_safe_harbor_check_finds_each_class_by_column_name(identifier_class):
    column = COLUMN_EXAMPLES[identifier_class]
    findings = safe_harbor_check(pd.DataFrame({column: ["x"]}))
    assert [(f.identifier_class, f.source) for f in findings] == [(identifier_class, "column name")]


@pytest.mark.parametrize(
    "column",
    [
        "age",
        "sex",
        "postcode_area",
        "ethnic_background",
        "diagnoses",
        "bmi",
        "pseudonym",
        "White blood cell (leukocyte) count-0.0",
        "Number in household-0.0",
        "diagnosis_date_year",
    ],
)
def test_released_column_names_are_not_mistaken_for_identifiers(column):
    assert column_identifier_class(column) is None


def test_safe_harbor_check_reads_column_types_and_numbers():
    table = pd.DataFrame(
        {
            "visit": pd.to_datetime(["2020-01-02", "2021-03-04"]),
            "age": [45, 93],
            "lab_value": [4.2, 3123456789.0],
            "pseudonym": [pseudonym("a"), pseudonym("b")],
        }
    )
    found = {(f.column, f.identifier_class, f.detector) for f in safe_harbor_check(table)}
    assert found == {
        ("visit", IdentifierClass.DATES, "date values"),
        ("age", IdentifierClass.DATES, "age over 89"),
        ("lab_value", IdentifierClass.OTHER_CODE, "long number"),
    }


# --- the loss metric --------------------------------------------------------------------------


def test_normalised_certainty_penalty_scores_bands_sets_and_suppression():
    released = pd.DataFrame({"age": ["40-49", "40-49", "52"], "ethnic": ["A,B", "A,B", "C"]})
    loss = normalised_certainty_penalty(
        released,
        rows_in=4,
        domains={"age": [40, 45, 49, 52, 60], "ethnic": ["A", "B", "C", "D"]},
        covers={
            "age": lambda label: [float(x) for x in label.split("-")],
            "ethnic": lambda label: label.split(","),
        },
        numeric={"age"},
    )
    # age: two records cost 9/20, one costs 0, one suppressed costs 1.
    assert loss["by_column"]["age"] == pytest.approx((2 * 9 / 20 + 0 + 1) / 4)
    # ethnic: two records stand for 2 of 4 values, one for a single value, one suppressed.
    assert loss["by_column"]["ethnic"] == pytest.approx((2 * 2 / 4 + 0 + 1) / 4)
    assert loss["value"] == pytest.approx(
        (loss["by_column"]["age"] + loss["by_column"]["ethnic"]) / 2
    )
