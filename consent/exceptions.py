"""Errors the consent app raises, in the platform's one error vocabulary."""

from __future__ import annotations

from governance.errors import Conflict, InvalidTransition, ValidationFailed


class ConsentTransitionInvalid(InvalidTransition):
    """The requested event does not follow from the subject's current consent."""

    default_code = "consent_transition_invalid"


class ConsentClockSkew(Conflict):
    """A new version may not be recorded before the latest one."""

    default_code = "consent_clock_skew"


class SubjectIdentifierTaken(Conflict):
    """Another subject already holds this MRN or email (found through the blind index)."""

    default_code = "subject_identifier_taken"


class FhirRefused(ValidationFailed):
    """A FHIR resource that cannot be represented faithfully. ``extra["fhirpath"]`` names
    the offending element."""

    default_code = "fhir_refused"

    def __init__(self, fhirpath: str, reason: str):
        super().__init__(f"{fhirpath}: {reason}", extra={"fhirpath": fhirpath, "reason": reason})
        self.fhirpath = fhirpath
        self.reason = reason
