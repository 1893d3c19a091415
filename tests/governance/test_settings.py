"""Bad settings stop start-up with a message naming the variable."""

import base64
import os
import subprocess
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured

from config import env

GOOD_MASTER = base64.b64encode(os.urandom(32)).decode()
GOOD_SECRET = "s" * 64


def _start(**overrides) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "DEBUG")}
    environ.update(overrides)
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env={**environ, "DJANGO_SETTINGS_MODULE": "config.settings"},
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("overrides", "variable"),
    [
        ({"DATABASE_URL": "postgres://user:pw@:notaport/db"}, "DATABASE_URL"),
        ({"DATABASE_URL": "mysql://root@localhost/helix"}, "DATABASE_URL"),
        ({"REDIS_URL": "http://127.0.0.1:6379"}, "REDIS_URL"),
        ({"DEBUG": "perhaps"}, "DEBUG"),
        ({"SESSION_IDLE_SECONDS": "ten"}, "SESSION_IDLE_SECONDS"),
        ({"DEBUG": "0", "ALLOWED_HOSTS": "x.org", "HELIX_MASTER_KEY": GOOD_MASTER}, "SECRET_KEY"),
        ({"DEBUG": "0", "ALLOWED_HOSTS": "x.org", "SECRET_KEY": GOOD_SECRET}, "HELIX_MASTER_KEY"),
        (
            {
                "DEBUG": "0",
                "ALLOWED_HOSTS": "x.org",
                "HELIX_MASTER_KEY": GOOD_MASTER,
                "SECRET_KEY": "dev-insecure-helix-consent-secret-key-do-not-use-in-production-0123456789",
            },
            "SECRET_KEY",
        ),
        ({"DEBUG": "0", "SECRET_KEY": GOOD_SECRET, "HELIX_MASTER_KEY": GOOD_MASTER}, "ALLOWED_HOSTS"),
    ],
)
def test_bad_setting_stops_start_up_naming_the_variable(overrides, variable):
    result = _start(**overrides)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert variable in result.stderr.splitlines()[-1]


def test_production_settings_start_with_real_keys():
    result = _start(DEBUG="0", SECRET_KEY=GOOD_SECRET, HELIX_MASTER_KEY=GOOD_MASTER, ALLOWED_HOSTS="x.org")
    assert result.returncode == 0, result.stderr


def test_secret_file_variant_is_read(tmp_path, monkeypatch):
    secret = tmp_path / "secret"
    secret.write_text("from-a-file\n")
    monkeypatch.setenv("SOMETHING_FILE", str(secret))
    assert env.env_str("SOMETHING") == "from-a-file"


def test_unreadable_secret_file_names_the_variable(tmp_path, monkeypatch):
    monkeypatch.setenv("SOMETHING_FILE", str(tmp_path / "missing"))
    with pytest.raises(ImproperlyConfigured, match="SOMETHING_FILE"):
        env.env_str("SOMETHING")


def test_integer_below_its_minimum_is_refused(monkeypatch):
    monkeypatch.setenv("A_NUMBER", "0")
    with pytest.raises(ImproperlyConfigured, match="A_NUMBER: must be at least 1"):
        env.env_int("A_NUMBER", 5, minimum=1)
