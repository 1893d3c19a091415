"""Logins, throttling, sessions, API tokens and the error format."""

import pytest
from django.urls import reverse

from governance.auth.models import ApiToken
from governance.auth.tokens import api_token_issue
from governance.ledger.models import AuditEvent
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def _login(client, username, password):
    return client.post(reverse("login"), {"username": username, "password": password})


def test_login_through_the_form_lands_on_the_role_home_and_is_audited(client, personas):
    response = _login(client, "patient", PASSWORD)
    assert response.status_code == 302
    assert client.get(response.url, follow=True).request["PATH_INFO"] == reverse("portal:home")
    event = AuditEvent.objects.filter(action="auth.login").get()
    assert event.actor == "patient" and event.actor_role == "patient"


def test_failed_login_is_audited_without_the_attempted_username(client, personas):
    response = _login(client, "patient@example.org", "wrong-password")
    assert response.status_code == 200
    event = AuditEvent.objects.filter(action="auth.login_failed").get()
    assert event.outcome == "failed"
    assert "patient" not in str(event.extra) and event.actor == "anonymous"


def test_repeated_failures_lock_the_account_even_for_the_right_password(client, personas, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _login(client, "steward", "wrong-password")
    response = _login(client, "steward", PASSWORD)
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_logout_needs_a_post(client, personas):
    client.force_login(personas.patient)
    assert client.get(reverse("logout")).status_code == 405
    assert client.post(reverse("logout")).status_code == 302
    assert client.get(reverse("portal:home")).status_code == 302


def test_sessions_expire_after_the_idle_timeout(client, personas, settings):
    client.force_login(personas.patient)
    client.get(reverse("portal:home"))
    assert client.session.get_expiry_age() == settings.SESSION_COOKIE_AGE
    assert settings.SESSION_SAVE_EVERY_REQUEST


def test_a_user_without_a_role_sees_a_notice_not_data(client, personas):
    client.force_login(personas.outsider)
    response = client.get(reverse("home"))
    assert response.status_code == 200
    assert b"No role assigned" in response.content


def test_bearer_token_authenticates_and_only_its_digest_is_stored(client, personas):
    token = api_token_issue(user=personas.researcher)
    response = client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200
    assert response.json() == {"username": "researcher", "roles": ["researcher"]}
    stored = ApiToken.objects.get()
    assert token not in (stored.digest, stored.prefix)


def test_a_bad_token_gets_401_in_the_error_format(client, personas):
    response = client.get("/api/v1/me", HTTP_AUTHORIZATION="Bearer hx_not-a-real-token")
    assert response.status_code == 401
    body = response.json()
    assert set(body) == {"code", "message", "extra"}
    assert body["code"] == "authentication_failed"


def test_an_expired_token_is_refused(client, personas):
    from datetime import timedelta

    from django.utils import timezone

    token = api_token_issue(user=personas.researcher, now=timezone.now() - timedelta(days=40), days=30)
    assert client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 401


def test_anonymous_api_call_is_refused_in_the_error_format(client):
    response = client.get("/api/v1/me")
    assert response.status_code in (401, 403)
    assert response.json()["code"] == "not_authenticated"


def test_health_reports_database_and_broker(client):
    body = client.get("/healthz").json()
    assert body == {"status": "ok", "database": "ok", "broker": body["broker"]}
    assert body["broker"] in ("eager", "ok")


def test_security_headers_are_sent(client):
    response = client.get(reverse("login"))
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "default-src 'self'" in response["Content-Security-Policy"]


def test_every_stylesheet_and_script_the_pages_link_is_found_by_staticfiles(client, personas):
    import re

    from django.contrib.staticfiles import finders

    client.force_login(personas.patient)
    html = client.get(reverse("portal:home")).content.decode()
    assets = re.findall(r'(?:href|src)="/static/([^"]+)"', html)
    assert assets, "the page links no static assets"
    for asset in assets:
        assert finders.find(asset), f"{asset} is linked but not found"
