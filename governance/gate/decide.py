"""Decisions: may this purpose use this subject's data of this category, at this instant?

The only place a ``Decision`` is built. The answer uses the consent version in force at
the instant (the latest version recorded at or before it), so "was this lawful when it
ran?" has an answer, and a withdrawal recorded at t denies every decision after t.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from django.utils import timezone

from consent.duo import DataUse
from consent.models import ConsentRecord, ConsentStatus
from governance.audit import Action, Outcome, audit_append, audit_batch
from governance.errors import ValidationFailed
from governance.gate.decision import CATEGORIES, Decision, Reason
from governance.gate.matcher import PERMIT, REVIEW, match, ts_end
from governance.gate.purpose import Purpose

# A decision is short-lived: long enough for one read, never past the consent's period.
DECISION_TTL = timedelta(minutes=5)
_IN_CHUNK = 500  # subject IDs per query


def consent_in_force(*, subject, at: datetime) -> ConsentRecord | None:
    """The consent version recorded last at or before ``at`` (None if none was)."""
    return (
        ConsentRecord.objects.filter(subject_id=subject.pk, recorded_at__lte=at)
        .order_by("-version")
        .first()
    )


def _gate_reason(code: str, message: str) -> Reason:
    return Reason(code=code, term=code.split(".", 1)[-1], message=message)


def evaluate(
    *,
    subject,
    record: ConsentRecord | None,
    purpose: Purpose,
    category: str,
    at: datetime,
    generation=None,
):
    """(allowed, reasons, valid_until) for a subject whose in-force version is ``record``."""
    if subject.erased_at is not None:
        return False, (_gate_reason("subject.erased", "The subject's data has been erased."),), at
    if record is None:
        return (
            False,
            (_gate_reason("consent.none", "No consent was recorded at that instant."),),
            at,
        )
    version = _gate_reason(
        "consent.version", f"Consent version {record.version} is the one in force."
    )
    if record.status == ConsentStatus.WITHDRAWN:
        return (
            False,
            (version, _gate_reason("consent.withdrawn", "Consent has been withdrawn.")),
            at,
        )
    if record.status != ConsentStatus.ACTIVE:
        return False, (version, _gate_reason("consent.inactive", "Consent is not active.")), at
    if record.valid_from > at:
        return (
            False,
            (version, _gate_reason("consent.not_yet_valid", "Consent is not yet valid.")),
            at,
        )
    if record.valid_until is not None and record.valid_until <= at:
        return False, (version, _gate_reason("consent.expired", "Consent has expired.")), at
    if not getattr(record, f"cat_{category}"):
        return (
            False,
            (version, _gate_reason("consent.category", f"Consent does not cover {category} data.")),
            at,
        )
    try:
        data_use = DataUse.from_consent(record)
    except ValidationFailed:
        return (
            False,
            (
                version,
                _gate_reason(
                    "consent.unreadable", "The consent's data-use terms are not valid DUO."
                ),
            ),
            at,
        )
    consent_start = record.valid_from.astimezone(UTC).date()
    result = match(data_use, purpose, at, consent_start=consent_start, generation=generation)
    reasons = (version, *result.reasons)
    if result.result == REVIEW:
        reasons += (
            _gate_reason(
                "gate.review", "A person must review this use; the gate does not permit it."
            ),
        )
    if result.result != PERMIT:
        return False, reasons, at
    until = at + DECISION_TTL
    if record.valid_until is not None:
        until = min(until, record.valid_until)
    end = ts_end(data_use, consent_start)
    if end is not None:
        until = min(until, datetime.combine(end, time.min, tzinfo=UTC))
    return True, reasons, until


def _check_request(purpose: Purpose, categories) -> None:
    for category in categories:
        if category not in CATEGORIES:
            raise ValidationFailed(f"category: expected one of {', '.join(CATEGORIES)}")
    if not isinstance(purpose, Purpose):
        raise ValidationFailed("purpose: expected a Purpose (use Purpose.from_dict)")


def _decision(
    *, subject, record, purpose: Purpose, purpose_id: str, category: str, at: datetime
) -> Decision:
    allowed, reasons, valid_until = evaluate(
        subject=subject, record=record, purpose=purpose, category=category, at=at
    )
    return Decision(
        allowed=allowed,
        subject_id=subject.pk,
        purpose_id=str(purpose_id),
        category=category,
        consent_version_id=record.pk if record is not None else None,
        reasons=tuple(reasons),
        decided_at=at,
        valid_until=valid_until,
    )


def _audit(decision: Decision, *, subject, actor) -> None:
    audit_append(
        actor=actor or "system",
        action=Action.GATE_DECISION,
        object_type="subject",
        object_id=subject.pk,
        subject_code=subject.code,
        purpose=decision.purpose_id,
        outcome=Outcome.ALLOWED if decision.allowed else Outcome.DENIED,
        extra={
            "purpose_id": decision.purpose_id[:200],
            "category": decision.category,
            "consent_version_id": decision.consent_version_id,
            "at": decision.decided_at.astimezone(UTC).isoformat(timespec="microseconds"),
            "reasons": [r.code for r in decision.reasons],
        },
    )


def decide(
    *,
    subject,
    purpose: Purpose,
    purpose_id: str,
    category: str,
    at: datetime | None = None,
    actor=None,
    audit: bool = True,
) -> Decision:
    """The gate's answer for (subject, purpose, category, instant), audited.

    Uses the consent version in force at ``at`` (default now). Withdrawn, expired, not
    yet valid or erased consent denies, as does a category the consent does not cover
    or a data use that does not permit the purpose ("review" is not a permit). An
    allowed decision is valid for a few minutes and never past the consent's period or
    its time limit. Every decision, allowed or denied, is written to the audit ledger
    (``audit=False`` only for previews that lead to no data access).
    """
    _check_request(purpose, [category])
    decided_at = at or timezone.now()
    record = consent_in_force(subject=subject, at=decided_at)
    decision = _decision(
        subject=subject, record=record, purpose=purpose, purpose_id=purpose_id,
        category=category, at=decided_at,
    )  # fmt: skip
    if audit:
        _audit(decision, subject=subject, actor=actor)
    return decision


def consents_in_force(*, subject_ids: list[int], at: datetime) -> dict[int, ConsentRecord]:
    """For each subject, the consent version recorded last at or before ``at`` (subjects
    with none are absent)."""
    found: dict[int, ConsentRecord] = {}
    for first in range(0, len(subject_ids), _IN_CHUNK):
        rows = ConsentRecord.objects.filter(
            subject_id__in=subject_ids[first : first + _IN_CHUNK], recorded_at__lte=at
        ).order_by("subject_id", "version")
        for record in rows:
            found[record.subject_id] = record  # the highest version comes last
    return found


def decide_many(
    *,
    subjects,
    purpose: Purpose,
    purpose_id: str,
    categories,
    at: datetime | None = None,
    actor=None,
) -> dict[int, dict[str, Decision]]:
    """``decide`` for every subject and category at one instant, in a few queries.

    Returns ``{subject id: {category: Decision}}``. Each decision is the one ``decide``
    would make and is audited the same way; the events are written together.
    """
    categories = list(categories)
    _check_request(purpose, categories)
    decided_at = at or timezone.now()
    subjects = list(subjects)
    records = consents_in_force(subject_ids=[s.pk for s in subjects], at=decided_at)
    decisions: dict[int, dict[str, Decision]] = {}
    with audit_batch():
        for subject in subjects:
            record = records.get(subject.pk)
            mine = decisions[subject.pk] = {}
            for category in categories:
                mine[category] = decision = _decision(
                    subject=subject, record=record, purpose=purpose, purpose_id=purpose_id,
                    category=category, at=decided_at,
                )  # fmt: skip
                _audit(decision, subject=subject, actor=actor)
    return decisions
