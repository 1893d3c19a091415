"""Forms of the steward pages: input validation only; the services do the work."""

from __future__ import annotations

from django import forms

from genomics.services.ingest import ASSEMBLIES


class UploadForm(forms.Form):
    file = forms.FileField(
        label="VCF file",
        help_text="VCF 4.1 to 4.4, plain text or bgzip (.vcf or .vcf.gz).",
    )
    subject = forms.CharField(
        label="Subject code",
        required=False,
        max_length=16,
        help_text="For a single-sample file: the subject's code, such as HX-7K2M9Q4T8R.",
    )
    sample_map = forms.FileField(
        label="Sample map",
        required=False,
        help_text="For a multi-sample file: a TSV with two columns, sample ID and subject code, "
        "no header. Samples not in the map are skipped.",
    )
    assembly = forms.ChoiceField(
        label="Assembly",
        required=False,
        choices=[("", "From the file's header (GRCh37 if it does not say)")]
        + [(a, a) for a in ASSEMBLIES],
    )

    def clean(self):
        data = super().clean()
        if bool(data.get("subject")) == bool(data.get("sample_map")):
            raise forms.ValidationError("Give either a subject code or a sample map, not both.")
        return data
