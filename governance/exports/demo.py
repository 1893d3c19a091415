"""Demo data for exports: the demo researcher's Crypt4GH key pair, for end-to-end runs.

``seed_demo`` (the platform's seeding command) calls ``seed_export_demo`` once the demo
grant exists, and can describe each subject with ``consent_status_for_grant``. The
secret key is written unencrypted (Crypt4GH kdf ``none``): it is demo material under
``DEMO_DIR``, readable by the reference tool as
``crypt4gh decrypt --sk researcher.c4gh.sec < genotypes.vcf.gz.c4gh``.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from django.conf import settings

from genomics.crypt4gh import (
    derive_public_key,
    generate_keypair,
    load_private_key_file,
    private_key_file_bytes,
    public_key_pem,
)
from governance.access.selectors import researcher_key_active
from governance.access.services import researcher_key_register
from governance.exports.selectors import consent_status_for_grant

PUBLIC_NAME = "researcher.c4gh.pub"
SECRET_NAME = "researcher.c4gh.sec"

__all__ = ["consent_status_for_grant", "demo_researcher_keypair", "seed_export_demo"]


def _write(path: Path, data: bytes, mode: int) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.replace(tmp, path)


def demo_researcher_keypair(demo_dir: Path | None = None) -> tuple[bytes, Path, Path]:
    """The demo researcher's key pair files under ``DEMO_DIR``, made on first use.

    Returns the raw public key and the public and secret key files' paths.
    """
    folder = Path(demo_dir or settings.DEMO_DIR)
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    public_path, secret_path = folder / PUBLIC_NAME, folder / SECRET_NAME
    if secret_path.exists():
        public = derive_public_key(load_private_key_file(secret_path.read_bytes()))
    else:
        secret, public = generate_keypair()
        _write(secret_path, private_key_file_bytes(secret, comment="helix demo researcher"), 0o600)
    _write(public_path, public_key_pem(public).encode(), 0o644)
    return public, public_path, secret_path


def seed_export_demo(*, researcher, grant, demo_dir: Path | None = None) -> dict:
    """Give the demo researcher a key pair whose secret half the demo can use, and make it
    the key exports are encrypted to. Running it again reuses the pair on disk.

    Returns ``{"demo_export": {"grant_id", "k", "researcher_public_key",
    "researcher_secret_key"}}`` with the key files' paths, for the seed manifest.
    """
    public, public_path, secret_path = demo_researcher_keypair(demo_dir)
    active = researcher_key_active(user=researcher)
    if active is None or active.fingerprint != hashlib.sha256(public).hexdigest():
        researcher_key_register(actor=researcher, public_key_pem=public_key_pem(public))
    return {
        "demo_export": {
            "grant_id": grant.pk,
            "k": grant.k,
            "researcher_public_key": str(public_path),
            "researcher_secret_key": str(secret_path),
        }
    }
