"""The export form on the researcher's page. Parsing only: the service validates."""

from __future__ import annotations

from django import forms

from governance.exports.models import COLUMNS, FORMATS

_COLUMN_LABELS = {
    "age": "Age band",
    "sex": "Sex",
    "postcode_area": "Postcode area",
    "ethnic_background": "Ethnic background",
    "diagnoses": "Diagnoses",
}
_FORMAT_LABELS = {
    "csv": "Phenotype table (CSV)",
    "parquet": "Phenotype table (Parquet)",
    "vcf": "Genotypes (multi-sample VCF, Crypt4GH-encrypted to your key)",
}
_SEXES = (("female", "Female"), ("male", "Male"), ("other", "Other"), ("unknown", "Not stated"))


def _words(value: str) -> list[str]:
    return [item.strip() for item in value.replace(",", " ").split() if item.strip()]


class ExportForm(forms.Form):
    grant = forms.TypedChoiceField(coerce=int, label="Grant")
    columns = forms.MultipleChoiceField(
        choices=[(c, _COLUMN_LABELS[c]) for c in COLUMNS],
        widget=forms.CheckboxSelectMultiple,
        required=False,
        label="Phenotype columns",
    )
    formats = forms.MultipleChoiceField(
        choices=[(f, _FORMAT_LABELS[f]) for f in FORMATS],
        widget=forms.CheckboxSelectMultiple,
        label="Files",
    )
    diagnoses = forms.CharField(
        required=False, label="Diagnoses (CURIEs, e.g. MONDO:0005148)", max_length=500
    )
    sex = forms.MultipleChoiceField(
        choices=_SEXES, widget=forms.CheckboxSelectMultiple, required=False, label="Sex"
    )
    min_age = forms.IntegerField(required=False, min_value=0, max_value=130, label="Minimum age")
    max_age = forms.IntegerField(required=False, min_value=0, max_value=130, label="Maximum age")
    areas = forms.CharField(
        required=False, label="Postcode areas or districts (e.g. CB SW1)", max_length=300
    )
    regions = forms.CharField(
        required=False,
        label="Genomic regions (chrom:start-end, e.g. 1:10000-20000)",
        max_length=1000,
    )
    idempotency_key = forms.CharField(widget=forms.HiddenInput, required=False, max_length=64)

    def __init__(self, *args, grants=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["grant"].choices = [
            (g.pk, f"Grant {g.pk}: {g.request.title} (k={g.k})") for g in grants
        ]

    def criteria(self) -> dict:
        data = self.cleaned_data
        criteria: dict = {}
        for key in ("diagnoses", "areas", "regions"):
            if _words(data.get(key) or ""):
                criteria[key] = _words(data[key])
        if data.get("sex"):
            criteria["sex"] = list(data["sex"])
        for key in ("min_age", "max_age"):
            if data.get(key) is not None:
                criteria[key] = data[key]
        return criteria
