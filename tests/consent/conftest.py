"""Shared setup for the consent tests."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

T0 = datetime(2026, 1, 1, 9, 0, tzinfo=UTC)

BREAST_CANCER = "MONDO:0007254"


@pytest.fixture
def ds_breast_cancer() -> dict:
    return {"permission": "DUO:0000007", "diseases": [BREAST_CANCER], "modifiers": ["DUO:0000045"]}
