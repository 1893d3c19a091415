"""Building one export's files in its temporary folder: phenotypes, genotypes, manifest.

Everything here writes inside ``workdir`` only; publishing (moving the folder into
place) belongs to the run, inside the transaction that records success.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

import pandas as pd
from django.conf import settings

from governance import keys
from governance.exports.deid import deidentify
from governance.exports.services.genotypes import GenotypeStore, encrypt_for

MANIFEST = "manifest.json"
SIGNATURE = "manifest.sig"
PHENOTYPES_CSV = "phenotypes.csv"
PHENOTYPES_PARQUET = "phenotypes.parquet"
GENOTYPES = "genotypes.vcf.gz.c4gh"
FORMAT = "helix.cohort-export.v1"


@dataclass(frozen=True)
class Member:
    """One frozen subject: what the table needs and the consent version the gate used."""

    subject_id: int
    code: str
    consent_version_id: int
    valid_until: datetime  # when the earliest of the run's decisions for this subject expires
    birth_date: object
    sex: str
    postcode: str
    ethnic_background: str
    diagnoses: tuple[str, ...]


@dataclass(frozen=True)
class Built:
    files: list[dict]
    report: dict
    released: list[Member]
    manifest_sha256: str
    k_achieved: int


def software_version() -> str:
    try:
        return metadata.version("helix-consent")
    except metadata.PackageNotFoundError:
        return "0.1.0"


# Hex digits written as the letters g-p: 80 bits in 20 letters, and no digits, so a
# pseudonym never reads as a record number, a phone number or any other identifier the
# release scan looks for (a hex pseudonym of all digits would, about once in 12,000).
_DIGITS_AS_LETTERS = str.maketrans("0123456789", "ghijklmnop")


def pseudonym_for(grant_id: int):
    """The project's keyed pseudonym function: stable within a grant, unlinkable across."""
    domain = f"project:{grant_id}"
    return lambda code: (
        "P" + keys.keyed_digest(code, domain=domain)[:20].translate(_DIGITS_AS_LETTERS)
    )


def phenotype_table(members: list[Member], columns: list[str]) -> pd.DataFrame:
    """The table the de-identification engine starts from (identifiers never enter it)."""
    data: dict[str, list] = {"subject_code": [m.code for m in members]}
    if "age" in columns:
        data["birth_date"] = [m.birth_date for m in members]
    if "sex" in columns:
        data["sex"] = [m.sex or None for m in members]
    if "postcode_area" in columns:
        data["postcode"] = [m.postcode or None for m in members]
    if "ethnic_background" in columns:
        data["ethnic_background"] = [m.ethnic_background or None for m in members]
    if "diagnoses" in columns:
        data["diagnoses"] = [list(m.diagnoses) for m in members]
    return pd.DataFrame(data)


def _file_entry(path: Path) -> dict:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return {"name": path.name, "sha256": digest.hexdigest(), "size": path.stat().st_size}


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def build_outputs(
    *,
    workdir: Path,
    export,
    grant,
    members: list[Member],
    genotypes: GenotypeStore | None,
    recipient: bytes | None,
    recipient_fingerprint: str,
    frozen: int,
    removed: int,
    at: datetime,
) -> Built:
    """De-identify the cohort and write every file of the export into ``workdir``.

    Raises ``DeidentificationFailed`` (or ``ValidationFailed``) and leaves the folder to
    the caller's clean-up when the table cannot be released at the grant's k and l.
    """
    workdir.mkdir(parents=True, exist_ok=True, mode=0o700)
    pseudonym = pseudonym_for(grant.pk)
    table = phenotype_table(members, export.columns)
    sensitive = [c for c in ("diagnoses",) if c in table.columns]
    l_column = grant.sensitive_column if grant.sensitive_column in sensitive else None
    result = deidentify(
        table,
        k=int(grant.k),
        pseudonym=pseudonym,
        sensitive_columns=sensitive,
        l_diversity=grant.l_diversity if l_column else None,
        l_diversity_column=l_column,
        max_suppression=float(settings.HELIX_EXPORT_MAX_SUPPRESSION),
        now=at,
    )
    released_names = set(result.table["pseudonym"])
    by_name = {pseudonym(m.code): m for m in members}
    released = [by_name[name] for name in sorted(released_names)]

    written: list[Path] = []
    if "csv" in export.formats:
        path = workdir / PHENOTYPES_CSV
        result.table.to_csv(path, index=False)
        written.append(path)
    if "parquet" in export.formats:
        path = workdir / PHENOTYPES_PARQUET
        result.table.to_parquet(path, index=False, engine="pyarrow")
        written.append(path)
    variants = None
    if "vcf" in export.formats and genotypes is not None and recipient is not None:
        plain = workdir / "genotypes.vcf.gz.part"
        variants = genotypes.write_vcf(
            plain,
            samples=[(m.subject_id, pseudonym(m.code)) for m in released],
            subject_codes={m.code for m in members},
        )
        path = workdir / GENOTYPES
        encrypt_for(plain, path, recipient=recipient)
        written.append(path)
    files = [_file_entry(path) for path in written]

    manifest = {
        "format": FORMAT,
        "export_id": export.pk,
        "grant_id": grant.pk,
        "purpose_id": grant.purpose_id,
        "purpose": grant.purpose.to_dict(),
        "created_at": at.astimezone(UTC).isoformat(timespec="seconds"),
        "software": {"name": "helix-consent", "version": software_version()},
        "criteria": export.criteria,
        "columns": export.columns,
        "formats": export.formats,
        "recipient_key_sha256": recipient_fingerprint if recipient is not None else None,
        "counts": {
            "subjects_frozen": frozen,
            "subjects_removed_by_consent": removed,
            "records_suppressed": int(result.report["suppressed"]),
            "subjects_released": len(released),
            "variant_records": variants,
        },
        "subjects": [
            {"pseudonym": pseudonym(m.code), "consent_version_id": m.consent_version_id}
            for m in released
        ],
        "deidentification": result.report,
        "files": files,
        "signature": {
            "file": SIGNATURE,
            "alg": "EdDSA",
            "kid": keys.signing_key_id("EdDSA"),
            "jwks": "/.well-known/jwks.json",
            "covers": "the exact bytes of manifest.json",
        },
    }
    body = json.dumps(manifest, indent=2, sort_keys=True, default=str).encode("utf-8") + b"\n"
    (workdir / MANIFEST).write_bytes(body)
    (workdir / SIGNATURE).write_bytes(keys.sign(body))
    for path in [*written, workdir / MANIFEST, workdir / SIGNATURE]:
        _fsync(path)
    _fsync(workdir)
    return Built(
        files=[*files, _file_entry(workdir / MANIFEST), _file_entry(workdir / SIGNATURE)],
        report=result.report,
        released=released,
        manifest_sha256=hashlib.sha256(body).hexdigest(),
        k_achieved=int(result.report["k_achieved"]),
    )
