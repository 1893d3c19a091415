"""Fixtures for the genomic vault: consented subjects, gate decisions, small VCFs."""

from __future__ import annotations

import gzip
import os
from pathlib import Path

import pytest
from django.conf import settings

from consent.services import consent_grant
from genomics.models import GenomicFile, SubjectKey, VariantCall
from governance.gate.decide import decide
from governance.gate.purpose import Purpose
from governance.ledger.models import AuditEvent

DATA = Path(__file__).resolve().parent.parent / "data"
DEMO_VCF = Path(settings.BASE_DIR) / "genomics" / "data" / "test_1000G.vcf.gz"

HEADER = (
    "##fileformat=VCFv4.2\n"
    "##reference=GRCh37\n"
    "##contig=<ID=1,length=249250621>\n"
    "##contig=<ID=2,length=243199373>\n"
    '##INFO=<ID=DP,Number=1,Type=Integer,Description="Depth">\n'
    '##FILTER=<ID=q10,Description="Quality below 10">\n'
    '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">\n'
    '##FORMAT=<ID=DP,Number=1,Type=Integer,Description="Depth">\n'
)


def vcf_text(samples: list[str], records: list[str], header: str = HEADER) -> str:
    columns = "\t".join(
        ["#CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO", "FORMAT", *samples]
    )
    return header + columns + "\n" + "".join(r + "\n" for r in records)


def write(path: Path, data: str | bytes, *, gz: bool = False) -> Path:
    raw = data.encode() if isinstance(data, str) else data
    path.write_bytes(gzip.compress(raw) if gz else raw)
    return path


def vault_listing() -> list[str]:
    root = Path(settings.VAULT_DIR)
    if not root.exists():
        return []
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


def counts() -> dict[str, int]:
    return {
        "files": GenomicFile.objects.count(),
        "keys": SubjectKey.objects.count(),
        "variants": VariantCall.objects.count(),
    }


def read_all(chunks) -> bytes:
    return b"".join(chunks)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Personas log in with force_login; hashing strength is not what these tests cover.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def steward(personas):
    return personas.steward


@pytest.fixture
def consented(steward):
    """``consented(subject)``: a general-research consent covering genomic data."""

    def grant(subject, categories=("genomic", "clinical")):
        consent_grant(
            actor=steward,
            subject=subject,
            data_use={"permission": "DUO:0000042"},
            categories=list(categories),
            via="staff",
        )
        subject.refresh_from_db()
        return subject

    return grant


@pytest.fixture
def decision_for():
    """``decision_for(subject, category="genomic", at=None)``: a decision from the gate itself."""

    def make(subject, category: str = "genomic", at=None):
        return decide(
            subject=subject,
            purpose=Purpose.from_dict({"category": "HMB"}),
            purpose_id="test:vault",
            category=category,
            at=at,
        )

    return make


@pytest.fixture
def audit_actions():
    def actions(action: str) -> list[AuditEvent]:
        return list(AuditEvent.objects.filter(action=action).order_by("seq"))

    return actions


@pytest.fixture
def small_map_limits(settings):
    settings.HELIX_MAX_DECOMPRESSED_BYTES = 64 * 1024
    settings.HELIX_MAX_LINE_BYTES = 4096
    return settings


def env_redis() -> str | None:
    return os.environ.get("REDIS_URL")
