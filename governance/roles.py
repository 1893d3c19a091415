"""Roles are Django groups; a user holds only the roles given to them.

Pages use ``role_required``; APIs use ``HasRole``. A user without the role gets the
same 404 as for a page that does not exist, so role membership is not revealed.
"""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.http import Http404
from rest_framework.permissions import BasePermission


class Role:
    PATIENT = "patient"
    DATA_STEWARD = "data_steward"
    RESEARCHER = "researcher"
    DAC_MEMBER = "dac_member"
    COMPLIANCE_OFFICER = "compliance_officer"

    ALL = (PATIENT, DATA_STEWARD, RESEARCHER, DAC_MEMBER, COMPLIANCE_OFFICER)

    LABELS = {
        PATIENT: "Patient",
        DATA_STEWARD: "Data steward",
        RESEARCHER: "Researcher",
        DAC_MEMBER: "Data access committee",
        COMPLIANCE_OFFICER: "Compliance officer",
    }
    # Where each role lands after login, by URL name.
    HOME = {
        PATIENT: "portal:home",
        DATA_STEWARD: "steward:home",
        RESEARCHER: "research:home",
        DAC_MEMBER: "dac:home",
        COMPLIANCE_OFFICER: "compliance:home",
    }


def user_roles(user) -> frozenset[str]:
    """The roles a user holds, cached on the user object for the request."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return frozenset()
    cached = getattr(user, "_helix_roles", None)
    if cached is None:
        cached = frozenset(user.groups.filter(name__in=Role.ALL).values_list("name", flat=True))
        user._helix_roles = cached
    return cached


def has_role(user, *roles: str) -> bool:
    return bool(user_roles(user) & set(roles))


def role_required(*roles: str):
    """Page decorator: anonymous users go to login; users without the role get a 404."""

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not has_role(request.user, *roles):
                raise Http404
            return view(request, *args, **kwargs)

        wrapper.helix_roles = roles
        return wrapper

    return decorator


class HasRole(BasePermission):
    """DRF permission: ``permission_classes = [HasRole.of(Role.DATA_STEWARD)]``."""

    roles: tuple[str, ...] = ()

    @classmethod
    def of(cls, *roles: str) -> type[HasRole]:
        return type(f"HasRole_{'_'.join(roles)}", (cls,), {"roles": roles})

    def has_permission(self, request, view) -> bool:
        if not (request.user and request.user.is_authenticated):
            return False
        if not has_role(request.user, *self.roles):
            # Same answer as a missing endpoint or object: deny without revealing why.
            from rest_framework.exceptions import NotFound

            raise NotFound()
        return True


def roles_context(request) -> dict:
    roles = user_roles(getattr(request, "user", None))
    return {"helix_roles": sorted(roles), "helix_role_labels": [Role.LABELS[r] for r in sorted(roles)]}
