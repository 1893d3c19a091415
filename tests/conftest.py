"""Shared fixtures: isolated storage and keys per test, personas for every role."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, User
from django.utils import timezone

from governance import keys
from governance.roles import Role

PASSWORD = "correct-horse-battery-staple"


@pytest.fixture(autouse=True)
def _isolated_storage(settings, tmp_path):
    """Each test writes vault files, exports, checkpoints and dev keys under its own folder."""
    settings.TESTING = True
    settings.DATA_DIR = tmp_path
    settings.VAULT_DIR = tmp_path / "vault"
    settings.EXPORT_DIR = tmp_path / "exports"
    settings.CHECKPOINT_DIR = tmp_path / "checkpoints"
    settings.KEY_DIR = tmp_path / "keys"
    settings.DEMO_DIR = tmp_path / "demo"
    settings.HELIX_DEV_MASTER_KEY_FILE = tmp_path / "keys" / "dev-master-keys.json"
    keys.clear_caches()
    yield
    keys.clear_caches()


@pytest.fixture
def make_user(db):
    def make(username: str, *roles: str, password: str = PASSWORD) -> User:
        user = User.objects.create_user(username=username, password=password)
        for role in roles:
            # Transactional tests flush the tables, roles included: recreate them as needed.
            user.groups.add(Group.objects.get_or_create(name=role)[0])
        return user

    return make


@pytest.fixture
def make_subject(db):
    """A subject with encrypted identifiers, optionally linked to a portal user."""
    from consent.models import Subject

    def make(*, user=None, name="Test Person", email=None, mrn=None, **fields) -> Subject:
        from consent.identifiers import seal_identifiers

        subject = Subject(user=user, created_at=timezone.now(), **fields)
        email = email or f"{subject.code.lower()}@example.org"
        mrn = mrn or f"MRN{subject.code[3:]}"
        seal_identifiers(subject, name=name, email=email, mrn=mrn)
        subject.save()
        return subject

    return make


class Personas:
    """Named users per role, as the authorization tests use them."""

    def __init__(self, make_user, make_subject):
        self.steward = make_user("steward", Role.DATA_STEWARD)
        self.researcher = make_user("researcher", Role.RESEARCHER)
        self.outsider = make_user("outsider")
        self.patient = make_user("patient", Role.PATIENT)
        self.other_patient = make_user("other_patient", Role.PATIENT)
        self.dac_member = make_user("dac_member", Role.DAC_MEMBER)
        self.dac_member_2 = make_user("dac_member_2", Role.DAC_MEMBER)
        self.compliance = make_user("compliance", Role.COMPLIANCE_OFFICER)
        self.patient_subject = make_subject(user=self.patient, name="Patient One")
        self.other_subject = make_subject(user=self.other_patient, name="Patient Two")

    def all(self) -> dict[str, User | None]:
        return {
            "anonymous": None,
            "steward": self.steward,
            "researcher": self.researcher,
            "outsider": self.outsider,
            "patient": self.patient,
            "other_patient": self.other_patient,
            "dac_member": self.dac_member,
            "compliance": self.compliance,
        }


@pytest.fixture
def personas(make_user, make_subject) -> Personas:
    return Personas(make_user, make_subject)


@pytest.fixture
def client_for(client):
    """``client_for(user)``: the test client logged in as ``user`` (or anonymous for None)."""

    def login(user):
        client.logout()
        if user is not None:
            client.force_login(user)
        return client

    return login


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def chromium():
    """A real headless Chromium (Debian's package) driven by Playwright.

    Skipped when Chromium is not installed, unless HELIX_REQUIRE_BROWSER is set (CI),
    where its absence fails the run.
    """
    import os
    from pathlib import Path

    if not Path(CHROMIUM).exists():
        if os.environ.get("HELIX_REQUIRE_BROWSER"):
            pytest.fail(f"{CHROMIUM} is required for the browser tests (apt-get install chromium)")
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(chromium):
    context = chromium.new_context(accept_downloads=True)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def celery_worker_process(settings, transactional_db):
    """Start a real Celery worker on Redis against this test's database (PostgreSQL only).

    Yields a ``tests.worker.WorkerProcess`` with ``start``, ``kill`` (SIGKILL), ``restart``
    and ``stop``. Accepts ``request.param`` style extra env through ``worker.env``.
    """
    from django.db import connection

    from config.celery import app
    from tests.worker import WorkerProcess, new_master_key, new_queue, worker_environment

    if not settings.REDIS_URL or connection.vendor != "postgresql":
        pytest.skip("needs REDIS_URL and PostgreSQL (the second CI run)")
    settings.HELIX_MASTER_KEY = new_master_key()
    keys.clear_caches()
    queue = new_queue()
    previous = (app.conf.task_default_queue, app.conf.task_always_eager)
    app.conf.task_default_queue = queue
    app.conf.task_always_eager = False
    worker = WorkerProcess(worker_environment(settings, connection, queue), queue)
    worker.start()
    yield worker
    worker.stop()
    app.conf.task_default_queue, app.conf.task_always_eager = previous
    keys.clear_caches()
