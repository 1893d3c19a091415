"""The export folders: a temporary one per attempt, the published one, and clean-up.

``EXPORT_DIR/<id>`` appears only by an atomic ``os.replace`` of a complete temporary
folder; anything removed is first renamed out of the way (also atomic), so a reader of
``EXPORT_DIR`` never sees a half-written or half-deleted export.
"""

from __future__ import annotations

import os
import re
import shutil
import uuid
from pathlib import Path

from governance.exports.selectors import export_root

_TEMP = re.compile(r"^\.tmp-(\d+)-(\d+)$")


def temp_folder(export_id: int, attempt: int) -> Path:
    return export_root() / f".tmp-{export_id}-{attempt}"


def final_folder(export_id: int) -> Path:
    return export_root() / str(export_id)


def discard(path: Path) -> None:
    """Remove a folder: first renamed to a hidden name, then deleted."""
    if not path.exists():
        return
    trash = export_root() / f".trash-{path.name}-{uuid.uuid4().hex[:8]}"
    try:
        os.replace(path, trash)
    except FileNotFoundError:
        return
    shutil.rmtree(trash, ignore_errors=True)


def publish(workdir: Path, export_id: int) -> Path:
    """Move a complete temporary folder to its published name, atomically."""
    final = final_folder(export_id)
    os.replace(workdir, final)
    fd = os.open(export_root(), os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    return final


def temp_folders() -> list[tuple[Path, int, int]]:
    """Every temporary folder as (path, export id, attempt)."""
    root = export_root()
    if not root.exists():
        return []
    found = []
    for entry in root.iterdir():
        match = _TEMP.match(entry.name)
        if match:
            found.append((entry, int(match.group(1)), int(match.group(2))))
    return found


def trash_folders() -> list[Path]:
    root = export_root()
    if not root.exists():
        return []
    return [entry for entry in root.iterdir() if entry.name.startswith(".trash-")]
