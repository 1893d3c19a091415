"""The portal's key flows in a real headless Chromium, with canary personal data."""

from __future__ import annotations

import logging
from datetime import date, timedelta

import jwt
import pytest
from django.contrib.auth.models import Group
from django.utils import timezone

from consent import duo, services
from consent.receipts import receipt_verify
from governance.roles import Role
from tests.conftest import PASSWORD

from .conftest import BREAST_CANCER

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CANARIES = ("Quillon Canarysmith", "quillon.canary@example.org", "CANARY-MRN-4242")


@pytest.fixture(autouse=True)
def _role_groups(transactional_db):
    """The role groups come from a data migration, which the flush between
    transactional tests removes; put them back."""
    for role in Role.ALL:
        Group.objects.get_or_create(name=role)


@pytest.fixture
def canary_patient(make_user):
    user = make_user("portal_user", "patient")
    subject = services.subject_create(
        actor="test", name=CANARIES[0], email=CANARIES[1], mrn=CANARIES[2], birth_date=date(1961, 7, 8),
        sex="female", postcode="EH1 1YZ", ethnic_background="Scottish", user=user,
    )  # fmt: skip
    services.consent_grant(
        actor=user, subject=subject, data_use={"permission": duo.DS, "diseases": [BREAST_CANCER], "modifiers": [duo.NPU]},
        categories=["genomic", "clinical"], via="portal", now=timezone.now() - timedelta(days=3),
    )  # fmt: skip
    return user, subject


@pytest.fixture
def other_patient(make_user):
    user = make_user("someone_else", "patient")
    subject = services.subject_create(
        actor="test", name="Other Person", email="other.person@example.org", mrn="OTHER-77", birth_date=None,
        sex="male", postcode="", ethnic_background="", user=user,
    )  # fmt: skip
    services.consent_grant(
        actor=user, subject=subject, data_use={"permission": duo.GRU}, categories=["genomic"], via="portal",
        now=timezone.now() - timedelta(days=3),
    )  # fmt: skip
    return user, subject


def _login(page, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/login/?next=/portal/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{base}/portal/")


def test_a_patient_reads_withdraws_and_verifies_the_receipt_and_sees_only_their_own(
    live_server, page, chromium, canary_patient, other_patient, caplog, capfd
):
    caplog.set_level(logging.DEBUG)
    base = live_server.url
    user, subject = canary_patient
    _login(page, base, user.username)

    summary = page.get_by_test_id("summary").inner_text()
    assert (
        "Researchers may use your data only to study breast cancer, and only in not-for-profit organisations."
        in summary
    )
    assert "DUO:" not in page.content()

    page.get_by_role("link", name="Withdraw my consent").click()
    page.wait_for_url(f"{base}/portal/withdraw/")
    confirm = page.get_by_role("button", name="Yes, withdraw my consent")
    confirm.focus()
    page.keyboard.press("Enter")  # the confirmation works from the keyboard
    page.wait_for_url(f"{base}/portal/history/")
    assert "Version 2: You withdrew consent" in page.inner_text("main")
    assert "Your consent is withdrawn (version 2)" in page.inner_text("main")

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download the signed receipt for version 2").click()
    token = open(download_info.value.path()).read()
    jwks = page.request.get(f"{base}/.well-known/jwks.json").json()
    key = jwt.PyJWKSet.from_dict(jwks)[jwt.get_unverified_header(token)["kid"]]
    claims = jwt.decode(token, key.key, algorithms=["EdDSA"])
    assert (
        claims["sub"] == subject.code
        and claims["event"] == "withdraw"
        and claims["consent_version"] == 2
    )
    assert receipt_verify(token) == claims

    other_code = other_patient[1].code
    for path in (
        f"/portal/staff/{other_code}/",
        "/portal/history/3/receipt.jwt",
        f"/api/v1/subjects/{other_code}",
        f"/api/v1/fhir/Consent/{other_code}-v1",
    ):
        assert page.goto(base + path).status == 404, path
    page.goto(f"{base}/portal/history/")
    assert other_code not in page.content()

    phone = chromium.new_context(viewport={"width": 360, "height": 740}, is_mobile=True)
    try:
        mobile = phone.new_page()
        _login(mobile, base, user.username)
        for path in ("/portal/", "/portal/consent/", "/portal/history/", "/portal/consent-text/"):
            mobile.goto(base + path)
            overflow = mobile.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            assert overflow <= 0, path
    finally:
        phone.close()

    out, err = capfd.readouterr()
    logged = caplog.text + out + err
    for canary in CANARIES:
        assert canary not in logged and canary.lower() not in logged.lower()


def test_granting_through_the_form_in_the_browser(live_server, page, make_user, caplog):
    caplog.set_level(logging.DEBUG)
    user = make_user("new_patient", "patient")
    services.subject_create(
        actor="test", name=CANARIES[0], email=CANARIES[1], mrn=CANARIES[2], birth_date=None, sex="unknown",
        postcode="", ethnic_background="", user=user,
    )  # fmt: skip
    base = live_server.url
    _login(page, base, user.username)
    page.get_by_role("link", name="Give consent").click()
    page.get_by_label("Health and medical research only").check()
    page.get_by_label("An ethics committee must approve each study").check()
    page.get_by_label("I have read the consent information").check()
    page.get_by_role("button", name="Give consent").click()
    page.wait_for_url(f"{base}/portal/")
    text = page.get_by_test_id("summary").inner_text()
    assert "only for health and medical research" in text
    assert "Each study must first be approved by an ethics committee." in text
    assert not any(c in caplog.text for c in CANARIES)
