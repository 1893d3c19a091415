"""Demo data for the compliance console.

``seed_demo`` calls ``seed_compliance`` last, after every other app has written its
events, so the console opens on a verified ledger instead of "not run yet".
"""

from __future__ import annotations

from datetime import datetime

from governance.compliance.models import VerificationRun
from governance.compliance.services import ledger_verification_run


def seed_compliance(*, officer, now: datetime | None = None) -> VerificationRun:
    """Verify the demo ledger as ``officer`` (a compliance officer) and keep the result.

    Running it again verifies again (the ledger has grown); it never changes events.
    """
    return ledger_verification_run(actor=officer, now=now)
