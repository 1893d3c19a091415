"""Reading a FHIR Consent (R4B or R5) into a ``ConsentDocument``.

Only what we can represent faithfully is accepted: a research consent about one subject
(by public code or MRN identifier), one provision whose purposes and codes are DUO terms,
disease terms and data categories, a period, and permit (active) or deny (inactive, a
withdrawal). Anything else that changes what the consent means (actors, actions, data
references, security labels, nested provisions, foreign policies, unknown extensions) is
refused with the FHIRPath of the element, before anything is stored.
"""

from __future__ import annotations

import re
from datetime import datetime

from pydantic import ValidationError

from consent import duo
from consent.exceptions import FhirRefused
from consent.fhir import document as d
from consent.fhir.document import ConsentDocument, FhirVersion
from consent.fhir.emit import validate
from governance.errors import ValidationFailed

# Elements that carry no data-use meaning for us: read past them.
_IGNORED_R4 = {"id", "meta", "text", "language", "identifier", "dateTime", "performer", "organization",
               "sourceAttachment", "sourceReference", "verification"}  # fmt: skip
_IGNORED_R5 = {"id", "meta", "text", "language", "identifier", "date", "grantor", "manager", "controller",
               "sourceAttachment", "sourceReference", "verification"}  # fmt: skip
_HANDLED_R4 = {
    "resourceType",
    "status",
    "scope",
    "category",
    "patient",
    "policy",
    "policyRule",
    "provision",
    "extension",
}
_HANDLED_R5 = {
    "resourceType",
    "status",
    "category",
    "subject",
    "period",
    "policyBasis",
    "decision",
    "provision",
    "extension",
}
_PROVISION_R4 = {"id", "type", "period", "purpose", "code"}
_PROVISION_R5 = {"id", "period", "purpose", "code"}
_WHY = {
    "provision": "nested provisions are not supported",
    "actor": "restrictions to particular actors are not supported",
    "action": "restrictions to particular actions are not supported",
    "securityLabel": "security-label restrictions are not supported",
    "class": "restrictions to resource classes are not supported",
    "documentType": "restrictions to document types are not supported",
    "resourceType": "restrictions to resource types are not supported",
    "dataPeriod": "restrictions to a period of data are not supported",
    "data": "restrictions to particular data items are not supported",
    "expression": "computable expressions are not supported",
    "grantee": "consents granted to particular parties are not supported",
    "contained": "contained resources are not supported",
    "modifierExtension": "modifier extensions are not supported",
    "implicitRules": "implicit rules are not supported",
    "policyText": "a policy given as a document reference is not supported",
    "regulatoryBasis": "regulatory bases are not supported",
}
_PARAM_EXT = {
    d.EXT_COUNTRY: (duo.GS, "countries", "valueCode"),
    d.EXT_MONTHS: (duo.TS, "months", "valuePositiveInt"),
    d.EXT_START: (duo.TS, "start", "valueDate"),
    d.EXT_MORATORIUM: (duo.MOR, "moratorium", "valueDate"),
    d.EXT_USER: (duo.US, "users", "valueString"),
    d.EXT_PROJECT: (duo.PS, "projects", "valueString"),
    d.EXT_INSTITUTION: (duo.IS, "institutions", "valueString"),
    d.EXT_RESTRICTION: (duo.RS, "restriction_text", "valueString"),
}
_LIST_PARAMS = {"countries", "users", "projects", "institutions"}
_FULL_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
_DIGEST = re.compile(r"^[0-9a-f]{64}$")


def detect_version(resource: dict) -> FhirVersion:
    if any(
        k in resource
        for k in (
            "patient",
            "scope",
            "dateTime",
            "policy",
            "policyRule",
            "organization",
            "performer",
        )
    ):
        return FhirVersion.R4
    if isinstance(resource.get("provision"), dict):
        return FhirVersion.R4
    return FhirVersion.R5


def _pydantic_path(error: dict) -> str:
    path = "Consent"
    for part in error.get("loc", ()):
        if isinstance(part, int):
            path += f"[{part}]"
        elif part not in ("__root__",):
            path += f".{part}"
    return path


def _refuse_unknown(node: dict, path: str, allowed: set[str]) -> None:
    for key, value in node.items():
        if key not in allowed:
            where = f"{path}.{key}[0]" if isinstance(value, list) and value else f"{path}.{key}"
            raise FhirRefused(where, _WHY.get(key, "this element is not supported"))


def _codings(concept: dict, path: str) -> list[tuple[str, dict]]:
    codings = concept.get("coding") or []
    if not codings:
        raise FhirRefused(path, "a code needs a coding with a system")
    return [(f"{path}.coding[{i}]", c) for i, c in enumerate(codings)]


def _subject(ref: dict | None, path: str) -> tuple[str | None, str | None]:
    if not ref:
        raise FhirRefused(path, "the consent must name its patient")
    identifier = ref.get("identifier") or {}
    value = (identifier.get("value") or "").strip()
    system = identifier.get("system") or ""
    types = [
        c.get("code")
        for c in (identifier.get("type") or {}).get("coding", [])
        if c.get("system") == d.V2_IDENTIFIER_TYPE
    ]
    if value and system == d.SUBJECT_CODE_SYSTEM:
        return value, None
    if value and (system == d.MRN_SYSTEM or "MR" in types):
        return None, value
    raise FhirRefused(
        f"{path}.identifier",
        "the patient must be identified by a Helix subject code or an MRN identifier",
    )


def _instant(value, path: str) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, str) or not _FULL_DATETIME.match(value):
        raise FhirRefused(path, "needs a full date and time with a time zone")
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _period(period: dict | None, path: str) -> tuple[datetime | None, datetime | None]:
    if not period:
        return None, None
    start, end = (
        _instant(period.get("start"), f"{path}.start"),
        _instant(period.get("end"), f"{path}.end"),
    )
    if start and end and end <= start:
        raise FhirRefused(f"{path}.end", "the period ends before it starts")
    return start, end


def _text(resource: dict, version: FhirVersion) -> tuple[str, str]:
    if version == FhirVersion.R4:
        for i, rule in enumerate(
            resource.get("policyRule", {}).get("coding", []) if resource.get("policyRule") else []
        ):
            if (rule.get("system"), rule.get("code")) != (d.ACT_CODE, "OPTIN"):
                raise FhirRefused(
                    f"Consent.policyRule.coding[{i}]",
                    "only an opt-in policy rule (OPTIN) is supported",
                )
        policies = [
            (f"Consent.policy[{i}]", p.get("uri") or "", p)
            for i, p in enumerate(resource.get("policy") or [])
        ]
    else:
        basis = resource.get("policyBasis")
        policies = [("Consent.policyBasis", (basis or {}).get("url") or "", basis)] if basis else []
    text_version = None
    for path, uri, node in policies:
        if set(node) - {"uri", "url"} or not uri.startswith(d.TEXT_POLICY_PREFIX):
            raise FhirRefused(
                path,
                "only a Helix consent text policy (urn:helix-consent:consent-text:...) is supported",
            )
        text_version = uri[len(d.TEXT_POLICY_PREFIX) :]
    digest = None
    for i, ext in enumerate(resource.get("extension") or []):
        if ext.get("url") != d.EXT_TEXT_DIGEST:
            raise FhirRefused(f"Consent.extension[{i}]", "unknown extension")
        digest = ext.get("valueString") or ""
        if not _DIGEST.match(digest):
            raise FhirRefused(
                f"Consent.extension[{i}]", "the consent text digest must be a SHA-256 in hex"
            )
    if text_version is None or digest is None:
        raise FhirRefused(
            "Consent", "the consent text the patient agreed to (policy and its SHA-256) is required"
        )
    return text_version, digest


def _research_scope(resource: dict, version: FhirVersion) -> None:
    if version == FhirVersion.R4:
        codes = [
            (c.get("system"), c.get("code"))
            for c in (resource.get("scope") or {}).get("coding", [])
        ]
        if (d.CONSENT_SCOPE, "research") not in codes:
            raise FhirRefused("Consent.scope", "only research consents can be imported")
    else:
        codes = [
            (c.get("system"), c.get("code"))
            for cat in resource.get("category") or []
            for c in cat.get("coding", [])
        ]
        if (d.CONSENT_SCOPE, "research") not in codes:
            raise FhirRefused(
                "Consent.category", "only research consents (consentscope#research) can be imported"
            )


def _status(resource: dict, version: FhirVersion, provision: dict, ppath: str) -> str:
    status = resource.get("status")
    if version == FhirVersion.R4:
        rule, where = provision.get("type"), f"{ppath}.type"
    else:
        rule, where = resource.get("decision"), "Consent.decision"
    if rule not in ("permit", "deny"):
        raise FhirRefused(where, "a permit or deny rule is required")
    if status == "active" and rule == "permit":
        return "active"
    if status == "inactive" and rule == "deny":
        return "withdrawn"
    if status not in ("active", "inactive"):
        raise FhirRefused(
            "Consent.status",
            f"a {status} consent cannot be imported (only active, or inactive as a withdrawal)",
        )
    raise FhirRefused(
        where,
        f"a {rule} rule on an {status} consent is not supported (opt-outs of particular uses cannot be represented)",
    )


def _add_param(terms: dict, ext: dict, path: str, modifier: str) -> None:
    url = ext.get("url")
    if url not in _PARAM_EXT or _PARAM_EXT[url][0] != modifier:
        raise FhirRefused(path, "unknown extension for this code")
    _, field, value_key = _PARAM_EXT[url]
    if set(ext) != {"url", value_key}:
        raise FhirRefused(path, f"expected {value_key}")
    value = ext[value_key]
    if field in _LIST_PARAMS:
        terms.setdefault(field, []).append(value)
    elif field in terms:
        raise FhirRefused(path, f"{field} is given twice")
    else:
        terms[field] = value


def _provision_terms(provision: dict, ppath: str) -> tuple[dict, list[str]]:
    terms: dict = {"modifiers": [], "diseases": []}
    permissions: list[tuple[str, str]] = []
    categories: list[str] = []
    for i, coding in enumerate(provision.get("purpose") or []):
        path, system, code = f"{ppath}.purpose[{i}]", coding.get("system"), coding.get("code")
        if (system, code) == (d.ACT_REASON, "HRESCH"):
            continue  # "healthcare research": implied by every DUO permission
        if system != d.DUO_SYSTEM:
            raise FhirRefused(
                path,
                "only DUO purposes (system http://purl.obolibrary.org/obo/duo.owl) are supported",
            )
        if code in duo.PERMISSIONS:
            permissions.append((path, code))
        else:
            terms["modifiers"].append(code)
    for i, concept in enumerate(provision.get("code") or []):
        cpath = f"{ppath}.code[{i}]"
        _refuse_unknown(concept, cpath, {"coding", "extension", "text"})
        codings = _codings(concept, cpath)
        if len(codings) != 1:
            raise FhirRefused(cpath, "each code must have exactly one coding")
        path, coding = codings[0]
        system, code = coding.get("system"), coding.get("code") or ""
        if concept.get("extension") and system != d.DUO_SYSTEM:
            raise FhirRefused(f"{cpath}.extension[0]", "unknown extension")
        if system == d.DUO_SYSTEM:
            if code in duo.PERMISSIONS:
                permissions.append((path, code))
            else:
                terms["modifiers"].append(code)
            for j, ext in enumerate(concept.get("extension") or []):
                _add_param(terms, ext, f"{cpath}.extension[{j}]", code)
        elif system == d.CATEGORY_SYSTEM:
            if code not in d.CATEGORIES or code in categories:
                raise FhirRefused(
                    path,
                    f"{code!r} is not a data category (genomic, clinical, demographic) or is repeated",
                )
            categories.append(code)
        elif d.disease_curie(system, code):
            terms["diseases"].append(d.disease_curie(system, code))
        else:
            raise FhirRefused(f"{path}.system", f"code system {system!r} is not supported")
    if len(permissions) != 1:
        where = permissions[1][0] if len(permissions) > 1 else f"{ppath}.purpose"
        raise FhirRefused(
            where, "exactly one DUO permission (NRES, GRU, HMB, DS or POA) is required"
        )
    terms["permission"] = permissions[0][1]
    if not categories:
        raise FhirRefused(
            f"{ppath}.code", "the data categories (genomic, clinical, demographic) must be named"
        )
    return terms, [c for c in d.CATEGORIES if c in categories]


def from_fhir(resource: dict, version: FhirVersion | str | None = None) -> ConsentDocument:
    """Read a Consent resource; ``FhirRefused`` names the first element we cannot represent."""
    if not isinstance(resource, dict) or resource.get("resourceType") != "Consent":
        raise FhirRefused("resourceType", "not a Consent resource")
    version = FhirVersion(version) if version else detect_version(resource)
    try:
        validate(resource, version)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise FhirRefused(
            _pydantic_path(first), f"invalid FHIR {version.value.upper()}: {first.get('msg')}"
        ) from None
    r4 = version == FhirVersion.R4
    _refuse_unknown(
        resource, "Consent", (_IGNORED_R4 | _HANDLED_R4) if r4 else (_IGNORED_R5 | _HANDLED_R5)
    )
    provisions = resource.get("provision")
    if r4:
        provision, ppath = provisions, "Consent.provision"
    else:
        if provisions and len(provisions) > 1:
            raise FhirRefused("Consent.provision[1]", "only one provision is supported")
        provision, ppath = (provisions[0] if provisions else None), "Consent.provision[0]"
    if not provision:
        raise FhirRefused(
            "Consent.provision", "the consent must state its DUO purposes in a provision"
        )
    _refuse_unknown(provision, ppath, _PROVISION_R4 if r4 else _PROVISION_R5)
    _research_scope(resource, version)
    code, mrn = _subject(
        resource.get("patient" if r4 else "subject"), "Consent.patient" if r4 else "Consent.subject"
    )
    status = _status(resource, version, provision, ppath)
    if r4:
        start, end = _period(provision.get("period"), f"{ppath}.period")
    else:
        if provision.get("period") and resource.get("period"):
            raise FhirRefused(f"{ppath}.period", "give the period once, on the Consent")
        start, end = (
            _period(resource.get("period"), "Consent.period")
            if resource.get("period")
            else _period(provision.get("period"), f"{ppath}.period")
        )
    terms, categories = _provision_terms(provision, ppath)
    text_version, digest = _text(resource, version)
    try:
        data_use = duo.DataUse.from_dict(
            {k: v for k, v in terms.items() if v not in ([], None)}, where=ppath
        )
    except ValidationFailed as exc:
        path, _, reason = exc.message.partition(": ")
        raise FhirRefused(path, reason) from None
    consent_version = None
    for identifier in resource.get("identifier") or []:
        value = identifier.get("value") or ""
        if identifier.get("system") == d.CONSENT_ID_SYSTEM and re.match(r"^.+-v\d+$", value):
            consent_version = int(value.rsplit("-v", 1)[1])
    return ConsentDocument(
        status=status,
        data_use=data_use,
        categories=tuple(categories),
        text_version=text_version,
        text_digest=digest,
        subject_code=code,
        mrn=mrn,
        version=consent_version,
        valid_from=start,
        valid_until=end,
    )
