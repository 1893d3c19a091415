"""Reading an uploaded VCF as lines of bytes, plain or gzip/bgzip, within limits.

Decompression is done here rather than by htslib so every byte is counted as it is
produced: a gzip bomb stops at ``HELIX_MAX_DECOMPRESSED_BYTES`` without ever being held
in memory, a line longer than ``HELIX_MAX_LINE_BYTES`` stops before it is buffered, and
a truncated stream is reported with the line it was in. The source digest covers the
bytes exactly as supplied.
"""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Iterator
from typing import BinaryIO

from genomics.exceptions import UploadTooLarge, VcfInvalid

_READ_SIZE = 1 << 20
_MAX_OUT = 4 << 20  # decompressed bytes per zlib call: bounds memory whatever the ratio
_GZIP_MAGIC = b"\x1f\x8b"
_OTHER_COMPRESSION = {
    b"BZh": "bzip2",
    b"\xfd7zXZ": "xz",
    b"\x28\xb5\x2f\xfd": "zstd",
    b"PK\x03\x04": "zip",
}


class LineSource:
    """Iterate the lines (without the newline) of a VCF file object.

    ``lines()`` yields ``(line_number, bytes)``. After iteration, ``source_sha256``,
    ``compressed_bytes`` and ``decompressed_bytes`` describe what was read.
    """

    def __init__(self, stream: BinaryIO, *, max_bytes: int, max_decompressed: int, max_line: int):
        self._stream = stream
        self._max_bytes = max_bytes
        self._max_decompressed = max_decompressed
        self._max_line = max_line
        self._sha = hashlib.sha256()
        self.compressed_bytes = 0
        self.decompressed_bytes = 0
        self.compressed = False
        self._line = 0  # lines completed so far

    @property
    def source_sha256(self) -> str:
        return self._sha.hexdigest()

    # -- raw input ---------------------------------------------------------------------

    def _read(self) -> bytes:
        data = self._stream.read(_READ_SIZE)
        if data:
            self.compressed_bytes += len(data)
            if self.compressed_bytes > self._max_bytes:
                raise UploadTooLarge(
                    f"The file is larger than the limit of {self._max_bytes} bytes."
                )
            self._sha.update(data)
        return data

    def _chunks(self) -> Iterator[bytes]:
        first = self._read()
        if not first:
            return
        for magic, name in _OTHER_COMPRESSION.items():
            if first.startswith(magic):
                raise VcfInvalid(
                    0,
                    "compression",
                    f"{name} compression is not supported: send plain text or bgzip.",
                )
        if not first.startswith(_GZIP_MAGIC):
            yield first
            while data := self._read():
                yield data
            return
        self.compressed = True
        yield from self._gunzip(first)

    def _gunzip(self, data: bytes) -> Iterator[bytes]:
        # bgzip is a series of gzip members; plain gzip is one. Each member gets its own
        # decompressor; output is drawn in bounded pieces so a tiny member cannot expand
        # into memory all at once.
        inflater = zlib.decompressobj(31)
        bgzf = _is_bgzf(data)
        member_out = 0
        pending = data
        while True:
            if not pending:
                pending = self._read()
                if not pending:
                    # zlib may still hold output it could not return under _MAX_OUT.
                    while not inflater.eof and (out := inflater.decompress(b"", _MAX_OUT)):
                        member_out += len(out)
                        yield out
                    break
            if inflater.eof:
                if not bgzf and not pending.strip(b"\0"):
                    pending = b""  # zero padding after a plain gzip stream
                    continue
                inflater, member_out = zlib.decompressobj(31), 0
            try:
                out = inflater.decompress(pending, _MAX_OUT)
            except zlib.error:
                raise VcfInvalid(
                    self._line + 1,
                    "compression",
                    "the compressed data is corrupt (not a valid gzip/bgzip stream).",
                ) from None
            pending = inflater.unused_data if inflater.eof else inflater.unconsumed_tail
            if out:
                member_out += len(out)
                yield out
        if not inflater.eof:
            raise VcfInvalid(
                self._line + 1,
                "truncated",
                "the compressed file ends in the middle of a block (truncated file).",
            )
        if bgzf and member_out != 0:
            raise VcfInvalid(
                self._line + 1,
                "truncated",
                "the bgzip end-of-file marker is missing (truncated file).",
            )

    # -- lines -------------------------------------------------------------------------

    def lines(self) -> Iterator[tuple[int, bytes]]:
        carry = b""
        for chunk in self._chunks():
            over = self.decompressed_bytes + len(chunk) > self._max_decompressed
            if over:
                # Deliver the lines within the limit first, so an earlier bad line is still
                # the one reported; then stop at the line that crosses it.
                chunk = chunk[: self._max_decompressed - self.decompressed_bytes]
            self.decompressed_bytes += len(chunk)
            parts = (carry + chunk).split(b"\n") if carry else chunk.split(b"\n")
            carry = parts.pop()
            if len(carry) > self._max_line:
                raise VcfInvalid(
                    self._line + len(parts) + 1,
                    "line_too_long",
                    f"the line is longer than {self._max_line} bytes.",
                )
            for part in parts:
                self._line += 1
                if len(part) > self._max_line:
                    raise VcfInvalid(
                        self._line,
                        "line_too_long",
                        f"the line is longer than {self._max_line} bytes.",
                    )
                yield self._line, part
            if over:
                raise VcfInvalid(
                    self._line + 1,
                    "too_large",
                    f"the decompressed file exceeds the limit of {self._max_decompressed} bytes.",
                )
        if carry:
            self._line += 1
            yield self._line, carry
        if self.decompressed_bytes == 0:
            raise VcfInvalid(1, "empty", "the file is empty.")


def _is_bgzf(data: bytes) -> bool:
    # BGZF: gzip with FEXTRA holding a 'BC' subfield (SAM/BAM spec, section 4.1).
    return len(data) >= 18 and data[3] & 4 and data[12:14] == b"BC"
