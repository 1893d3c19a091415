"""Portal forms. They only parse what the patient typed; the consent services validate
the terms (the same validation for the patient, staff, the API and FHIR imports)."""

from __future__ import annotations

from django import forms

from consent import duo
from consent.plain_language import (
    CATEGORY_CHOICES,
    MODIFIER_CHOICES,
    PERMISSION_CHOICES,
    country_names,
    disease_label,
)

_LIST_HELP = "One per line."


def slug(curie: str) -> str:
    """Form values carry no codes a patient could see in the page: ``DUO:0000042`` ->
    ``duo-0000042``."""
    return curie.lower().replace(":", "-")


def unslug(value: str) -> str:
    prefix, _, local = value.partition("-")
    return f"{prefix.upper()}:{local.upper() if prefix in ('icd10', 'icd10cm') else local}"


def _slugged(choices) -> list[tuple[str, str]]:
    return [(slug(code), label) for code, label in choices]


def _lines(value: str) -> list[str]:
    return [line.strip() for line in (value or "").replace(",", "\n").splitlines() if line.strip()]


def disease_choices(extra: list[str] | tuple[str, ...] = ()) -> list[tuple[str, str]]:
    from consent.plain_language import _shipped_disease_labels

    curies = [c for c in _shipped_disease_labels() if c != "MONDO:0000001"]
    curies += [c for c in extra if c not in curies]
    return sorted(((slug(c), disease_label(c)) for c in curies), key=lambda pair: pair[1].lower())


class ConsentForm(forms.Form):
    permission = forms.ChoiceField(
        label="What may researchers use your data for?",
        choices=_slugged(PERMISSION_CHOICES),
        widget=forms.RadioSelect,
    )
    diseases = forms.MultipleChoiceField(
        label="Which diseases? (only if you chose particular diseases)",
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    modifiers = forms.MultipleChoiceField(
        label="Any extra conditions?",
        choices=_slugged(MODIFIER_CHOICES),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    countries = forms.MultipleChoiceField(
        label="Countries (if you limit use to some countries)",
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 6}),
    )
    months = forms.IntegerField(
        label="Number of months (if you limit the time)", required=False, min_value=1
    )
    start = forms.DateField(
        label="Counting the months from (optional)",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    moratorium = forms.DateField(
        label="No publication before (if you chose that)",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    users = forms.CharField(
        label="Researchers you allow",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_LIST_HELP,
    )
    projects = forms.CharField(
        label="Projects you allow",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_LIST_HELP,
    )
    institutions = forms.CharField(
        label="Institutions you allow",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_LIST_HELP,
    )
    restriction_text = forms.CharField(
        label="Your own restriction, in your words",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    categories = forms.MultipleChoiceField(
        label="Which of your data may be used?",
        choices=CATEGORY_CHOICES,
        widget=forms.CheckboxSelectMultiple,
    )
    valid_until = forms.DateField(
        label="Until when? (leave empty for no end date)",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    read_text = forms.BooleanField(label="I have read the consent information", required=True)

    def __init__(self, *args, extra_diseases=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["diseases"].choices = disease_choices(extra_diseases)
        self.fields["countries"].choices = sorted(country_names().items(), key=lambda pair: pair[1])

    @classmethod
    def initial_from(cls, record) -> dict:
        if record is None:
            return {"permission": slug(duo.GRU), "categories": ["genomic", "clinical"]}
        return {
            "permission": slug(record.permission),
            "diseases": [slug(d) for d in record.diseases],
            "modifiers": [slug(m) for m in record.modifier_list],
            "countries": list(record.countries),
            "months": record.months,
            "start": record.use_start,
            "moratorium": record.moratorium,
            "users": "\n".join(record.users),
            "projects": "\n".join(record.projects),
            "institutions": "\n".join(record.institutions),
            "restriction_text": record.restriction_text,
            "categories": record.categories,
            "valid_until": record.valid_until.date() if record.valid_until else None,
        }

    def data_use(self) -> dict:
        """The data-use dict the services validate (parameters only with their modifier)."""
        c = self.cleaned_data
        modifiers = [unslug(m) for m in c["modifiers"]]
        permission = unslug(c["permission"])
        use: dict = {"permission": permission, "modifiers": modifiers}
        if permission == duo.DS:
            use["diseases"] = [unslug(d) for d in c["diseases"]]
        if duo.GS in modifiers:
            use["countries"] = list(c["countries"])
        if duo.TS in modifiers:
            use["months"] = c["months"]
            use["start"] = c["start"]
        if duo.MOR in modifiers:
            use["moratorium"] = c["moratorium"]
        for modifier, key in ((duo.US, "users"), (duo.PS, "projects"), (duo.IS, "institutions")):
            if modifier in modifiers:
                use[key] = _lines(c[key])
        if duo.RS in modifiers:
            use["restriction_text"] = c["restriction_text"]
        return use


class StaffFindForm(forms.Form):
    code = forms.CharField(label="Subject code", required=False, max_length=16)
    mrn = forms.CharField(label="or hospital number (MRN)", required=False, max_length=64)
