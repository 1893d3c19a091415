"""A real Celery worker process on the real Redis broker, for task tests.

The worker runs ``celery -A config worker`` against the same test database, master key
and storage folders as the test, on a queue of its own so concurrent runs don't share
tasks. Tests using it need PostgreSQL and Redis; elsewhere they are skipped.
"""

from __future__ import annotations

import base64
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent


class WorkerProcess:
    def __init__(self, env: dict[str, str], queue: str):
        self.env = env
        self.queue = queue
        self.process: subprocess.Popen | None = None
        self.output: list[str] = []

    def start(self, timeout: float = 60.0) -> None:
        ready = threading.Event()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "worker", "-Q", self.queue, "--pool=solo",
             "--without-gossip", "--without-mingle", "--without-heartbeat", "-O", "fair", "--loglevel=INFO"],
            cwd=BASE_DIR,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )

        def drain(stream):
            for line in stream:
                self.output.append(line)
                if " ready." in line:
                    ready.set()

        threading.Thread(target=drain, args=(self.process.stdout,), daemon=True).start()
        if not ready.wait(timeout):
            self.stop()
            raise RuntimeError("Celery worker did not start:\n" + "".join(self.output[-40:]))

    def kill(self) -> None:
        """SIGKILL, as a crashed machine would: no chance to ack or clean up."""
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()

    def restart(self) -> None:
        self.kill()
        self.start()


def worker_environment(settings, connection, queue: str, **extra: str) -> dict[str, str]:
    db = connection.settings_dict
    database_url = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "COV_"))}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DEBUG": "1",
            "DATABASE_URL": database_url,
            "REDIS_URL": settings.REDIS_URL,
            "CELERY_QUEUE": queue,
            "HELIX_MASTER_KEY": settings.HELIX_MASTER_KEY,
            "DATA_DIR": str(settings.DATA_DIR),
            "HELIX_VAULT_DIR": str(settings.VAULT_DIR),
            "HELIX_EXPORT_DIR": str(settings.EXPORT_DIR),
            "HELIX_CHECKPOINT_DIR": str(settings.CHECKPOINT_DIR),
            "HELIX_KEY_DIR": str(settings.KEY_DIR),
            "HELIX_DEMO_DIR": str(settings.DEMO_DIR),
            "CONN_MAX_AGE": "0",
        }
    )
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = db["PASSWORD"]
    env.update(extra)
    return env


def new_master_key() -> str:
    return base64.b64encode(os.urandom(32)).decode()


def new_queue() -> str:
    return f"helix-test-{uuid.uuid4().hex[:10]}"


def wait_for(predicate, *, timeout: float = 30.0, interval: float = 0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout:.0f} s")
