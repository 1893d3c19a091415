"""The gate's answer for (subject, purpose, category, instant)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

CATEGORIES = ("genomic", "clinical", "demographic")


@dataclass(frozen=True)
class Reason:
    code: str  # e.g. "DUO:0000007" or a gate reason code such as "consent.withdrawn"
    term: str  # short name or label, e.g. "DS"
    message: str  # a sentence for people

    def as_dict(self) -> dict:
        return {"code": self.code, "term": self.term, "message": self.message}


@dataclass(frozen=True)
class Decision:
    """Minted only by ``governance.gate``. The vault refuses one that is denied, expired,
    for another subject or for another category."""

    allowed: bool
    subject_id: int
    purpose_id: str  # "grant:<id>", "request:<id>" or another stable purpose reference
    category: str
    consent_version_id: int | None
    reasons: tuple[Reason, ...]
    decided_at: datetime
    valid_until: datetime

    def is_valid_at(self, now: datetime) -> bool:
        return self.allowed and self.decided_at <= now < self.valid_until
