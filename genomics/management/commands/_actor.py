"""Who a vault command acts as: a named data steward, or the platform itself."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.core.management.base import CommandError

from governance.roles import Role, has_role


def command_actor(username: str | None):
    """``--actor USERNAME`` must name an active data steward; without it the actor is ``cli``."""
    if not username:
        return "cli"
    user = User.objects.filter(username=username, is_active=True).first()
    if user is None or not has_role(user, Role.DATA_STEWARD):
        raise CommandError(f"--actor: no active data steward named {username!r}")
    return user
