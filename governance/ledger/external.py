"""The ledger's copy outside the database, under ``settings.CHECKPOINT_DIR``.

* ``checkpoint-<size>.txt``: every signed checkpoint note, and ``checkpoint`` for the
  latest one.
* ``tile/0/...``: the leaf hashes in C2SP tlog-tiles level-0 tiles (256 hashes of 32
  bytes per full tile, ``<index>.p/<width>`` for the partial tile at the end).

Someone who can rewrite the database can recompute leaf hashes, but cannot reach this
directory (it belongs on other storage: a separate volume, WORM object storage) nor
sign a checkpoint. Verification compares the recomputed tree with these files and uses
the tiles to name the first event that differs. Every write is atomic: a temporary
file, fsync, then ``os.replace``.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from django.conf import settings

TILE_WIDTH = 256
HASH_BYTES = 32
_NOTE_NAME = re.compile(r"^checkpoint-(\d{12,20})\.txt$")


def directory() -> Path:
    return Path(settings.CHECKPOINT_DIR)


def atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def note_path(tree_size: int) -> Path:
    return directory() / f"checkpoint-{tree_size:012d}.txt"


def write_note(tree_size: int, note: str) -> Path:
    path = note_path(tree_size)
    atomic_write(path, note.encode())
    atomic_write(directory() / "checkpoint", note.encode())
    return path


def note_files() -> list[Path]:
    """Every stored checkpoint note file, by tree size."""
    root = directory()
    if not root.is_dir():
        return []
    found = [(int(m.group(1)), p) for p in root.iterdir() if (m := _NOTE_NAME.match(p.name))]
    return [path for _, path in sorted(found)]


# --- level-0 tiles (c2sp.org/tlog-tiles) ------------------------------------------------


def _index_path(index: int) -> str:
    """tlog-tiles index encoding: 3-digit groups, all but the last prefixed with ``x``."""
    text = f"{index:03d}"
    if len(text) % 3:
        text = text.zfill(len(text) + 3 - len(text) % 3)
    groups = [text[i : i + 3] for i in range(0, len(text), 3)]
    return "/".join([f"x{g}" for g in groups[:-1]] + [groups[-1]])


def tile_path(index: int, width: int = TILE_WIDTH) -> Path:
    base = directory() / "tile" / "0" / _index_path(index)
    return base if width == TILE_WIDTH else base.parent / f"{base.name}.p" / str(width)


def write_tiles(start: int, leaf_hashes: list[bytes]) -> None:
    """Write the level-0 tiles for leaves ``start .. start + len(leaf_hashes)``.

    ``start`` is a multiple of the tile width; a final partial tile is written under its
    width, and replaced by the full tile once the next checkpoint fills it.
    """
    if start % TILE_WIDTH:
        raise ValueError("tiles start on a tile boundary")
    for offset in range(0, len(leaf_hashes), TILE_WIDTH):
        chunk = leaf_hashes[offset : offset + TILE_WIDTH]
        atomic_write(tile_path((start + offset) // TILE_WIDTH, len(chunk)), b"".join(chunk))


def read_tile(index: int) -> bytes | None:
    """A level-0 tile's hashes: the full tile if written, else its widest partial."""
    full = tile_path(index)
    if full.is_file():
        return full.read_bytes()
    partial_dir = full.parent / f"{full.name}.p"
    if not partial_dir.is_dir():
        return None
    widths = [int(p.name) for p in partial_dir.iterdir() if p.name.isdigit()]
    if not widths:
        return None
    return (partial_dir / str(max(widths))).read_bytes()
