"""Page forms. They only collect fields into the shapes the services validate."""

from __future__ import annotations

from datetime import UTC, datetime, time

from django import forms

from consent import duo
from governance.access.models import CATEGORY_CHOICES

_PURPOSE_CATEGORIES = (
    (duo.HMB, "Health, medical or biomedical research (HMB)"),
    (duo.GRU, "General research use (GRU)"),
    (duo.DS, "Disease-specific research (DS): name the diseases"),
    (duo.POA, "Population origins or ancestry research (POA)"),
    (duo.CC, "Clinical care (CC)"),
)
_FLAGS = (
    ("not_for_profit", "Not-for-profit organisation, non-commercial use"),
    ("commercial", "Commercial use"),
    ("genetic_study", "Genetic study"),
    ("methods_development", "Includes methods or software development"),
    ("ethics_approval", "Ethics approval held"),
    ("collaboration", "Will collaborate with the original investigators"),
    ("publication", "Will publish the results"),
    ("return_results", "Will return derived results to the resource"),
)
_SEXES = (("female", "Female"), ("male", "Male"), ("other", "Other"), ("unknown", "Not stated"))


def _codes(text: str) -> list[str]:
    return [part.strip() for part in text.replace("\n", ",").split(",") if part.strip()]


class KeyForm(forms.Form):
    public_key = forms.CharField(
        label="Crypt4GH public key",
        help_text="Paste the whole file, from -----BEGIN CRYPT4GH PUBLIC KEY----- to the END line.",
        widget=forms.Textarea(attrs={"rows": 4, "spellcheck": "false"}),
        max_length=4096,
    )


class RequestForm(forms.Form):
    title = forms.CharField(label="Project title", max_length=200)
    category = forms.ChoiceField(label="Research purpose", choices=_PURPOSE_CATEGORIES)
    diseases = forms.CharField(
        label="Diseases (for disease-specific research)",
        required=False,
        help_text="CURIEs separated by commas, e.g. MONDO:0005148",
    )
    country = forms.CharField(label="Country (ISO code, e.g. GB)", required=False, max_length=2)
    institution = forms.CharField(label="Institution", required=False, max_length=200)
    project = forms.CharField(label="Project identifier", required=False, max_length=200)
    categories = forms.MultipleChoiceField(
        label="Data categories", choices=CATEGORY_CHOICES, widget=forms.CheckboxSelectMultiple
    )
    cohort_diagnoses = forms.CharField(
        label="Cohort: diagnoses",
        required=False,
        help_text="CURIEs separated by commas; leave empty for any",
    )
    cohort_regions = forms.CharField(
        label="Cohort: postcode areas",
        required=False,
        help_text="e.g. CB, SW1; leave empty for any",
    )
    cohort_sex = forms.MultipleChoiceField(
        label="Cohort: sex", choices=_SEXES, required=False, widget=forms.CheckboxSelectMultiple
    )
    cohort_min_age = forms.IntegerField(
        label="Cohort: minimum age", required=False, min_value=0, max_value=130
    )
    cohort_max_age = forms.IntegerField(
        label="Cohort: maximum age", required=False, min_value=0, max_value=130
    )
    ethics_reference = forms.CharField(
        label="Ethics approval reference", required=False, max_length=100
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, label in _FLAGS:
            self.fields[name] = forms.BooleanField(label=label, required=False)

    def flag_fields(self):
        return [self[name] for name, _ in _FLAGS]

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        purpose = {"category": data["category"], "diseases": _codes(data["diseases"])}
        purpose.update({name: data[name] for name, _ in _FLAGS if data.get(name)})
        purpose.update(
            {
                key: data[key].strip()
                for key in ("country", "institution", "project")
                if data[key].strip()
            }
        )
        cohort = {
            "diagnoses": _codes(data["cohort_diagnoses"]),
            "regions": _codes(data["cohort_regions"]),
            "sex": data["cohort_sex"],
        }
        cohort = {key: value for key, value in cohort.items() if value}
        for key in ("min_age", "max_age"):
            if data[f"cohort_{key}"] is not None:
                cohort[key] = data[f"cohort_{key}"]
        return {
            "title": data["title"],
            "purpose": purpose,
            "categories": data["categories"],
            "cohort": cohort,
            "ethics_reference": data["ethics_reference"],
        }


class EthicsForm(forms.Form):
    document = forms.FileField(label="Ethics approval (PDF or plain text, at most 5 MiB)")


class ApproveForm(forms.Form):
    expires_on = forms.DateField(
        label="Access expires on",
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Access ends at the start of this day (UTC).",
    )
    k = forms.IntegerField(label="Minimum k for de-identification", min_value=5, initial=5)
    categories = forms.MultipleChoiceField(
        label="Data categories granted",
        choices=CATEGORY_CHOICES,
        widget=forms.CheckboxSelectMultiple,
    )
    l_diversity = forms.IntegerField(label="l-diversity (optional)", required=False, min_value=2)
    sensitive_column = forms.CharField(
        label="Sensitive column for l-diversity", required=False, max_length=40
    )

    def conditions(self) -> dict:
        data = self.cleaned_data
        return {
            "expires_at": datetime.combine(data["expires_on"], time.min, tzinfo=UTC),
            "k": data["k"],
            "categories": data["categories"],
            "l_diversity": data["l_diversity"],
            "sensitive_column": data["sensitive_column"].strip(),
        }


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label="Reason", widget=forms.Textarea(attrs={"rows": 3}), max_length=2000
    )
