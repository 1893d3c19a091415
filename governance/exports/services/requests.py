"""Asking for an export and cancelling one."""

from __future__ import annotations

import secrets
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from governance.access.models import AccessGrant
from governance.access.selectors import access_grant_public_key, access_grant_require_active
from governance.audit import Action, audit_append
from governance.errors import Conflict, NotFound, ValidationFailed
from governance.exports.criteria import (
    needed_categories,
    validate_columns,
    validate_criteria,
    validate_formats,
)
from governance.exports.models import CohortExport, ExportState
from governance.exports.services.state import lock_export, move
from governance.roles import Role, has_role

_KEY_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.:")


def _idempotency_key(value: str | None) -> str:
    if value is None or value == "":
        return secrets.token_hex(16)
    if not isinstance(value, str) or len(value) > 64 or not set(value) <= _KEY_CHARS:
        raise ValidationFailed(
            "idempotency_key: up to 64 letters, digits and - _ . :",
            extra={"field": "idempotency_key"},
        )
    return value


def enqueue(export_id: int) -> None:
    """Queue the run once the surrounding transaction has committed."""
    from governance.exports.tasks import exports_run

    transaction.on_commit(lambda: exports_run.delay(export_id))


def cohort_export_request(
    *,
    actor,
    grant: AccessGrant,
    criteria: dict | None = None,
    columns: list[str] | None = None,
    formats: list[str] | None = None,
    idempotency_key: str | None = None,
    enqueue_run: bool = True,
    now: datetime | None = None,
) -> CohortExport:
    """Queue an export under ``actor``'s active grant and return it.

    A repeated request with the same ``idempotency_key`` (per grant and researcher)
    returns the export the first one created, and queues nothing new; the same key with
    different parameters is a ``Conflict``. The subject set is not chosen here: the run
    freezes it through the gate when it starts. ``enqueue_run=False`` leaves the run to
    the caller (the ``export_cohort`` command runs it synchronously).
    """
    now = now or timezone.now()
    if not has_role(actor, Role.RESEARCHER) or grant.researcher_id != actor.pk:
        raise NotFound()
    key = _idempotency_key(idempotency_key)
    grant = access_grant_require_active(grant=grant, at=now)
    criteria = validate_criteria(criteria)
    columns = validate_columns(columns, categories=list(grant.categories))
    formats = validate_formats(formats, categories=list(grant.categories))
    if not needed_categories(columns=columns, formats=formats):
        raise ValidationFailed(
            "columns: an export needs at least one column or the VCF", extra={"field": "columns"}
        )
    if "vcf" in formats:
        access_grant_public_key(grant=grant)  # refuses a researcher without a registered key
    existing = CohortExport.objects.filter(
        grant=grant, researcher=actor, idempotency_key=key
    ).first()
    if existing is not None:
        return _same_request(existing, criteria, columns, formats)
    export = CohortExport(
        grant=grant,
        researcher=actor,
        idempotency_key=key,
        criteria=criteria,
        columns=columns,
        formats=formats,
        state=ExportState.QUEUED,
        requested_at=now,
        queued_at=now,
    )
    export.full_clean()
    try:
        with transaction.atomic():
            export.save(force_insert=True)
            audit_append(
                actor=actor,
                action=Action.EXPORT_REQUEST,
                object_type="cohort_export",
                object_id=export.pk,
                purpose=grant.purpose_id,
                extra={"grant": grant.pk, "columns": columns, "formats": formats},
                now=now,
            )
            if enqueue_run:
                enqueue(export.pk)
    except IntegrityError:
        # A concurrent request with the same key won the insert: answer with its export.
        existing = CohortExport.objects.filter(
            grant=grant, researcher=actor, idempotency_key=key
        ).first()
        if existing is None:
            raise
        return _same_request(existing, criteria, columns, formats)
    return export


def _same_request(existing: CohortExport, criteria, columns, formats) -> CohortExport:
    if (existing.criteria, existing.columns, existing.formats) != (criteria, columns, formats):
        raise Conflict(
            "idempotency_key: already used for an export with other parameters",
            extra={"field": "idempotency_key", "export": existing.pk},
        )
    return existing


def cohort_export_cancel(
    *, actor, export: CohortExport, now: datetime | None = None
) -> CohortExport:
    """Cancel a queued or running export. A run in progress notices at its publishing
    step (it no longer holds the claim) and publishes nothing."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = lock_export(export.pk)
        if locked is None or locked.researcher_id != actor.pk:
            raise NotFound()
        move(locked, ExportState.CANCELLED)
        locked.finished_at = now
        locked.lease_expires_at = None
        locked.save(update_fields=["state", "finished_at", "lease_expires_at"])
        audit_append(
            actor=actor,
            action=Action.EXPORT_CANCEL,
            object_type="cohort_export",
            object_id=locked.pk,
            purpose=locked.grant.purpose_id,
            extra={"attempt": locked.attempt},
            now=now,
        )
    return locked
