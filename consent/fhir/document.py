"""The consent as FHIR sees it, and the code systems of our mapping.

Mapping (both R4B and R5):

* the DUO permission goes in ``provision.purpose``; DUO modifiers, disease terms and the
  data categories go in ``provision.code``, told apart by their system;
* a modifier's parameters (GS countries, TS months and start, MOR date, US/PS/IS names,
  RS text) are extensions on that modifier's CodeableConcept;
* status ``active`` with a permit rule is an active consent; ``inactive`` with a deny
  rule is a withdrawal;
* the validity period is ``Consent.period`` (R5) or ``provision.period`` (R4B);
* the consent text is a policy URI ``urn:helix-consent:consent-text:<version>`` plus an
  extension holding its SHA-256;
* the subject is identified by its public code (never by a direct identifier); on
  import an MRN identifier also matches.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from consent.duo import DataUse

DUO_SYSTEM = "http://purl.obolibrary.org/obo/duo.owl"
SUBJECT_CODE_SYSTEM = "urn:helix-consent:subject-code"
MRN_SYSTEM = "urn:helix-consent:mrn"
CONSENT_ID_SYSTEM = "urn:helix-consent:consent-version"
CATEGORY_SYSTEM = "urn:helix-consent:data-category"
TEXT_POLICY_PREFIX = "urn:helix-consent:consent-text:"
EXT = "urn:helix-consent:fhir:"
EXT_TEXT_DIGEST = EXT + "consent-text-sha256"
EXT_COUNTRY = EXT + "duo-country"
EXT_MONTHS = EXT + "duo-months"
EXT_START = EXT + "duo-start"
EXT_MORATORIUM = EXT + "duo-moratorium"
EXT_USER = EXT + "duo-user"
EXT_PROJECT = EXT + "duo-project"
EXT_INSTITUTION = EXT + "duo-institution"
EXT_RESTRICTION = EXT + "duo-restriction"
V2_IDENTIFIER_TYPE = "http://terminology.hl7.org/CodeSystem/v2-0203"
CONSENT_SCOPE = "http://terminology.hl7.org/CodeSystem/consentscope"
LOINC = "http://loinc.org"
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
ACT_REASON = "http://terminology.hl7.org/CodeSystem/v3-ActReason"

# CURIE prefix -> (FHIR system, whether the FHIR code keeps the prefix)
DISEASE_SYSTEMS = {
    "MONDO": ("http://purl.obolibrary.org/obo/mondo.owl", True),
    "DOID": ("http://purl.obolibrary.org/obo/doid.owl", True),
    "ICD10": ("http://hl7.org/fhir/sid/icd-10", False),
    "ICD10CM": ("http://hl7.org/fhir/sid/icd-10-cm", False),
}
SYSTEM_PREFIX = {system: (prefix, keeps) for prefix, (system, keeps) in DISEASE_SYSTEMS.items()}
CATEGORIES = ("genomic", "clinical", "demographic")


class FhirVersion(StrEnum):
    R4 = "r4"  # FHIR R4 4.0.1 as modelled by fhir.resources' R4B package (Consent is unchanged)
    R5 = "r5"


@dataclass(frozen=True)
class ConsentDocument:
    """What a FHIR Consent carries for us; equal documents mean a lossless round trip."""

    status: str  # "active" | "withdrawn"
    data_use: DataUse
    categories: tuple[str, ...]
    text_version: str
    text_digest: str
    subject_code: str | None = None
    mrn: str | None = None  # import only: never emitted
    version: int | None = None
    valid_from: datetime | None = None
    valid_until: datetime | None = None


def disease_coding(curie: str) -> dict:
    prefix, _, local = curie.partition(":")
    system, keeps = DISEASE_SYSTEMS[prefix]
    return {"system": system, "code": curie if keeps else local}


def disease_curie(system: str, code: str) -> str | None:
    if system not in SYSTEM_PREFIX:
        return None
    prefix, keeps = SYSTEM_PREFIX[system]
    return code if keeps else f"{prefix}:{code}"
