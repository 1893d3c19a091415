"""Logins, logouts and failed logins go to the audit ledger (no usernames of failures)."""

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from governance.audit import Action, Outcome, audit_append


@receiver(user_logged_in)
def _login(sender, request, user, **kwargs):
    audit_append(actor=user, action=Action.LOGIN, object_type="user", object_id=user.pk)


@receiver(user_logged_out)
def _logout(sender, request, user, **kwargs):
    if user is not None:
        audit_append(actor=user, action=Action.LOGOUT, object_type="user", object_id=user.pk)


@receiver(user_login_failed)
def _login_failed(sender, credentials, request=None, **kwargs):
    # The attempted username may be a patient's email: it is not recorded.
    audit_append(actor="anonymous", action=Action.LOGIN_FAILED, object_type="user", outcome=Outcome.FAILED)
