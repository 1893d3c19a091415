"""GA4GH Crypt4GH v1, the format of every genomic file in the vault and in exports.

A file is a header of X25519-encrypted packets (one per recipient, each carrying the
same data key, optionally an edit list) followed by 64 KiB ChaCha20-Poly1305 segments.
Files written here open with the reference ``crypt4gh`` tool and vice versa.

Everything streams in constant memory: bodies move in 1 MiB chunks through reusable
buffers (regular files through bounded memory maps, which spares a copy), and SHA-256
runs on a helper thread so hashing overlaps encryption and I/O on a second core. Range
reads seek straight to the segments they need. Header re-encryption touches only
the header, so granting a researcher a file costs a few X25519 operations whatever its
size.

Limits of the format worth knowing: segments are authenticated one by one, with no
position or count bound into them. A body cut exactly at a segment boundary, or two
whole segments swapped, still authenticates; only the plaintext digest recorded at
encryption (``EncryptResult.plaintext_sha256``, checked by ``decrypt(expected_sha256=)``)
catches that. Nothing in this module logs, and no error message carries key material.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import io
import itertools
import mmap
import os
import stat
import struct
import threading
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305

from governance.errors import DomainError

MAGIC = b"crypt4gh"
VERSION = 1
SEGMENT_SIZE = 65536
NONCE_SIZE = 12
MAC_SIZE = 16
CIPHER_SEGMENT_SIZE = SEGMENT_SIZE + NONCE_SIZE + MAC_SIZE
KEY_SIZE = 32

_CHUNK_SEGMENTS = 16  # segments per read and write: 1 MiB of plaintext
_MAX_PACKETS = 4096  # far above any real recipient list; bounds work on hostile input
_MAX_PACKET_SIZE = 1 << 20
_X25519_CHACHA20 = b"\0\0\0\0"  # header packet encryption method 0
_DATA_KEY_PACKET = 0
_EDIT_LIST_PACKET = 1
_MAP_WINDOW = 32 << 20  # regular files are hashed and encrypted through 32 MiB maps
_HASH_ON_THREAD = 1 << 18  # smaller inputs hash inline: a thread would cost more than it saves

_PEM_PUBLIC = ("-----BEGIN CRYPT4GH PUBLIC KEY-----", "-----END CRYPT4GH PUBLIC KEY-----")
_PEM_PRIVATE = ("-----BEGIN CRYPT4GH PRIVATE KEY-----", "-----END CRYPT4GH PRIVATE KEY-----")
_KEY_MAGIC = b"c4gh-v1"
_SCRYPT = {"n": 1 << 14, "r": 8, "p": 1, "dklen": 32}


class Crypt4GHError(DomainError):
    """Any Crypt4GH failure: malformed or tampered input, a wrong key, a bad key file.

    Messages say what is wrong and where (segment number, field), never any key bytes.
    """

    default_code = "crypt4gh_invalid"

    def __init__(self, message: str):
        super().__init__(message)


@dataclass(frozen=True)
class EncryptResult:
    """What the vault records about a newly written file."""

    header_len: int
    plaintext_size: int
    plaintext_sha256: str  # hex


@dataclass(frozen=True)
class Header:
    """A parsed header whose packets are still encrypted.

    ``packets`` hold each packet without its length prefix (encryption method first),
    exactly as stored, so ``to_bytes()`` reproduces the original header.
    """

    packets: tuple[bytes, ...]

    @property
    def length(self) -> int:
        """Bytes from the magic to the first body segment: where range reads start counting."""
        return 16 + sum(4 + len(p) for p in self.packets)

    def to_bytes(self) -> bytes:
        """Serialise, so stored headers can be re-joined to their bodies."""
        parts = [MAGIC, struct.pack("<II", VERSION, len(self.packets))]
        for packet in self.packets:
            parts += [struct.pack("<I", len(packet) + 4), packet]
        return b"".join(parts)


@dataclass(frozen=True)
class _OpenedHeader:
    data_keys: tuple[bytes, ...]
    edit_list: tuple[int, ...] | None
    payloads: tuple[bytes, ...]  # decrypted packet contents, re-sealed on re-encryption


# --- keys -----------------------------------------------------------------------------


def generate_keypair() -> tuple[bytes, bytes]:
    """A fresh X25519 pair as raw 32-byte (private, public), the form Crypt4GH stores."""
    private = X25519PrivateKey.generate()
    return private.private_bytes_raw(), private.public_key().public_bytes_raw()


def derive_public_key(private_key: bytes) -> bytes:
    """The public half of a stored private key, so only the private half need be kept."""
    return _private(private_key).public_key().public_bytes_raw()


def _private(raw: bytes) -> X25519PrivateKey:
    if not isinstance(raw, bytes | bytearray) or len(raw) != KEY_SIZE:
        raise Crypt4GHError("A Crypt4GH private key must be 32 raw bytes.")
    return X25519PrivateKey.from_private_bytes(bytes(raw))


def _session_key(own: X25519PrivateKey, peer: bytes, *, reader: bytes, writer: bytes) -> bytes:
    # libsodium crypto_kx as used by crypt4gh: the writer is the server (tx key), the reader
    # the client (rx key); both halves come from BLAKE2b-512(dh || client_pk || server_pk)
    # and the writer's tx equals the reader's rx: its first 32 bytes.
    try:
        shared = own.exchange(X25519PublicKey.from_public_bytes(peer))
    except ValueError:
        raise Crypt4GHError("A public key is not usable for X25519 (low-order point).") from None
    return hashlib.blake2b(shared + reader + writer, digest_size=64).digest()[:KEY_SIZE]


def load_public_key(data: str | bytes) -> bytes:
    """Read a recipient's public key from a Crypt4GH PEM file or a bare base64 string.

    Researchers paste keys into forms, so surrounding whitespace is tolerated, but the
    key must decode to exactly 32 bytes that X25519 accepts.
    """
    text = _text(data, "public key").strip()
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if lines and lines[0].startswith("-----BEGIN"):
        if lines[0] != _PEM_PUBLIC[0] or lines[-1] != _PEM_PUBLIC[1] or len(lines) < 3:
            raise Crypt4GHError("Not a Crypt4GH public key: expected a CRYPT4GH PUBLIC KEY block.")
        lines = lines[1:-1]
    key = _b64decode("".join(lines), "public key")
    if len(key) != KEY_SIZE:
        raise Crypt4GHError("A Crypt4GH public key must decode to 32 bytes.")
    _session_key(X25519PrivateKey.generate(), key, reader=key, writer=key)  # rejects low order
    return key


def public_key_pem(public_key: bytes) -> str:
    """The PEM text researchers download and that ``crypt4gh.keys.get_public_key`` reads."""
    if len(public_key) != KEY_SIZE:
        raise Crypt4GHError("A Crypt4GH public key must be 32 bytes.")
    return f"{_PEM_PUBLIC[0]}\n{base64.b64encode(public_key).decode()}\n{_PEM_PUBLIC[1]}\n"


def private_key_file_bytes(
    private_key: bytes, *, passphrase: str | None = None, comment: str | None = None
) -> bytes:
    """A c4gh-v1 private key file, the format ``crypt4gh.keys.get_private_key`` reads.

    With a passphrase the key is sealed with ChaCha20-Poly1305 under an scrypt-derived
    key; without one it is stored in clear (kdf and cipher ``none``), which is only for
    keys that are themselves kept inside an encrypted store.
    """
    key = _private(private_key).private_bytes_raw()
    if passphrase is None:
        body = [_KEY_MAGIC, _kstr(b"none"), _kstr(b"none"), _kstr(key)]
    elif not passphrase:
        raise Crypt4GHError("An empty passphrase would leave the key unprotected; pass None.")
    else:
        salt, nonce = os.urandom(16), os.urandom(NONCE_SIZE)
        derived = hashlib.scrypt(passphrase.encode(), salt=salt, **_SCRYPT)
        sealed = ChaCha20Poly1305(derived).encrypt(nonce, key, None)
        body = [_KEY_MAGIC, _kstr(b"scrypt"), _kstr(struct.pack(">I", 0) + salt)]
        body += [_kstr(b"chacha20_poly1305"), _kstr(nonce + sealed)]
    if comment is not None:
        body.append(_kstr(comment.encode()))
    encoded = base64.b64encode(b"".join(body)).decode()
    return f"{_PEM_PRIVATE[0]}\n{encoded}\n{_PEM_PRIVATE[1]}\n".encode()


def load_private_key_file(data: str | bytes, *, passphrase: str | None = None) -> bytes:
    """The raw private key from a c4gh-v1 key file (kdf none, scrypt or pbkdf2_hmac_sha256).

    A wrong passphrase and a corrupted file give the same error, by design.
    """
    lines = [line.strip() for line in _text(data, "private key").splitlines() if line.strip()]
    if len(lines) < 3 or lines[0] != _PEM_PRIVATE[0] or lines[-1] != _PEM_PRIVATE[1]:
        raise Crypt4GHError("Not a Crypt4GH private key: expected a CRYPT4GH PRIVATE KEY block.")
    stream = io.BytesIO(_b64decode("".join(lines[1:-1]), "private key"))
    if stream.read(len(_KEY_MAGIC)) != _KEY_MAGIC:
        raise Crypt4GHError("Not a c4gh-v1 private key.")
    kdf = _read_kstr(stream)
    options = b"" if kdf == b"none" else _read_kstr(stream)
    cipher, blob = _read_kstr(stream), _read_kstr(stream)
    if kdf == b"none":
        if cipher != b"none" or len(blob) != KEY_SIZE:
            raise Crypt4GHError("Malformed unencrypted Crypt4GH private key.")
        return blob
    if cipher != b"chacha20_poly1305" or len(options) < 5 or len(blob) <= NONCE_SIZE + MAC_SIZE:
        raise Crypt4GHError("Unsupported or malformed Crypt4GH private key encryption.")
    if not passphrase:
        raise Crypt4GHError("This private key is protected: a passphrase is required.")
    rounds, salt = struct.unpack(">I", options[:4])[0], options[4:]
    if kdf == b"scrypt":
        derived = hashlib.scrypt(passphrase.encode(), salt=salt, **_SCRYPT)
    elif kdf == b"pbkdf2_hmac_sha256":
        derived = hashlib.pbkdf2_hmac("sha256", passphrase.encode(), salt, rounds, dklen=32)
    else:
        raise Crypt4GHError(f"Unsupported private key derivation {kdf[:32]!r}.")
    try:
        key = ChaCha20Poly1305(derived).decrypt(blob[:NONCE_SIZE], blob[NONCE_SIZE:], None)
    except InvalidTag:
        raise Crypt4GHError("Wrong passphrase or corrupted private key file.") from None
    if len(key) != KEY_SIZE:
        raise Crypt4GHError("Malformed Crypt4GH private key.")
    return key


def _text(data: str | bytes, what: str) -> str:
    if isinstance(data, bytes | bytearray):
        try:
            return bytes(data).decode("ascii")
        except UnicodeDecodeError:
            raise Crypt4GHError(f"The {what} is not ASCII text.") from None
    return data


def _b64decode(text: str, what: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise Crypt4GHError(f"The {what} is not valid base64.") from None


def _kstr(value: bytes) -> bytes:
    return struct.pack(">H", len(value)) + value


def _read_kstr(stream: io.BytesIO) -> bytes:
    prefix = stream.read(2)
    if len(prefix) == 2:
        (size,) = struct.unpack(">H", prefix)
        value = stream.read(size)
        if len(value) == size:
            return value
    raise Crypt4GHError("Malformed Crypt4GH private key: a field is cut short.")


# --- header ---------------------------------------------------------------------------


def read_header(infile: BinaryIO) -> Header:
    """Parse the header at the stream's position, leaving it at the first body segment.

    Packets stay encrypted: this checks structure only (magic, version, sizes), which is
    all that storage needs to split a file into header and body.
    """
    start = _read_exact(infile, 16, "header")
    if start[:8] != MAGIC:
        raise Crypt4GHError("Not a Crypt4GH file: bad magic bytes.")
    version, count = struct.unpack("<II", start[8:])
    if version != VERSION:
        raise Crypt4GHError(f"Unsupported Crypt4GH version {version}; only 1 is known.")
    if not 0 < count <= _MAX_PACKETS:
        raise Crypt4GHError(f"Invalid header packet count {count}.")
    packets = []
    for index in range(count):
        (size,) = struct.unpack("<I", _read_exact(infile, 4, "header"))
        if not 8 <= size <= _MAX_PACKET_SIZE:
            raise Crypt4GHError(f"Invalid length {size} for header packet {index}.")
        packets.append(_read_exact(infile, size - 4, "header"))
    return Header(packets=tuple(packets))


def _parse_header_bytes(header_bytes: bytes) -> Header:
    stream = io.BytesIO(header_bytes)
    header = read_header(stream)
    if stream.tell() != len(header_bytes):
        raise Crypt4GHError("Unexpected bytes after the Crypt4GH header.")
    return header


def _open_header(header: Header, private_key: bytes) -> _OpenedHeader:
    # Packets that are not ours (another recipient, unknown method, failed MAC) are
    # skipped: a header is only unusable when none of its packets opens.
    own = _private(private_key)
    reader = own.public_key().public_bytes_raw()
    keys: dict[bytes, bytes | None] = {}
    payloads = []
    for packet in header.packets:
        if packet[:4] != _X25519_CHACHA20 or len(packet) < 4 + KEY_SIZE + NONCE_SIZE + MAC_SIZE:
            continue
        writer = packet[4:36]
        if writer not in keys:
            try:
                keys[writer] = _session_key(own, writer, reader=reader, writer=writer)
            except Crypt4GHError:
                keys[writer] = None
        if keys[writer] is None:
            continue
        try:
            payloads.append(
                ChaCha20Poly1305(keys[writer]).decrypt(packet[36:48], packet[48:], None)
            )
        except InvalidTag:
            continue
    if not payloads:
        raise Crypt4GHError("No header packet opens with this key: wrong key or tampered header.")
    data_keys, edit_list = [], None
    for payload in payloads:
        kind = struct.unpack_from("<I", payload)[0] if len(payload) >= 4 else None
        if kind == _DATA_KEY_PACKET and len(payload) >= 8 + KEY_SIZE:
            method = struct.unpack_from("<I", payload, 4)[0]
            if method != 0:
                raise Crypt4GHError(f"Unsupported data encryption method {method}.")
            data_keys.append(payload[8 : 8 + KEY_SIZE])
        elif kind == _EDIT_LIST_PACKET and len(payload) >= 8:
            if edit_list is not None:
                raise Crypt4GHError("Invalid header: more than one edit list.")
            count = struct.unpack_from("<I", payload, 4)[0]
            if count == 0 or len(payload) < 8 + 8 * count:
                raise Crypt4GHError("Invalid header: malformed edit list.")
            edit_list = struct.unpack_from(f"<{count}Q", payload, 8)
        else:
            raise Crypt4GHError(f"Invalid or unsupported header packet (type {kind}).")
    if not data_keys:
        raise Crypt4GHError("The header holds no data key for this recipient.")
    return _OpenedHeader(tuple(data_keys), edit_list, tuple(payloads))


def _seal_header(
    payloads: tuple[bytes, ...], recipients: list[bytes], writer_private: bytes | None
) -> bytes:
    unique = list(dict.fromkeys(bytes(r) for r in recipients))
    if not unique or any(len(r) != KEY_SIZE for r in unique):
        raise Crypt4GHError("Give at least one recipient, each a 32-byte public key.")
    own = X25519PrivateKey.generate() if writer_private is None else _private(writer_private)
    writer = own.public_key().public_bytes_raw()
    packets = []
    for recipient in unique:
        aead = ChaCha20Poly1305(_session_key(own, recipient, reader=recipient, writer=writer))
        for payload in payloads:
            nonce = os.urandom(NONCE_SIZE)
            packets.append(_X25519_CHACHA20 + writer + nonce + aead.encrypt(nonce, payload, None))
    return Header(packets=tuple(packets)).to_bytes()


def reencrypt_header(header_bytes: bytes, *, private_key: bytes, recipients: list[bytes]) -> bytes:
    """A new header giving ``recipients`` the same data key (and edit list) as the old one.

    This is how a vault file is shared without re-encrypting its body. Packets the holder
    cannot open are dropped rather than copied, so the new header reveals nothing about
    who else could read the file. The writer key is ephemeral.
    """
    opened = _open_header(_parse_header_bytes(header_bytes), private_key)
    return _seal_header(opened.payloads, recipients, None)


def reencrypt_file(
    infile: BinaryIO, outfile: BinaryIO, *, private_key: bytes, recipients: list[bytes]
) -> int:
    """Write the file with a re-encrypted header and the body copied byte for byte.

    Returns the new header length. The body is not authenticated on the way through:
    the recipient's decryption does that.
    """
    opened = _open_header(read_header(infile), private_key)
    new_header = _seal_header(opened.payloads, recipients, None)
    _write_all(outfile, new_header)
    buffer = memoryview(bytearray(_CHUNK_SEGMENTS * CIPHER_SEGMENT_SIZE))
    while size := _fill(infile, buffer):
        _write_all(outfile, buffer[:size])
    return len(new_header)


# --- body -----------------------------------------------------------------------------


def encrypt(
    infile: BinaryIO,
    outfile: BinaryIO,
    *,
    recipients: list[bytes],
    writer_private: bytes | None = None,
    digest: bool = True,
) -> EncryptResult:
    """Encrypt a plaintext stream for every recipient, computing its SHA-256 on the way
    (``digest=False`` skips it, and ``plaintext_sha256`` is then empty).

    All recipients share one random data key, each with a header packet of their own.
    Without ``writer_private`` the writer key is ephemeral, which is what the vault and
    exports want: the file then proves nothing about who wrote it.
    """
    data_key = os.urandom(KEY_SIZE)
    header = _seal_header((struct.pack("<II", 0, 0) + data_key,), recipients, writer_private)
    _write_all(outfile, header)
    aead = ChaCha20Poly1305(data_key)
    total = 0
    with _work_buffers() as (plain, cipher), _Hasher(enabled=digest) as hasher:
        blocks = _plaintext_blocks(infile, plain)
        try:
            for block in blocks:
                hasher.update(block)
                for start in range(0, len(block), _CHUNK_SEGMENTS * SEGMENT_SIZE):
                    chunk = block[start : start + _CHUNK_SEGMENTS * SEGMENT_SIZE]
                    _write_all(outfile, cipher[: _seal_chunk(aead, chunk, cipher)])
                total += len(block)
            digest = hasher.hexdigest()
        finally:
            blocks.close()  # no view of the buffers outlives this call
    return EncryptResult(header_len=len(header), plaintext_size=total, plaintext_sha256=digest)


class _work_buffers:  # noqa: N801 - used as a context manager, like a function
    """The 3 MiB of working buffers ``encrypt`` needs, kept per thread between calls.

    Allocating them afresh costs more than encrypting a small file (``bytearray(n)``
    zero-fills, touching every page), and an ingest encrypts thousands of small files
    on a few threads. A nested call on the same thread gets buffers of its own.
    """

    _local = threading.local()

    def __enter__(self) -> tuple[list[memoryview], memoryview]:
        self._buffers = getattr(self._local, "free", None) or (
            [memoryview(bytearray(_CHUNK_SEGMENTS * SEGMENT_SIZE)) for _ in range(2)],
            memoryview(bytearray(_CHUNK_SEGMENTS * CIPHER_SEGMENT_SIZE)),
        )
        self._local.free = None
        return self._buffers

    def __exit__(self, *exc: object) -> None:
        self._local.free = self._buffers


def _seal_chunk(aead: ChaCha20Poly1305, chunk: memoryview, out: memoryview) -> int:
    """Encrypt whole segments of ``chunk`` into ``out``; return the bytes written there."""
    nonces = os.urandom(NONCE_SIZE * -(-len(chunk) // SEGMENT_SIZE))
    end = 0
    for n, start in enumerate(range(0, len(chunk), SEGMENT_SIZE)):
        segment = chunk[start : start + SEGMENT_SIZE]
        nonce = out[end : end + NONCE_SIZE]
        nonce[:] = nonces[n * NONCE_SIZE : (n + 1) * NONCE_SIZE]
        begin, end = end + NONCE_SIZE, end + NONCE_SIZE + len(segment) + MAC_SIZE
        aead.encrypt_into(nonce, segment, None, out[begin:end])
    return end


def _plaintext_blocks(infile: BinaryIO, buffers: list[memoryview]) -> Iterator[memoryview]:
    """Yield the input as views of whole segments (only the last may be short).

    A view stays valid until the generator has been resumed twice, which lets the hash
    of one block run on the helper thread while the next is produced. Regular files are
    memory-mapped in large windows: hashing and encryption then read the page cache
    directly, saving the copy a read would make. The file must not be truncated while
    it is being encrypted (the map would fault); growth is fine, the tail is read.
    """
    fileno, position = _regular_file(infile)
    if fileno is not None:
        mapped = _MappedFile(fileno)
        size = os.fstat(fileno).st_size - position
        for start in range(position, position + size - _MAP_WINDOW + 1, _MAP_WINDOW):
            yield mapped.view(start, _MAP_WINDOW)
            infile.seek(start + _MAP_WINDOW)
    for turn in itertools.count():
        buffer = buffers[turn % 2]
        size = _fill(infile, buffer)
        if size:
            yield buffer[:size]
        if size < len(buffer):
            return


class _MappedFile:
    """Read-only windows onto a regular file, so the page cache is read without a copy.

    Old windows are unmapped once the last view into them is released. Views are
    clipped at the file's end as it was when their window was mapped.
    """

    def __init__(self, fileno: int):
        self._fileno = fileno
        self._map = memoryview(b"")
        self._start = self._end = 0

    def view(self, offset: int, size: int) -> memoryview:
        if not self._start <= offset <= offset + size <= self._end:
            file_size = os.fstat(self._fileno).st_size
            start = offset - offset % mmap.ALLOCATIONGRANULARITY
            end = min(file_size, max(offset + size, start + _MAP_WINDOW))
            if end <= offset:
                return memoryview(b"")
            window = mmap.mmap(self._fileno, end - start, offset=start, access=mmap.ACCESS_READ)
            self._map, self._start, self._end = memoryview(window), start, end
        return self._map[offset - self._start : min(offset + size, self._end) - self._start]


def _regular_file(stream: BinaryIO) -> tuple[int | None, int]:
    """The descriptor and position of a seekable regular file, else (None, 0)."""
    try:
        fileno = stream.fileno()
        if stat.S_ISREG(os.fstat(fileno).st_mode) and stream.seekable():
            return fileno, stream.tell()
    except (AttributeError, OSError, ValueError, io.UnsupportedOperation):
        pass
    return None, 0


def decrypt(
    infile: BinaryIO,
    outfile: BinaryIO,
    *,
    private_key: bytes,
    expected_sha256: str | None = None,
) -> int:
    """Decrypt a whole file (honouring its edit list) and return the plaintext size.

    Plaintext is written as segments authenticate, so on any error the caller must
    discard ``outfile``; writes in the platform go to a temporary file for that reason.
    Pass the digest recorded at encryption to catch what per-segment MACs cannot: a body
    truncated at a segment boundary or whole segments swapped.
    """
    opened = _open_header(read_header(infile), private_key)
    total = 0
    with _Hasher(enabled=expected_sha256 is not None) as hasher:
        for piece in _plaintext(infile, opened, 0, None):
            hasher.update(piece)
            _write_all(outfile, piece)
            total += len(piece)
        if expected_sha256 is not None and not hmac.compare_digest(
            hasher.hexdigest(), expected_sha256.lower()
        ):
            raise Crypt4GHError("Plaintext digest mismatch: segments are missing or out of order.")
    return total


def iter_plaintext(
    infile: BinaryIO, *, private_key: bytes, offset: int = 0, length: int | None = None
) -> Iterator[bytes]:
    """Plaintext bytes [offset, offset + length) of the file, in chunks of up to 1 MiB.

    Offsets count the plaintext as the edit list presents it. On a seekable stream only
    the segments holding the range are read and decrypted, so serving a slice of a large
    file costs the slice, not the file. The header is checked before this returns.
    """
    if offset < 0 or (length is not None and length < 0):
        raise Crypt4GHError("A range needs a non-negative offset and length.")
    opened = _open_header(read_header(infile), private_key)
    return (bytes(piece) for piece in _plaintext(infile, opened, offset, length))


def _kept_ranges(edit_list: tuple[int, ...] | None) -> list[tuple[int, int | None]]:
    # Edit list lengths alternate discard, keep, discard...; an odd count ends on a
    # discard, after which everything is kept.
    if edit_list is None:
        return [(0, None)]
    ranges: list[tuple[int, int | None]] = []
    position = 0
    for index, size in enumerate(edit_list):
        if index % 2 and size:
            ranges.append((position, position + size))
        position += size
    if len(edit_list) % 2:
        ranges.append((position, None))
    return ranges


def _plaintext(
    infile: BinaryIO, opened: _OpenedHeader, offset: int, length: int | None
) -> Iterator[memoryview]:
    """Yield views (each valid until the next) of the logical range, edit list applied."""
    end = None if length is None else offset + length
    body = _BodyReader(infile, opened.data_keys)
    logical = 0  # logical offset where the current kept range starts
    for raw_start, raw_stop in _kept_ranges(opened.edit_list):
        kept_end = None if raw_stop is None else logical + raw_stop - raw_start
        lo = max(offset, logical)
        hi = end if kept_end is None else kept_end if end is None else min(end, kept_end)
        if hi is None or lo < hi:
            # An edit list may name bytes past the end (the reference tool writes such
            # lists when asked for a span longer than the file): they are simply absent.
            yield from body.read(raw_start + lo - logical, None if hi is None else hi - lo)
        if kept_end is None or (end is not None and kept_end >= end):
            return
        logical = kept_end


class _BodyReader:
    """Decrypts body segments in 1 MiB chunks, seeking past segments nobody asked for.

    Regular files are read through memory maps (no copy into a buffer); other streams
    through one reusable buffer, reading forward over skipped segments if they cannot
    seek.
    """

    def __init__(self, infile: BinaryIO, data_keys: tuple[bytes, ...]):
        self._infile = infile
        self._aeads = [ChaCha20Poly1305(k) for k in dict.fromkeys(data_keys)]
        self._seekable = _seekable(infile)
        self._body_start = infile.tell() if self._seekable else 0
        fileno, _ = _regular_file(infile)
        self._mapped = None if fileno is None else _MappedFile(fileno)
        self._next = 0  # index of the segment the stream is positioned at
        self._cipher = memoryview(bytearray(_CHUNK_SEGMENTS * CIPHER_SEGMENT_SIZE))
        # Two plaintext buffers, used in turn: a yielded view stays valid while the next
        # chunk is decrypted, so a digest of it can still be running.
        self._plains = [memoryview(bytearray(_CHUNK_SEGMENTS * SEGMENT_SIZE)) for _ in range(2)]
        self._plain = self._plains[1]
        self._first, self._size, self._eof = -1, 0, False  # the chunk now in _plain

    def read(self, raw_offset: int, length: int | None) -> Iterator[memoryview]:
        """Yield the plaintext of raw body bytes [raw_offset, raw_offset + length).

        Offsets only grow between calls (edit-list ranges are ordered), so the chunk in
        hand is reused when the next range starts inside it.
        """
        position, stop = raw_offset, None if length is None else raw_offset + length
        last = None if stop is None else (stop - 1) // SEGMENT_SIZE
        while stop is None or position < stop:
            base = self._first * SEGMENT_SIZE
            if not base <= position < base + self._size:
                if self._eof and position >= base:
                    return
                self._load(position // SEGMENT_SIZE, last)
                base = self._first * SEGMENT_SIZE
                if position >= base + self._size:
                    return  # the body ends before this position
            upto = base + self._size if stop is None else min(stop, base + self._size)
            yield self._plain[position - base : upto - base]
            position = upto

    def _load(self, segment: int, last: int | None) -> None:
        count = _CHUNK_SEGMENTS if last is None else min(_CHUNK_SEGMENTS, last - segment + 1)
        if self._mapped is not None:
            start = self._body_start + segment * CIPHER_SEGMENT_SIZE
            cipher = self._mapped.view(start, count * CIPHER_SEGMENT_SIZE)
        else:
            self._goto(segment)
            cipher = self._cipher[
                : _fill(self._infile, self._cipher[: count * CIPHER_SEGMENT_SIZE])
            ]
            self._next = segment + -(-len(cipher) // CIPHER_SEGMENT_SIZE)
        size = len(cipher)
        self._plains.reverse()
        self._plain = plain = self._plains[0]
        out = 0
        for start in range(0, size, CIPHER_SEGMENT_SIZE):
            end = min(start + CIPHER_SEGMENT_SIZE, size)
            index = segment + start // CIPHER_SEGMENT_SIZE
            if end - start <= NONCE_SIZE + MAC_SIZE:
                raise Crypt4GHError(
                    f"Segment {index} is too short: the body is truncated or has trailing bytes."
                )
            produced = end - start - NONCE_SIZE - MAC_SIZE
            self._open(
                cipher[start : start + NONCE_SIZE],
                cipher[start + NONCE_SIZE : end],
                plain[out : out + produced],
                index,
            )
            out += produced
        self._first, self._size = segment, out
        self._eof = size < count * CIPHER_SEGMENT_SIZE

    def _open(self, nonce: memoryview, sealed: memoryview, out: memoryview, index: int) -> None:
        for n, aead in enumerate(self._aeads):
            try:
                aead.decrypt_into(nonce, sealed, None, out)
            except InvalidTag:
                continue
            if n:  # keep the key that worked first in line for the next segment
                self._aeads.insert(0, self._aeads.pop(n))
            return
        raise Crypt4GHError(
            f"Segment {index} failed authentication: the body is tampered, truncated or "
            "has trailing bytes."
        )

    def _goto(self, segment: int) -> None:
        if segment == self._next:
            return
        if self._seekable:
            self._infile.seek(self._body_start + segment * CIPHER_SEGMENT_SIZE)
        elif segment > self._next:  # a pipe: read forward over the segments we skip
            skip = (segment - self._next) * CIPHER_SEGMENT_SIZE
            while skip and (
                got := _fill(self._infile, self._cipher[: min(skip, len(self._cipher))])
            ):
                skip -= got
        else:
            raise Crypt4GHError("Cannot move backwards in a non-seekable stream.")
        self._next = segment


# --- streams --------------------------------------------------------------------------


class _Hasher:
    """SHA-256 on a helper thread: hashlib releases the GIL, so it overlaps crypto and I/O.

    Each update first waits for the previous one, so callers need only keep a view
    valid until their next update (double buffering).
    """

    def __init__(self, *, enabled: bool = True):
        self._sha = hashlib.sha256() if enabled else None
        self._pool: ThreadPoolExecutor | None = None
        self._pending: Future | None = None

    def __enter__(self) -> _Hasher:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)

    def update(self, data: memoryview) -> None:
        if self._sha is None:
            return
        self._wait()
        if len(data) < _HASH_ON_THREAD:
            self._sha.update(data)
            return
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="c4gh-sha256")
        self._pending = self._pool.submit(self._sha.update, data)

    def _wait(self) -> None:
        if self._pending is not None:
            pending, self._pending = self._pending, None
            pending.result()

    def hexdigest(self) -> str:
        self._wait()
        return self._sha.hexdigest() if self._sha is not None else ""


def _seekable(stream: BinaryIO) -> bool:
    try:
        return bool(stream.seekable())
    except (AttributeError, OSError, ValueError):
        return False


def _fill(infile: BinaryIO, view: memoryview) -> int:
    """Read until ``view`` is full or the stream ends; pipes and sockets return short reads."""
    readinto = getattr(infile, "readinto", None)
    got = 0
    while got < len(view):
        if readinto is not None:
            n = readinto(view[got:])
        else:
            data = infile.read(len(view) - got)
            n = len(data)
            view[got : got + n] = data
        if not n:
            break
        got += n
    return got


def _read_exact(infile: BinaryIO, size: int, what: str) -> bytes:
    buffer = bytearray(size)
    if _fill(infile, memoryview(buffer)) != size:
        raise Crypt4GHError(f"The file is truncated inside the {what}.")
    return bytes(buffer)


def _write_all(outfile: BinaryIO, data: bytes | memoryview) -> None:
    view = memoryview(data)
    while view:
        written = outfile.write(view)
        if written is None or written >= len(view):
            return
        view = view[written:]
