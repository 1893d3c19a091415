"""HL7 FHIR Consent (R4B and R5) in and out.

``document`` holds the platform-neutral ``ConsentDocument`` and the code systems we
use; ``emit`` turns a document into a validated FHIR resource; ``parse`` reads one back,
refusing (``FhirRefused``, with the FHIRPath of the offending element) anything it
cannot represent faithfully; ``service`` ties them to subjects and consent versions.
"""

from consent.fhir.document import ConsentDocument, FhirVersion
from consent.fhir.emit import to_fhir
from consent.fhir.parse import from_fhir

__all__ = ["ConsentDocument", "FhirVersion", "from_fhir", "to_fhir"]
