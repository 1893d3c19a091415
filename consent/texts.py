"""The consent texts patients read, one shipped file per version.

Each version is a plain-text file under ``consent/data/texts/``; a consent record keeps
the version the patient saw and the SHA-256 of that file's bytes (``text_digest``), so a
receipt proves which words were agreed to. Texts are never edited once shipped: a change
is a new version.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from governance.errors import ValidationFailed

TEXT_DIR = Path(__file__).resolve().parent / "data" / "texts"
CURRENT_TEXT_VERSION = "v1"
_VERSION_RE = re.compile(r"^v[0-9]{1,6}$")


@dataclass(frozen=True)
class ConsentText:
    version: str
    body: str
    sha256: str

    @property
    def title(self) -> str:
        return self.body.splitlines()[0] if self.body else ""


@lru_cache(maxsize=16)
def consent_text(version: str = CURRENT_TEXT_VERSION) -> ConsentText:
    """The shipped text ``version``; ``ValidationFailed`` names an unknown version."""
    if not _VERSION_RE.match(version or "") or not (TEXT_DIR / f"{version}.txt").is_file():
        raise ValidationFailed(f"text_version: unknown consent text version {version!r}")
    raw = (TEXT_DIR / f"{version}.txt").read_bytes()
    return ConsentText(
        version=version, body=raw.decode("utf-8"), sha256=hashlib.sha256(raw).hexdigest()
    )


def text_versions() -> list[str]:
    return sorted(p.stem for p in TEXT_DIR.glob("v*.txt") if _VERSION_RE.match(p.stem))


def is_shipped_version(version: str) -> bool:
    return version in text_versions()
