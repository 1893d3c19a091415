"""Checkpoints in the C2SP signed-note format (c2sp.org/tlog-checkpoint, c2sp.org/signed-note).

A checkpoint note reads::

    helix-consent/127.0.0.1:8000
    1234
    <base64 root hash>

    — helix-consent/127.0.0.1:8000 <base64(key hash || Ed25519 signature)>

The signature covers the text up to and including its last newline. The key hash is
the first four bytes of SHA-256(name || "\\n" || 0x01 || public key), where 0x01 marks
an Ed25519 key. Signing goes through ``governance.keys``; anyone can verify a note with
the published verifier key (``verifier_key()``) and a standard signed-note library.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings

from governance import keys
from governance.errors import IntegrityFailure

_ED25519 = b"\x01"
_DASH = "\u2014 "
MAX_NOTE_BYTES = 1_000_000


class CheckpointInvalid(IntegrityFailure):
    """A checkpoint note failed to parse or verify. Deliberately says no more."""

    def __init__(self, message: str = "Checkpoint verification failed."):
        super().__init__(message, code="checkpoint_invalid")


@dataclass(frozen=True)
class CheckpointNote:
    origin: str
    tree_size: int
    root_hash: bytes
    text: str  # the whole note, signatures included


def origin() -> str:
    """The log's origin line: ``helix-consent/<host>`` from ``HELIX_ISSUER``."""
    host = urlsplit(settings.HELIX_ISSUER).netloc or "localhost"
    return f"helix-consent/{host}"


def key_hash(name: str, public_key: bytes) -> bytes:
    return hashlib.sha256(name.encode() + b"\n" + _ED25519 + public_key).digest()[:4]


def verifier_key() -> str:
    """The signed-note verifier key: ``<name>+<hex key hash>+<base64(0x01 || public key)>``."""
    name, public = origin(), keys.signing_public_key()
    return f"{name}+{key_hash(name, public).hex()}+{base64.b64encode(_ED25519 + public).decode()}"


def body(origin_line: str, tree_size: int, root_hash: bytes) -> str:
    return f"{origin_line}\n{tree_size}\n{base64.b64encode(root_hash).decode()}\n"


def sign_checkpoint(tree_size: int, root_hash: bytes) -> str:
    """The signed checkpoint note for a tree head, signed with the platform key."""
    name = origin()
    text = body(name, tree_size, root_hash)
    signature = keys.sign(text.encode())
    blob = base64.b64encode(key_hash(name, keys.signing_public_key()) + signature).decode()
    return f"{text}\n{_DASH}{name} {blob}\n"


def parse_and_verify(note: str, *, public_key: bytes | None = None) -> CheckpointNote:
    """Parse a checkpoint note and verify the platform's signature on it.

    Raises ``CheckpointInvalid`` for any problem: malformed text, no signature from the
    platform key, a bad signature, a size or root that is not canonical.
    """
    try:
        if not isinstance(note, str) or len(note.encode()) > MAX_NOTE_BYTES or "\r" in note:
            raise ValueError
        text, sep, signatures = note.partition("\n\n")
        if not sep or not signatures.endswith("\n"):
            raise ValueError
        text += "\n"
        lines = text.split("\n")[:-1]
        if len(lines) < 3 or any(line == "" for line in lines):
            raise ValueError
        origin_line, size_line, root_line = lines[0], lines[1], lines[2]
        if not size_line.isdigit() or (size_line != "0" and size_line.startswith("0")):
            raise ValueError
        root = base64.b64decode(root_line, validate=True)
        if len(root) != 32 or base64.b64encode(root).decode() != root_line:
            raise ValueError
        public = public_key if public_key is not None else keys.signing_public_key()
        wanted = key_hash(origin_line, public)
        for line in signatures[:-1].split("\n"):
            if not line.startswith(_DASH):
                raise ValueError
            name, _, blob_text = line[len(_DASH) :].rpartition(" ")
            blob = base64.b64decode(blob_text, validate=True)
            if (
                name != origin_line
                or len(blob) != 4 + 64
                or not hmac.compare_digest(blob[:4], wanted)
            ):
                continue
            keys.verify_signature(text.encode(), blob[4:], public_key=public)
            return CheckpointNote(
                origin=origin_line, tree_size=int(size_line), root_hash=root, text=note
            )
        raise ValueError
    except (ValueError, binascii.Error, IntegrityFailure):
        raise CheckpointInvalid() from None
