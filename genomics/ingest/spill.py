"""Work files for the split: buffered plaintext of many targets spilled into shared files.

Each spill writes every target's buffered records, one after another, into a single new
file and notes (spill, offset, length) per target; a target's VCF is then read back as
its header, its segments in order, and whatever is still buffered. Files are created
0600 inside the ingest's private work folder, which the ingest removes on every path.
"""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from genomics.ingest.split import Target


class Spills:
    """Append-only work files holding buffered plaintext of many targets, one file per spill.

    Spilling every target into one shared file costs one file creation per budget's
    worth of data instead of one per subject. Reads use ``os.pread`` so several threads
    can encrypt different targets from the same files at once.
    """

    def __init__(self, workdir: Path):
        self.workdir = workdir
        self._fds: list[int] = []

    def write(self, targets: list[Target]) -> None:
        number = len(self._fds)
        path = self.workdir / f"spill-{number:05d}.bin"
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
        self._fds.append(fd)
        offset = 0
        with os.fdopen(os.dup(fd), "wb", buffering=1 << 20) as out:
            for target in targets:
                if target.buffered:
                    data = "".join(target.buffered).encode()
                    out.write(data)
                    target.segments.append((number, offset, len(data)))
                    offset += len(data)
                    target.buffered.clear()

    def pread(self, spill: int, length: int, offset: int) -> bytes:
        return os.pread(self._fds[spill], length, offset)

    def close(self) -> None:
        for fd in self._fds:
            os.close(fd)
        self._fds = []


class Segments(io.RawIOBase):
    """A header, segments of spill files, then a tail, read as one stream."""

    def __init__(
        self, header: bytes, spills: Spills, segments: list[tuple[int, int, int]], tail: bytes
    ):
        self._pieces: list = [header, *segments, tail]
        self._spills = spills
        self._pos = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        view = memoryview(buffer).cast("B")
        while self._pieces:
            piece = self._pieces[0]
            if isinstance(piece, bytes):
                data = piece[self._pos : self._pos + len(view)]
                size = len(piece)
            else:
                spill, offset, size = piece
                data = self._spills.pread(
                    spill, min(len(view), size - self._pos), offset + self._pos
                )
            if data:
                view[: len(data)] = data
                self._pos += len(data)
                if self._pos >= size:
                    self._pieces.pop(0)
                    self._pos = 0
                return len(data)
            self._pieces.pop(0)
            self._pos = 0
        return 0
