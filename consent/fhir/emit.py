"""A ``ConsentDocument`` as a FHIR Consent resource (R4B or R5), validated on the way out."""

from __future__ import annotations

from datetime import UTC, datetime

from consent import duo
from consent.fhir import document as d
from consent.fhir.document import ConsentDocument, FhirVersion
from consent.plain_language import term_label


def _instant(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _duo_coding(code: str) -> dict:
    return {"system": d.DUO_SYSTEM, "code": code, "display": term_label(code)}


def _modifier_concept(code: str, use: duo.DataUse) -> dict:
    extensions: list[dict] = []
    if code == duo.GS:
        extensions += [{"url": d.EXT_COUNTRY, "valueCode": c} for c in use.countries]
    if code == duo.TS:
        extensions.append({"url": d.EXT_MONTHS, "valuePositiveInt": use.months})
        if use.start is not None:
            extensions.append({"url": d.EXT_START, "valueDate": use.start.isoformat()})
    if code == duo.MOR:
        extensions.append({"url": d.EXT_MORATORIUM, "valueDate": use.moratorium.isoformat()})
    if code == duo.US:
        extensions += [{"url": d.EXT_USER, "valueString": v} for v in use.users]
    if code == duo.PS:
        extensions += [{"url": d.EXT_PROJECT, "valueString": v} for v in use.projects]
    if code == duo.IS:
        extensions += [{"url": d.EXT_INSTITUTION, "valueString": v} for v in use.institutions]
    if code == duo.RS:
        extensions.append({"url": d.EXT_RESTRICTION, "valueString": use.restriction_text})
    concept: dict = {"coding": [_duo_coding(code)]}
    if extensions:
        concept["extension"] = extensions
    return concept


def _provision(doc: ConsentDocument, version: FhirVersion) -> dict:
    use = doc.data_use
    codes = [_modifier_concept(code, use) for code in use.modifiers]
    codes += [{"coding": [d.disease_coding(curie)]} for curie in use.diseases]
    codes += [{"coding": [{"system": d.CATEGORY_SYSTEM, "code": c}]} for c in doc.categories]
    provision: dict = {"purpose": [_duo_coding(use.permission)]}
    if version == FhirVersion.R4:
        provision = {"type": "permit" if doc.status == "active" else "deny", **provision}
        period = _period(doc)
        if period:
            provision["period"] = period
    if codes:
        provision["code"] = codes
    return provision


def _period(doc: ConsentDocument) -> dict:
    period = {}
    if doc.valid_from is not None:
        period["start"] = _instant(doc.valid_from)
    if doc.valid_until is not None:
        period["end"] = _instant(doc.valid_until)
    return period


def _subject_reference(doc: ConsentDocument) -> dict:
    return {"identifier": {"system": d.SUBJECT_CODE_SYSTEM, "value": doc.subject_code}}


def to_fhir(
    doc: ConsentDocument,
    version: FhirVersion | str = FhirVersion.R5,
    *,
    recorded_at: datetime | None = None,
) -> dict:
    """The Consent resource as a JSON-ready dict, validated with ``fhir.resources``."""
    version = FhirVersion(version)
    resource: dict = {"resourceType": "Consent"}
    if doc.subject_code and doc.version:
        resource["id"] = f"{doc.subject_code}-v{doc.version}"
        resource["identifier"] = [{"system": d.CONSENT_ID_SYSTEM, "value": resource["id"]}]
    resource["extension"] = [{"url": d.EXT_TEXT_DIGEST, "valueString": doc.text_digest}]
    resource["status"] = "active" if doc.status == "active" else "inactive"
    research = {"coding": [{"system": d.CONSENT_SCOPE, "code": "research", "display": "Research"}]}
    document = {"coding": [{"system": d.LOINC, "code": "59284-0", "display": "Consent Document"}]}
    policy_uri = d.TEXT_POLICY_PREFIX + doc.text_version
    if version == FhirVersion.R4:
        resource["scope"] = research
        resource["category"] = [document]
        resource["patient"] = _subject_reference(doc)
        if recorded_at is not None:
            resource["dateTime"] = _instant(recorded_at)
        resource["policy"] = [{"uri": policy_uri}]
    else:
        resource["category"] = [research, document]
        resource["subject"] = _subject_reference(doc)
        if recorded_at is not None:
            resource["date"] = recorded_at.astimezone(UTC).date().isoformat()
        period = _period(doc)
        if period:
            resource["period"] = period
        resource["policyBasis"] = {"url": policy_uri}
        resource["decision"] = "permit" if doc.status == "active" else "deny"
    provision = _provision(doc, version)
    resource["provision"] = provision if version == FhirVersion.R4 else [provision]
    validate(resource, version)
    return resource


def model_class(version: FhirVersion):
    if version == FhirVersion.R4:
        from fhir.resources.R4B.consent import Consent
    else:
        from fhir.resources.consent import Consent
    return Consent


def validate(resource: dict, version: FhirVersion | str):
    """Parse ``resource`` with the ``fhir.resources`` model of ``version`` (raises on error)."""
    return model_class(FhirVersion(version)).model_validate(resource)
