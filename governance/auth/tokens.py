"""API bearer tokens: random, shown once, stored as a SHA-256 digest, expiring."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from rest_framework import authentication, exceptions

from governance.audit import Action, audit_append
from governance.auth.models import ApiToken

TOKEN_PREFIX = "hx_"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def api_token_issue(*, user, name: str = "api", days: int = 30, now=None) -> str:
    """Create a token for ``user`` and return it; it cannot be shown again."""
    now = now or timezone.now()
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        row = ApiToken.objects.create(
            user=user,
            name=name[:80],
            prefix=token[len(TOKEN_PREFIX) : len(TOKEN_PREFIX) + 8],
            digest=_digest(token),
            created_at=now,
            expires_at=now + timedelta(days=days),
        )
        audit_append(actor=user, action=Action.API_TOKEN_ISSUE, object_type="api_token", object_id=row.pk, now=now)
    return token


class BearerTokenAuthentication(authentication.BaseAuthentication):
    """``Authorization: Bearer hx_...``."""

    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Invalid bearer token header.")
        token = header[1].decode("latin-1")
        row = (
            ApiToken.objects.select_related("user")
            .filter(digest=_digest(token), revoked_at__isnull=True, expires_at__gt=timezone.now())
            .first()
        )
        if row is None or not row.user.is_active:
            raise exceptions.AuthenticationFailed("Invalid or expired token.")
        return row.user, row

    def authenticate_header(self, request) -> str:
        return self.keyword
