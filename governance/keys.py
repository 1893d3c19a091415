"""The key hierarchy: master keys outside the database, everything else wrapped under them.

Layers, from the top:

* **Master keys** come from a ``KeyProvider``: the operator's ``HELIX_MASTER_KEY`` (or
  ``HELIX_MASTER_KEY_FILE``) in production, a development key file under
  ``DATA_DIR/keys`` created on first use otherwise. They are versioned; new wraps use
  the current version and old versions stay readable until retired.
* **Data keys** (field encryption, blind index, pseudonyms, signing) are random keys
  stored in the ``KeyMaterial`` table, wrapped under a master key version.
* **Subject keys** (X25519, one pair per subject) are wrapped by the genomics app with
  ``wrap_key`` and a context naming the subject and key version, so a wrapped key moved
  to another row fails to open.

This module and ``genomics/crypt4gh.py`` are the only places that import
``cryptography``. Nothing here logs key material.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import struct
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import jwt
from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, x25519
from cryptography.hazmat.primitives.ciphers.aead import AESGCM, ChaCha20Poly1305
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction

from governance.errors import IntegrityFailure

_WRAP_MAGIC = b"HXW1"
_FIELD_MAGIC = b"HXF1"
KEY_BYTES = 32


class KeyUnavailable(IntegrityFailure):
    """A wrapped key or encrypted field could not be opened. Deliberately says no more."""

    def __init__(self, message: str = "Key material could not be opened."):
        super().__init__(message, code="key_unavailable")


class SignatureInvalid(IntegrityFailure):
    def __init__(self, message: str = "Signature verification failed."):
        super().__init__(message, code="signature_invalid")


# --- master key providers -------------------------------------------------------------


class KeyProvider(Protocol):
    """Where master keys come from. A KMS or Vault Transit provider implements the same."""

    def versions(self) -> list[int]: ...

    def current_version(self) -> int: ...

    def key(self, version: int) -> bytes: ...

    def add_version(self) -> int: ...

    def retire(self, version: int) -> None: ...


def _decode_key(text: str, where: str) -> bytes:
    try:
        raw = base64.b64decode(text.strip(), validate=True)
    except ValueError:
        raise ImproperlyConfigured(f"{where}: master key is not valid base64") from None
    if len(raw) != KEY_BYTES:
        raise ImproperlyConfigured(f"{where}: master key must be {KEY_BYTES} bytes, got {len(raw)}")
    return raw


class StaticKeyProvider:
    """Master keys given by the operator: ``"1:<base64>,2:<base64>"`` or one bare key (v1).

    The highest version is current. Adding a version means the operator supplies it.
    """

    def __init__(self, spec: str, *, where: str = "HELIX_MASTER_KEY"):
        self._keys: dict[int, bytes] = {}
        for part in (p.strip() for p in spec.replace("\n", ",").split(",")):
            if not part:
                continue
            version_text, sep, key_text = part.partition(":")
            if not sep:
                version_text, key_text = "1", part
            if not version_text.isdigit() or int(version_text) < 1:
                raise ImproperlyConfigured(f"{where}: version {version_text!r} is not a positive integer")
            self._keys[int(version_text)] = _decode_key(key_text, where)
        if not self._keys:
            raise ImproperlyConfigured(f"{where}: no master key given")

    def versions(self) -> list[int]:
        return sorted(self._keys)

    def current_version(self) -> int:
        return max(self._keys)

    def key(self, version: int) -> bytes:
        try:
            return self._keys[version]
        except KeyError:
            raise KeyUnavailable() from None

    def add_version(self) -> int:
        raise ImproperlyConfigured(
            "HELIX_MASTER_KEY: add the new version to the operator-supplied keys, then rotate"
        )

    def retire(self, version: int) -> None:
        raise ImproperlyConfigured("HELIX_MASTER_KEY: remove the retired version from the supplied keys")


class FileKeyProvider:
    """Development master keys in a JSON file (mode 0600), created on first use."""

    def __init__(self, path: Path):
        self.path = path
        self._lock = threading.Lock()

    def _load(self) -> dict:
        if not self.path.exists():
            with self._lock:
                if not self.path.exists():
                    self._write({"current": 1, "keys": {"1": base64.b64encode(os.urandom(KEY_BYTES)).decode()}})
        data = json.loads(self.path.read_text())
        return data

    def _write(self, data: dict) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = self.path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            json.dump(data, handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, self.path)

    def versions(self) -> list[int]:
        return sorted(int(v) for v in self._load()["keys"])

    def current_version(self) -> int:
        return int(self._load()["current"])

    def key(self, version: int) -> bytes:
        text = self._load()["keys"].get(str(version))
        if text is None:
            raise KeyUnavailable()
        return _decode_key(text, str(self.path))

    def add_version(self) -> int:
        with self._lock:
            data = self._load()
            version = max(int(v) for v in data["keys"]) + 1
            data["keys"][str(version)] = base64.b64encode(os.urandom(KEY_BYTES)).decode()
            data["current"] = version
            self._write(data)
        return version

    def retire(self, version: int) -> None:
        with self._lock:
            data = self._load()
            if int(data["current"]) == version:
                raise ImproperlyConfigured("cannot retire the current master key version")
            data["keys"].pop(str(version), None)
            self._write(data)


_provider: KeyProvider | None = None
_provider_lock = threading.Lock()


def key_provider() -> KeyProvider:
    """The configured master key provider (process-wide)."""
    global _provider
    if _provider is None:
        with _provider_lock:
            if _provider is None:
                if settings.HELIX_MASTER_KEY:
                    _provider = StaticKeyProvider(settings.HELIX_MASTER_KEY)
                elif settings.DEBUG or getattr(settings, "TESTING", False):
                    _provider = FileKeyProvider(settings.HELIX_DEV_MASTER_KEY_FILE)
                else:
                    raise ImproperlyConfigured("HELIX_MASTER_KEY: required when DEBUG is off")
    return _provider


def clear_caches() -> None:
    """Forget the provider and cached data keys (tests, and after a rotation)."""
    global _provider
    _provider = None
    _data_keys.clear()


# --- wrapping -------------------------------------------------------------------------


def _wrap_aad(version: int, context: str) -> bytes:
    return b"helix-wrap\x00" + struct.pack(">I", version) + b"\x00" + context.encode()


def wrap_key(plaintext_key: bytes, *, context: str) -> bytes:
    """Encrypt key material under the current master key; ``context`` is bound as AAD."""
    provider = key_provider()
    version = provider.current_version()
    nonce = os.urandom(12)
    sealed = ChaCha20Poly1305(provider.key(version)).encrypt(nonce, plaintext_key, _wrap_aad(version, context))
    return _WRAP_MAGIC + struct.pack(">I", version) + nonce + sealed


def wrapped_version(wrapped: bytes) -> int:
    """The master key version a wrapped key was sealed under."""
    if len(wrapped) < 8 + 12 + 16 or wrapped[:4] != _WRAP_MAGIC:
        raise KeyUnavailable()
    return struct.unpack(">I", wrapped[4:8])[0]


def unwrap_key(wrapped: bytes, *, context: str) -> bytes:
    """Open a wrapped key. Any failure (wrong context, retired version, tampering) raises
    the same ``KeyUnavailable``."""
    version = wrapped_version(bytes(wrapped))
    wrapped = bytes(wrapped)
    try:
        return ChaCha20Poly1305(key_provider().key(version)).decrypt(
            wrapped[8:20], wrapped[20:], _wrap_aad(version, context)
        )
    except (InvalidTag, KeyUnavailable):
        raise KeyUnavailable() from None


def rewrap_key(wrapped: bytes, *, context: str) -> bytes:
    """Re-seal a wrapped key under the current master key version."""
    return wrap_key(unwrap_key(wrapped, context=context), context=context)


def master_key_versions() -> list[int]:
    return key_provider().versions()


def master_key_current_version() -> int:
    return key_provider().current_version()


def master_key_add_version() -> int:
    return key_provider().add_version()


def master_key_retire(version: int) -> None:
    key_provider().retire(version)


# --- data keys (KeyMaterial rows) -----------------------------------------------------

_data_keys: dict[str, bytes] = {}
_data_keys_lock = threading.Lock()


def _key_material_context(purpose: str) -> str:
    return f"key-material:{purpose}"


def data_key(purpose: str) -> bytes:
    """A named random data key, created (wrapped) in the database on first use."""
    cached = _data_keys.get(purpose)
    if cached is not None:
        return cached
    from governance.models import KeyMaterial

    with _data_keys_lock:
        row = KeyMaterial.objects.filter(purpose=purpose).first()
        if row is None:
            with transaction.atomic():
                row, _ = KeyMaterial.objects.get_or_create(
                    purpose=purpose,
                    defaults={"wrapped": wrap_key(os.urandom(KEY_BYTES), context=_key_material_context(purpose))},
                )
        key = unwrap_key(bytes(row.wrapped), context=_key_material_context(purpose))
        _data_keys[purpose] = key
        return key


def key_material_rewrap_all() -> int:
    """Rewrap every data key under the current master version. Returns how many moved."""
    from governance.models import KeyMaterial

    current = master_key_current_version()
    moved = 0
    for row in KeyMaterial.objects.all():
        if wrapped_version(bytes(row.wrapped)) == current:
            continue
        row.wrapped = rewrap_key(bytes(row.wrapped), context=_key_material_context(row.purpose))
        row.save(update_fields=["wrapped"])
        moved += 1
    return moved


def key_material_versions() -> set[int]:
    from governance.models import KeyMaterial

    return {wrapped_version(bytes(w)) for w in KeyMaterial.objects.values_list("wrapped", flat=True)}


# --- field encryption and blind indexes ----------------------------------------------


def encrypt_field(value: str, *, context: str) -> bytes:
    """Encrypt a direct identifier. ``context`` (e.g. ``"subject:ABC:email"``) is bound as AAD."""
    nonce = os.urandom(12)
    return _FIELD_MAGIC + nonce + AESGCM(data_key("field-encryption")).encrypt(nonce, value.encode(), context.encode())


def decrypt_field(blob: bytes, *, context: str) -> str:
    blob = bytes(blob)
    if blob[:4] != _FIELD_MAGIC:
        raise KeyUnavailable()
    try:
        return AESGCM(data_key("field-encryption")).decrypt(blob[4:16], blob[16:], context.encode()).decode()
    except InvalidTag:
        raise KeyUnavailable() from None


def normalise_identifier(value: str) -> str:
    return " ".join(value.split()).casefold()


def blind_index(value: str, *, field: str) -> str:
    """Keyed HMAC of a normalised identifier, for exact lookup without decrypting."""
    message = field.encode() + b"\x00" + normalise_identifier(value).encode()
    return hmac.new(data_key("blind-index"), message, hashlib.sha256).hexdigest()


def keyed_digest(value: str, *, domain: str) -> str:
    """A keyed HMAC-SHA256 under a per-domain key (pseudonyms keyed per project, etc.)."""
    domain_key = hmac.new(data_key("pseudonym"), domain.encode(), hashlib.sha256).digest()
    return hmac.new(domain_key, value.encode(), hashlib.sha256).hexdigest()


# --- X25519 for subject and researcher keys ------------------------------------------


def x25519_generate() -> tuple[bytes, bytes]:
    """A fresh X25519 key pair as raw bytes (private, public)."""
    private = x25519.X25519PrivateKey.generate()
    return (
        private.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()),
        private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw),
    )


def x25519_public_from_private(private: bytes) -> bytes:
    return (
        x25519.X25519PrivateKey.from_private_bytes(private)
        .public_key()
        .public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    )


# --- platform signing (Ed25519 for receipts, checkpoints, manifests; ES256 for visas) --


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _ed25519_private() -> ed25519.Ed25519PrivateKey:
    return ed25519.Ed25519PrivateKey.from_private_bytes(data_key("signing-ed25519"))


def _es256_private() -> ec.EllipticCurvePrivateKey:
    scalar = int.from_bytes(hashlib.sha256(b"es256\x00" + data_key("signing-es256")).digest(), "big")
    order = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
    return ec.derive_private_key(scalar % (order - 1) + 1, ec.SECP256R1())


def signing_public_key() -> bytes:
    """The platform's raw Ed25519 public key."""
    return _ed25519_private().public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def _jwk_thumbprint(members: dict) -> str:
    canonical = json.dumps(members, separators=(",", ":"), sort_keys=True).encode()
    return _b64url(hashlib.sha256(canonical).digest())


def _ed25519_jwk() -> dict:
    members = {"crv": "Ed25519", "kty": "OKP", "x": _b64url(signing_public_key())}
    return {**members, "kid": _jwk_thumbprint(members), "use": "sig", "alg": "EdDSA"}


def _es256_jwk() -> dict:
    numbers = _es256_private().public_key().public_numbers()
    members = {
        "crv": "P-256",
        "kty": "EC",
        "x": _b64url(numbers.x.to_bytes(32, "big")),
        "y": _b64url(numbers.y.to_bytes(32, "big")),
    }
    return {**members, "kid": _jwk_thumbprint(members), "use": "sig", "alg": "ES256"}


def public_jwks() -> dict:
    """The JSON Web Key Set published at ``/.well-known/jwks.json``."""
    return {"keys": [_ed25519_jwk(), _es256_jwk()]}


def signing_key_id(alg: str = "EdDSA") -> str:
    return (_ed25519_jwk() if alg == "EdDSA" else _es256_jwk())["kid"]


def sign(payload: bytes) -> bytes:
    """Ed25519 signature over ``payload`` with the platform key."""
    return _ed25519_private().sign(payload)


def verify_signature(payload: bytes, signature: bytes, *, public_key: bytes | None = None) -> None:
    """Raise ``SignatureInvalid`` unless ``signature`` is the platform's (or ``public_key``'s)."""
    key = ed25519.Ed25519PublicKey.from_public_bytes(public_key if public_key is not None else signing_public_key())
    try:
        key.verify(signature, payload)
    except (InvalidSignature, ValueError):
        raise SignatureInvalid() from None


@dataclass(frozen=True)
class _JwtKey:
    alg: str
    private: object


def _jwt_key(alg: str) -> _JwtKey:
    if alg == "EdDSA":
        return _JwtKey(alg, _ed25519_private())
    if alg == "ES256":
        return _JwtKey(alg, _es256_private())
    raise ValueError(f"unsupported JWT algorithm {alg}")


def sign_jwt(claims: dict, *, typ: str = "JWT", alg: str = "EdDSA") -> str:
    """A compact JWS over ``claims`` with the platform key; ``kid`` names the JWKS entry."""
    key = _jwt_key(alg)
    return jwt.encode(claims, key.private, algorithm=alg, headers={"kid": signing_key_id(alg), "typ": typ})


def verify_jwt(token: str, *, audience: str | None = None, verify_exp: bool = True) -> dict:
    """Verify a JWT signed by the platform; raise ``SignatureInvalid`` on any failure."""
    try:
        header = jwt.get_unverified_header(token)
        alg = header.get("alg")
        if alg not in ("EdDSA", "ES256") or header.get("kid") != signing_key_id(alg):
            raise SignatureInvalid()
        public = _jwt_key(alg).private.public_key()
        return jwt.decode(
            token,
            public,
            algorithms=[alg],
            audience=audience,
            options={"verify_exp": verify_exp, "verify_aud": audience is not None},
        )
    except jwt.PyJWTError:
        raise SignatureInvalid() from None
