"""A small consented cohort with genotypes in the vault, a grant and the researcher's keys."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import date

import pytest
from django.utils import timezone

from consent.models import Subject
from consent.services import consent_grant
from genomics.crypt4gh import generate_keypair
from genomics.services.ingest import genomic_file_ingest
from governance.access.demo import seed_access
from governance.access.models import AccessGrant

GRU = {"permission": "DUO:0000042"}
NPU_ONLY = {"permission": "DUO:0000042", "modifiers": ["DUO:0000018"]}  # not-for-profit use only
POSITIONS = (10177, 10235, 10352, 10505, 10506, 10511, 10539, 10542, 10579, 10616)
VCF_HEADER = (
    "##fileformat=VCFv4.2\n"
    "##reference=GRCh37\n"
    "##contig=<ID=1,length=249250621>\n"
    '##INFO=<ID=AF,Number=A,Type=Float,Description="Allele frequency">\n'
    '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">\n'
)
GENOTYPES = ("0|0", "0|1", "1|0", "1|1")


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def cohort_vcf(sample_ids: list[str]) -> bytes:
    columns = ["#CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO", "FORMAT", *sample_ids]
    lines = [VCF_HEADER + "\t".join(columns)]
    for row, pos in enumerate(POSITIONS):
        calls = [GENOTYPES[(row + col) % 4] for col in range(len(sample_ids))]
        lines.append(
            "\t".join(["1", str(pos), f"rs{pos}", "A", "G", "100", "PASS", "AF=0.1", "GT", *calls])
        )
    return ("\n".join(lines) + "\n").encode()


def genotype_of(sample_index: int, pos: int) -> str:
    return GENOTYPES[(POSITIONS.index(pos) + sample_index) % 4]


@dataclass
class Cohort:
    grant: AccessGrant
    researcher: object
    researcher_secret: bytes
    researcher_public: bytes
    subjects: list[Subject]
    steward: object
    identifiers: dict[str, dict] = field(default_factory=dict)


@pytest.fixture
def make_cohort(personas, make_subject):
    """``make_cohort(n=8, categories=..., k=5, consent=GRU, ...)``: ``n`` subjects alike enough
    for k=5, consented, with genotypes stored; a grant for the persona researcher."""

    def make(
        *,
        n: int = 8,
        categories=("genomic", "clinical", "demographic"),
        k: int = 5,
        consent=GRU,
        genotypes: bool = True,
        identity=None,
        cohort: dict | None = None,
    ) -> Cohort:
        now = timezone.now()
        subjects, identifiers = [], {}
        for i in range(n):
            ident = (
                identity(i)
                if identity
                else {
                    "name": f"Person {i}",
                    "email": f"person{i}@example.org",
                    "mrn": f"MRN{500000 + i}",
                    "birth_date": date(1961 + i % 5, 1 + i % 12, 1 + i % 28),
                    "postcode": f"CB{1 + i % 3} {i % 9}AB",
                }
            )
            subject = make_subject(
                name=ident["name"], email=ident["email"], mrn=ident["mrn"],
                birth_date=ident["birth_date"], postcode=ident["postcode"],
                sex=ident.get("sex", "female"), ethnic_background=ident.get("ethnic_background", "British"),
                sample_id=ident.get("sample_id", f"NA{10000 + i}"),
            )  # fmt: skip
            subject.diagnoses.create(term="MONDO:0005148" if i % 2 else "MONDO:0005015")
            consent_grant(
                actor=personas.steward, subject=subject, data_use=consent,
                categories=list(categories), via="staff",
            )  # fmt: skip
            subject.refresh_from_db()
            subjects.append(subject)
            identifiers[subject.code] = {**ident, "code": subject.code}
        if genotypes and "genomic" in categories:
            genomic_file_ingest(
                actor=personas.steward,
                fileobj=io.BytesIO(cohort_vcf([s.sample_id for s in subjects])),
                sample_map={s.sample_id: s for s in subjects},
            )
        secret, public = generate_keypair()
        grant = seed_access(
            researcher=personas.researcher,
            dac_members=[personas.dac_member, personas.dac_member_2],
            now=now,
            public_key=public,
            categories=list(categories),
            cohort=cohort,
            k=k,
        )
        return Cohort(
            grant, personas.researcher, secret, public, subjects, personas.steward, identifiers
        )

    return make
