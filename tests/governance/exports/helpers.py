"""Reading an export the way its researcher would: files, manifest, decrypted genotypes."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
from pathlib import Path

import pandas as pd
from crypt4gh import lib as c4gh_lib

from governance.exports.models import CohortExport


def folder(export: CohortExport) -> Path:
    return Path(export.output_dir)


def manifest(export: CohortExport) -> dict:
    return json.loads((folder(export) / "manifest.json").read_bytes())


def table(export: CohortExport) -> pd.DataFrame:
    return pd.read_csv(folder(export) / "phenotypes.csv", dtype=str, keep_default_na=False)


def decrypt_with_reference(path: Path, secret: bytes) -> bytes:
    """Decrypt with the reference ``crypt4gh`` package (raises if the key cannot open it)."""
    out = io.BytesIO()
    with path.open("rb") as infile:
        c4gh_lib.decrypt([(0, secret, None)], infile, out)
    return out.getvalue()


def genotype_vcf(export: CohortExport, secret: bytes) -> str:
    plain = decrypt_with_reference(folder(export) / "genotypes.vcf.gz.c4gh", secret)
    return gzip.decompress(plain).decode()


def complete(path: Path) -> bool:
    """Whether a published folder holds every file its manifest lists, with its digest."""
    data = json.loads((path / "manifest.json").read_bytes())
    for entry in data["files"]:
        body = (path / entry["name"]).read_bytes()
        if hashlib.sha256(body).hexdigest() != entry["sha256"] or len(body) != entry["size"]:
            return False
    return (path / "manifest.sig").exists()
