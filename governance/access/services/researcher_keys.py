"""Registering a researcher's Crypt4GH public key."""

from __future__ import annotations

import hashlib
from datetime import datetime

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from genomics.crypt4gh import Crypt4GHError, load_public_key
from governance.access.models import ResearcherKey
from governance.audit import Action, audit_append
from governance.errors import PermissionDenied, ValidationFailed
from governance.roles import Role, has_role


@transaction.atomic
def researcher_key_register(
    *, actor, public_key_pem: str | bytes, now: datetime | None = None
) -> ResearcherKey:
    """Register ``actor``'s Crypt4GH public key (PEM armour or bare base64).

    The key must decode to 32 bytes that X25519 accepts. The researcher's previous
    active key, if any, is deactivated in the same transaction (and audited), so at
    every instant a researcher has at most one key that exports are encrypted to.
    """
    now = now or timezone.now()
    if not has_role(actor, Role.RESEARCHER):
        raise PermissionDenied("Only researchers register keys for exports.")
    if not isinstance(public_key_pem, str | bytes) or len(public_key_pem) > 4096:
        raise ValidationFailed(
            "public_key: expected a Crypt4GH public key", extra={"field": "public_key"}
        )
    try:
        raw = load_public_key(public_key_pem)
    except Crypt4GHError as exc:
        raise ValidationFailed(
            f"public_key: {exc.message}", extra={"field": "public_key"}
        ) from None
    # Serialise registrations by the same researcher on the user row.
    get_user_model().objects.select_for_update().filter(pk=actor.pk).first()
    fingerprint = hashlib.sha256(raw).hexdigest()
    for old in ResearcherKey.objects.select_for_update().filter(user=actor, is_active=True):
        old.is_active = False
        old.deactivated_at = now
        old.save(update_fields=["is_active", "deactivated_at"])
        audit_append(
            actor=actor,
            action=Action.RESEARCHER_KEY_DEACTIVATE,
            object_type="researcher_key",
            object_id=old.pk,
            extra={"fingerprint": old.fingerprint, "replaced": True},
            now=now,
        )
    key = ResearcherKey(
        user=actor, public_key=raw, fingerprint=fingerprint, is_active=True, created_at=now
    )
    key.full_clean()
    key.save()
    audit_append(
        actor=actor,
        action=Action.RESEARCHER_KEY_REGISTER,
        object_type="researcher_key",
        object_id=key.pk,
        extra={"fingerprint": fingerprint},
        now=now,
    )
    return key
