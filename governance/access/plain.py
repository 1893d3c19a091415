"""A research purpose and grant conditions in plain words, for DAC members and researchers."""

from __future__ import annotations

from consent import duo

_CATEGORY_WORDS = {
    duo.GRU: "General research use: any research purpose.",
    duo.HMB: "Health, medical or biomedical research.",
    duo.DS: "Research on specific diseases only.",
    duo.POA: "Research into population origins or ancestry only.",
    duo.CC: "Clinical care.",
}
_FLAG_WORDS = (
    ("methods_development", "Includes developing research methods or software."),
    ("genetic_study", "Is a genetic study."),
    ("commercial", "Is commercial."),
    ("not_for_profit", "Is carried out by a not-for-profit organisation, for non-commercial use."),
    ("ethics_approval", "Holds ethics committee approval."),
    ("collaboration", "Commits to collaborate with the data's original investigators."),
    ("publication", "Commits to publish its results."),
    ("return_results", "Commits to return derived results to the resource."),
)


def describe_purpose(purpose_data: dict) -> list[str]:
    """One sentence per coded element of the purpose, the category first."""
    category = purpose_data.get("category", "")
    label = duo.shorthand(category)
    lines = [f"{_CATEGORY_WORDS.get(category, 'Research purpose')} ({label}, {category})"]
    if purpose_data.get("diseases"):
        lines.append("Diseases studied: " + ", ".join(purpose_data["diseases"]) + ".")
    lines.extend(words for key, words in _FLAG_WORDS if purpose_data.get(key))
    if not purpose_data.get("commercial") and not purpose_data.get("not_for_profit"):
        lines.append("Does not state whether the use is commercial.")
    for key, words in (
        ("country", "Carried out in"),
        ("institution", "At the institution"),
        ("project", "For the project"),
        ("user", "By the named user"),
    ):
        if purpose_data.get(key):
            lines.append(f"{words} {purpose_data[key]}.")
    if purpose_data.get("date"):
        lines.append(f"Data used from {purpose_data['date']}.")
    return lines


def describe_cohort(cohort: dict) -> list[str]:
    if not cohort:
        return ["Every eligible subject (no further criteria)."]
    lines = []
    if cohort.get("diagnoses"):
        lines.append("Diagnosed with any of: " + ", ".join(cohort["diagnoses"]) + ".")
    if cohort.get("regions"):
        lines.append("Living in postcode areas: " + ", ".join(cohort["regions"]) + ".")
    if cohort.get("sex"):
        lines.append("Sex: " + ", ".join(cohort["sex"]) + ".")
    if cohort.get("min_age") is not None or cohort.get("max_age") is not None:
        low, high = cohort.get("min_age"), cohort.get("max_age")
        if low is not None and high is not None:
            lines.append(f"Aged {low} to {high}.")
        elif low is not None:
            lines.append(f"Aged {low} or over.")
        else:
            lines.append(f"Aged {high} or under.")
    return lines
