"""Ending grants: revocation by the DAC (immediate) and the expiry sweep."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from governance.access.exceptions import NotDacMember
from governance.access.models import GRANT_TRANSITIONS, AccessGrant, GrantStatus
from governance.audit import Action, audit_append
from governance.errors import InvalidTransition, ValidationFailed
from governance.roles import Role, has_role


def _move(grant: AccessGrant, to: str) -> None:
    if to not in GRANT_TRANSITIONS[grant.status]:
        raise InvalidTransition(
            f"status: a {grant.status} grant cannot become {to}",
            extra={"from": grant.status, "to": to},
        )
    grant.status = to


@transaction.atomic
def access_grant_revoke(
    *, actor, grant: AccessGrant, reason: str, now: datetime | None = None
) -> AccessGrant:
    """A DAC member revokes a grant. It stops working at once: ``is_active`` and
    ``access_grant_require_active`` read the status, and no visa is issued for it again."""
    now = now or timezone.now()
    if not has_role(actor, Role.DAC_MEMBER):
        raise NotDacMember()
    if not isinstance(reason, str) or not reason.strip():
        raise ValidationFailed("reason: say why the grant is revoked", extra={"field": "reason"})
    if len(reason) > 2000:
        raise ValidationFailed("reason: at most 2000 characters", extra={"field": "reason"})
    grant = AccessGrant.objects.select_for_update().get(pk=grant.pk)
    _move(grant, GrantStatus.REVOKED)
    grant.ended_at = now
    grant.revoked_by = actor
    grant.revoke_reason = reason.strip()
    grant.save(update_fields=["status", "ended_at", "revoked_by", "revoke_reason"])
    audit_append(
        actor=actor,
        action=Action.ACCESS_GRANT_REVOKE,
        object_type="access_grant",
        object_id=grant.pk,
        purpose=grant.purpose_id,
        extra={"researcher": grant.researcher_id},
        now=now,
    )
    return grant


def access_grants_expire(*, now: datetime | None = None) -> int:
    """Record the expiry of every active grant whose expiry has passed. Returns how many.

    Grants stop working at their expiry whether or not this has run; the sweep makes
    the status and the ledger say so. Each grant is its own transaction, so a long
    sweep holds no lock for long and a retry resumes where it stopped.
    """
    now = now or timezone.now()
    expired = 0
    due = list(
        AccessGrant.objects.filter(status=GrantStatus.ACTIVE, expires_at__lte=now).values_list(
            "pk", flat=True
        )
    )
    for pk in due:
        with transaction.atomic():
            grant = AccessGrant.objects.select_for_update().get(pk=pk)
            if grant.status != GrantStatus.ACTIVE:  # revoked since we looked
                continue
            _move(grant, GrantStatus.EXPIRED)
            grant.ended_at = grant.expires_at
            grant.save(update_fields=["status", "ended_at"])
            audit_append(
                actor="system",
                action=Action.ACCESS_GRANT_EXPIRE,
                object_type="access_grant",
                object_id=grant.pk,
                purpose=grant.purpose_id,
                extra={"researcher": grant.researcher_id},
                now=now,
            )
            expired += 1
    return expired
