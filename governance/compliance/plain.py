"""Ledger events in plain words, for the patient's "who used my data" page.

Patients never see bare action codes or role names: each event becomes a sentence
about what happened to their data, who did it (by role), for which project and with
what result.
"""

from __future__ import annotations

from governance.ledger.actions import Action, Outcome
from governance.ledger.models import AuditEvent
from governance.roles import Role

ACTION_WORDS = {
    Action.SUBJECT_CREATE: "Your record was registered",
    Action.SUBJECT_READ: "Your record was looked at",
    Action.SUBJECT_LINK_USER: "Your record was linked to your portal account",
    Action.SUBJECT_ERASE: "Your data was erased",
    Action.CONSENT_GRANT: "Consent was given",
    Action.CONSENT_AMEND: "Consent was changed",
    Action.CONSENT_WITHDRAW: "Consent was withdrawn",
    Action.CONSENT_READ: "Your consent was looked at",
    Action.CONSENT_IMPORT: "Your consent was imported from another system",
    Action.CONSENT_EXPORT: "Your consent was sent to another system",
    Action.RECEIPT_DOWNLOAD: "A consent receipt was downloaded",
    Action.PATIENT_DATA_DOWNLOAD: "A copy of your records was downloaded",
    Action.GATE_DECISION: "Your consent was checked before a use of your data",
    Action.GENOMIC_INGEST: "Your genomic data was stored in the encrypted vault",
    Action.GENOMIC_INGEST_REJECTED: "A genomic file for you was refused by the vault",
    Action.GENOMIC_READ: "Your genomic data was read",
    Action.VARIANT_QUERY: "Your genetic variants were searched",
    Action.KEY_ROTATE: "The key protecting your data was renewed",
    Action.KEY_RETIRE: "An old key protecting your data was retired",
    Action.EXPORT_REQUEST: "Your data was considered for a research data set",
    Action.EXPORT_START: "A research data set including you was started",
    Action.EXPORT_SUBJECT_REMOVED: "You were left out of a research data set",
    Action.EXPORT_SUBJECT_INCLUDED: "Your de-identified data was included in a research data set",
    Action.EXPORT_COMPLETE: "A research data set including your de-identified data was completed",
    Action.EXPORT_FAIL: "A research data set including you was not produced",
    Action.EXPORT_CANCEL: "A research data set including you was cancelled",
    Action.EXPORT_DOWNLOAD: "A research data set including your de-identified data was downloaded",
    Action.AUDIT_VIEW: "A compliance officer reviewed the record of uses of your data",
    Action.AUDIT_EXPORT: "A compliance officer exported the record of uses of your data",
}

_ROLE_WORDS = (
    (Role.DATA_STEWARD, "A data steward"),
    (Role.RESEARCHER, "A researcher"),
    (Role.DAC_MEMBER, "The data access committee"),
    (Role.COMPLIANCE_OFFICER, "A compliance officer"),
    (Role.PATIENT, "A patient"),
)

_OUTCOME_WORDS = {
    Outcome.ALLOWED: "Allowed",
    Outcome.DENIED: "Refused",
    Outcome.FAILED: "Did not complete",
}


def describe_action(action: str) -> str:
    return ACTION_WORDS.get(action, "Something was recorded about your data")


def describe_actor(event: AuditEvent, *, viewer) -> str:
    if viewer is not None and event.actor_id is not None and event.actor_id == viewer.pk:
        return "You"
    if event.actor_id is None:
        return "Helix Consent, automatically"
    roles = set(event.actor_role.split(","))
    for role, words in _ROLE_WORDS:
        if role in roles:
            return words
    return "A member of staff"


def describe_outcome(event: AuditEvent) -> str:
    words = _OUTCOME_WORDS.get(event.outcome, "Recorded")
    if event.outcome == Outcome.DENIED and event.action == Action.GATE_DECISION:
        return "Refused: your consent does not allow this use"
    return words


def describe_purposes(purposes: set[str]) -> dict[str, str]:
    """Plain names for purpose references such as ``grant:12`` and ``request:3``."""
    from governance.access.models import AccessGrant, AccessRequest

    grant_ids = {int(p[6:]) for p in purposes if p.startswith("grant:") and p[6:].isdigit()}
    request_ids = {int(p[8:]) for p in purposes if p.startswith("request:") and p[8:].isdigit()}
    titles = {}
    for grant in AccessGrant.objects.filter(pk__in=grant_ids).select_related("request"):
        titles[f"grant:{grant.pk}"] = f"Research project \u201c{grant.request.title}\u201d (approved access no. {grant.pk})"
    for request in AccessRequest.objects.filter(pk__in=request_ids):
        titles[f"request:{request.pk}"] = f"Research proposal \u201c{request.title}\u201d (request no. {request.pk})"
    names = {}
    for purpose in purposes:
        if not purpose:
            names[purpose] = "Not part of a research project"
        else:
            names[purpose] = titles.get(purpose, f"Recorded under reference {purpose}")
    return names


def describe_events(events: list[AuditEvent], *, viewer) -> list[dict]:
    """One plain-words row per event, in the order given."""
    purposes = describe_purposes({event.purpose for event in events})
    return [
        {
            "seq": event.seq,
            "when": event.occurred_at,
            "what": describe_action(event.action),
            "who": describe_actor(event, viewer=viewer),
            "project": purposes[event.purpose],
            "outcome": describe_outcome(event),
            "outcome_state": event.outcome,
        }
        for event in events
    ]
