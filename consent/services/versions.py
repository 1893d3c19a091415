"""Consent version writes: grant, amend, withdraw (append-only, receipted, audited)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from consent.duo import DataUse, modifiers_field
from consent.exceptions import ConsentClockSkew, ConsentTransitionInvalid
from consent.models import (
    ConsentDisease,
    ConsentEvent,
    ConsentRecord,
    ConsentStatus,
    RecordedVia,
    Subject,
)
from consent.receipts import receipt_claims, receipt_sign
from consent.texts import CURRENT_TEXT_VERSION, consent_text, is_shipped_version
from governance.audit import Action, audit_append
from governance.errors import PermissionDenied, ValidationFailed
from governance.roles import Role, has_role

CATEGORIES = ("genomic", "clinical", "demographic")

# state of the current version (None: never consented) -> events allowed next
TRANSITIONS: dict[str | None, frozenset[str]] = {
    None: frozenset({ConsentEvent.GRANT}),
    ConsentStatus.ACTIVE: frozenset({ConsentEvent.AMEND, ConsentEvent.WITHDRAW}),
    ConsentStatus.WITHDRAWN: frozenset({ConsentEvent.GRANT}),
}
_AUDIT_ACTION = {
    ConsentEvent.GRANT: Action.CONSENT_GRANT,
    ConsentEvent.AMEND: Action.CONSENT_AMEND,
    ConsentEvent.WITHDRAW: Action.CONSENT_WITHDRAW,
}


def _user_or_none(actor):
    return actor if isinstance(actor, get_user_model()) else None


# --- consent versions -----------------------------------------------------------------


def _categories(categories: Iterable[str]) -> list[str]:
    if isinstance(categories, str) or not isinstance(categories, Iterable):
        raise ValidationFailed("categories: expected a list of data categories")
    chosen = list(dict.fromkeys(categories))
    unknown = [c for c in chosen if c not in CATEGORIES]
    if unknown:
        raise ValidationFailed(f"categories: {unknown[0]!r} is not one of {', '.join(CATEGORIES)}")
    if not chosen:
        raise ValidationFailed(
            "categories: choose at least one kind of data (genomic, clinical, demographic)"
        )
    return chosen


def _check_via(*, actor, subject: Subject, via: str) -> None:
    if via not in RecordedVia.values:
        raise ValidationFailed(f"via: expected one of {', '.join(RecordedVia.values)}")
    user = _user_or_none(actor)
    if via == RecordedVia.PORTAL and (user is None or subject.user_id != user.pk):
        raise PermissionDenied("Only the patient can record consent through the portal.")
    if via == RecordedVia.STAFF and (user is None or not has_role(user, Role.DATA_STEWARD)):
        raise PermissionDenied("Only a data steward can record consent on a patient's behalf.")


_EXTERNAL_TEXT_VERSION = re.compile(r"^[A-Za-z0-9._:-]{1,32}$")
_SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")


def _text(*, text_version: str, text_digest: str | None, via: str) -> tuple[str, str]:
    """The consent text's version and SHA-256: a shipped text's own digest, or (for
    consents recorded elsewhere and imported) the digest the source states."""
    if is_shipped_version(text_version):
        text = consent_text(text_version)
        if text_digest is not None and text_digest != text.sha256:
            raise ValidationFailed(f"text_digest: does not match consent text {text_version}")
        return text.version, text.sha256
    if text_digest is None:
        consent_text(text_version)  # raises: unknown version
    if via not in (RecordedVia.FHIR_IMPORT, RecordedVia.API):
        raise ValidationFailed(
            "text_version: only imported consents may name a text that is not shipped"
        )
    if not _EXTERNAL_TEXT_VERSION.match(text_version or "") or not _SHA256_HEX.match(text_digest):
        raise ValidationFailed(
            "text_digest: an external consent text needs a version and a SHA-256 in hex"
        )
    return text_version, text_digest


def _record_version(
    *,
    actor,
    subject: Subject,
    event: str,
    via: str,
    data_use: DataUse | dict | None,
    categories: Iterable[str] | None,
    valid_until: datetime | None,
    text_version: str,
    text_digest: str | None,
    now: datetime | None,
) -> ConsentRecord:
    now = now or timezone.now()
    if timezone.is_naive(now):
        raise ValidationFailed("now: expected an aware datetime")
    _check_via(actor=actor, subject=subject, via=via)
    text_version, text_digest = _text(text_version=text_version, text_digest=text_digest, via=via)
    with transaction.atomic():
        locked = Subject.objects.select_for_update().get(pk=subject.pk)
        if locked.erased_at is not None:
            raise ConsentTransitionInvalid(
                "This subject has been erased; no consent can be recorded."
            )
        current = ConsentRecord.objects.filter(pk=locked.current_consent_id).first()
        state = current.status if current is not None else None
        if event not in TRANSITIONS[state]:
            raise ConsentTransitionInvalid(
                f"event: cannot {event} a consent that is {state or 'not yet given'}",
                extra={"event": event, "state": state or "none"},
            )
        latest = ConsentRecord.objects.filter(subject=locked).order_by("-version").first()
        if latest is not None and now < latest.recorded_at:
            raise ConsentClockSkew(
                "now: a consent version cannot be recorded before the latest one"
            )
        if event == ConsentEvent.WITHDRAW:
            terms = DataUse.from_consent(current)
            chosen = current.categories
            valid_until = current.valid_until
        else:
            terms = data_use if isinstance(data_use, DataUse) else DataUse.from_dict(data_use)
            chosen = _categories(categories if categories is not None else [])
            if valid_until is not None and (timezone.is_naive(valid_until) or valid_until <= now):
                raise ValidationFailed("valid_until: must be a time after now")
        record = ConsentRecord(
            subject=locked,
            version=(latest.version + 1) if latest is not None else 1,
            event=event,
            status=ConsentStatus.WITHDRAWN
            if event == ConsentEvent.WITHDRAW
            else ConsentStatus.ACTIVE,
            permission=terms.permission,
            diseases=list(terms.diseases),
            modifiers=modifiers_field(terms.modifiers),
            countries=list(terms.countries),
            months=terms.months,
            use_start=terms.start,
            moratorium=terms.moratorium,
            users=list(terms.users),
            projects=list(terms.projects),
            institutions=list(terms.institutions),
            restriction_text=terms.restriction_text,
            cat_genomic="genomic" in chosen,
            cat_clinical="clinical" in chosen,
            cat_demographic="demographic" in chosen,
            valid_from=now,
            valid_until=valid_until,
            recorded_at=now,
            recorded_by=_user_or_none(actor),
            recorded_via=via,
            text_version=text_version if event != ConsentEvent.WITHDRAW else current.text_version,
            text_digest=text_digest if event != ConsentEvent.WITHDRAW else current.text_digest,
        )
        record.full_clean(exclude=["receipt"])
        # The receipt is part of the row from the start: the table is append-only.
        record.receipt = receipt_sign(
            receipt_claims(record, subject_code=locked.code, previous=current, now=now)
        )
        record.save(force_insert=True)
        ConsentDisease.objects.bulk_create(
            [ConsentDisease(consent=record, term=t) for t in terms.diseases]
        )
        locked.current_consent = record
        locked.save(update_fields=["current_consent"])
        audit_append(
            actor=actor,
            action=_AUDIT_ACTION[event],
            object_type="consent",
            object_id=f"{locked.code}/v{record.version}",
            subject_code=locked.code,
            extra={
                "version": record.version,
                "via": via,
                "permission": record.permission,
                "modifiers": record.modifier_list,
                "categories": record.categories,
                "text_version": record.text_version,
            },
            now=now,
        )
    subject.current_consent = record
    subject.current_consent_id = record.pk
    return record


def consent_grant(
    *,
    actor,
    subject: Subject,
    data_use: DataUse | dict,
    categories: Iterable[str],
    via: str,
    valid_until: datetime | None = None,
    text_version: str = CURRENT_TEXT_VERSION,
    text_digest: str | None = None,
    now: datetime | None = None,
) -> ConsentRecord:
    """Give consent (first time, or again after a withdrawal) as a new version."""
    return _record_version(
        actor=actor, subject=subject, event=ConsentEvent.GRANT, via=via, data_use=data_use,
        categories=categories, valid_until=valid_until, text_version=text_version,
        text_digest=text_digest, now=now,
    )  # fmt: skip


def consent_amend(
    *,
    actor,
    subject: Subject,
    data_use: DataUse | dict,
    categories: Iterable[str],
    via: str,
    valid_until: datetime | None = None,
    text_version: str = CURRENT_TEXT_VERSION,
    text_digest: str | None = None,
    now: datetime | None = None,
) -> ConsentRecord:
    """Change an active consent (narrow, widen, add a disease) as a new version."""
    return _record_version(
        actor=actor, subject=subject, event=ConsentEvent.AMEND, via=via, data_use=data_use,
        categories=categories, valid_until=valid_until, text_version=text_version,
        text_digest=text_digest, now=now,
    )  # fmt: skip


def consent_withdraw(
    *, actor, subject: Subject, via: str, now: datetime | None = None
) -> ConsentRecord:
    """Withdraw an active consent: a new version with status withdrawn, in force from ``now``.

    The version keeps the withdrawn terms for the record. It commits under the subject's
    row lock, so anything that checks consent after it commits sees the withdrawal.
    """
    return _record_version(
        actor=actor, subject=subject, event=ConsentEvent.WITHDRAW, via=via, data_use=None,
        categories=None, valid_until=None, text_version=CURRENT_TEXT_VERSION,
        text_digest=None, now=now,
    )  # fmt: skip


def consent_version_read(*, actor, record: ConsentRecord, now: datetime | None = None) -> ConsentRecord:
    """Record that staff read one consent version (the terms are about a person)."""
    audit_append(
        actor=actor,
        action=Action.CONSENT_READ,
        object_type="consent",
        object_id=record.pk,
        subject_code=record.subject.code,
        extra={"version": record.version},
        now=now,
    )
    return record


def consent_receipt_download(*, actor, record: ConsentRecord, now: datetime | None = None) -> ConsentRecord:
    """Record that a receipt left the platform (the patient downloaded their own)."""
    audit_append(
        actor=actor,
        action=Action.RECEIPT_DOWNLOAD,
        object_type="consent",
        object_id=f"{record.subject.code}/v{record.version}",
        subject_code=record.subject.code,
        extra={"version": record.version},
        now=now,
    )
    return record
