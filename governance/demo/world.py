"""Building the demo world, deterministically from a seed, and describing it as JSON.

Subjects come from the CINECA UK1 synthetic cohort joined to their 1000 Genomes sample
IDs; names, emails, MRNs, birth dates and postcodes are synthetic (Faker, seeded).
Running it twice reuses what the first run made.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.contrib.auth.models import Group, User
from django.utils import timezone
from faker import Faker

from consent.identifiers import open_identifiers, seal_identifiers
from consent.models import Subject, SubjectDiagnosis
from governance.audit import Action, audit_append, audit_batch
from governance.demo.cohort import read_cohort
from governance.roles import Role

DEMO_USERS = (
    ("demo_patient", "helix-demo-patient", (Role.PATIENT,)),
    ("demo_patient2", "helix-demo-patient2", (Role.PATIENT,)),
    ("demo_steward", "helix-demo-steward", (Role.DATA_STEWARD,)),
    ("demo_researcher", "helix-demo-researcher", (Role.RESEARCHER,)),
    ("demo_dac1", "helix-demo-dac-one", (Role.DAC_MEMBER,)),
    ("demo_dac2", "helix-demo-dac-two", (Role.DAC_MEMBER,)),
    ("demo_compliance", "helix-demo-compliance", (Role.COMPLIANCE_OFFICER,)),
)


@dataclass
class DemoIdentity:
    name: str
    email: str
    mrn: str
    birth_date: date
    postcode: str


def _identity(fake: Faker, rng: random.Random, index: int, today: date) -> DemoIdentity:
    # Ages 40-95 at the demo date, with a few over 89 so de-identification has work to do.
    age_days = rng.randint(40 * 365, 95 * 365)
    return DemoIdentity(
        name=fake.name(),
        email=f"demo.subject{index:04d}@example.org",
        mrn=f"MRN{rng.randint(10**7, 10**8 - 1)}",
        birth_date=today - timedelta(days=age_days),
        postcode=fake.postcode(),
    )


def _subject_code(rng: random.Random) -> str:
    alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
    return "HX-" + "".join(rng.choice(alphabet) for _ in range(10))


def ensure_demo_users() -> dict[str, User]:
    """The demo users, one per role, with known passwords. Development only."""
    users = {}
    for username, password, roles in DEMO_USERS:
        user, created = User.objects.get_or_create(username=username)
        if created:
            user.set_password(password)
            user.save(update_fields=["password"])
        for role in roles:
            user.groups.add(Group.objects.get(name=role))
        users[username] = user
    return users


def create_subjects(*, count: int, seed: int, actor: str = "seed", now=None) -> list[Subject]:
    """Create ``count`` subjects from the cohort with synthetic identifiers."""
    now = now or timezone.now()
    rows = read_cohort()[:count]
    fake = Faker("en_GB")
    fake.seed_instance(seed)
    rng = random.Random(seed)  # noqa: S311 - demo data, not security
    subjects = []
    with audit_batch():
        for index, row in enumerate(rows, start=1):
            ident = _identity(fake, rng, index, now.date())
            code = _subject_code(rng)
            subject = Subject(
                code=code,
                birth_date=ident.birth_date,
                sex=row.sex,
                postcode=ident.postcode,
                ethnic_background=row.ethnic_background,
                sample_id=row.sample_id,
                created_at=now,
            )
            subjects.append(seal_identifiers(subject, name=ident.name, email=ident.email, mrn=ident.mrn))
        Subject.objects.bulk_create(subjects, batch_size=500)
        for subject in subjects:
            audit_append(
                actor=actor, action=Action.SUBJECT_CREATE, object_type="subject", object_id=subject.code,
                subject_code=subject.code, extra={"via": "seed"}, now=now,
            )
    return subjects


def code_diagnoses(subjects: list[Subject]) -> int:
    """Code each subject's cohort diagnoses (disease names) as MONDO and ICD-10 CURIEs
    through the loaded ontologies. Returns how many diagnosis rows were written."""
    from governance.gate.selectors import diagnosis_terms

    by_sample = {row.sample_id: row for row in read_cohort()}
    resolved: dict[str, list[str]] = {}
    rows = []
    for subject in subjects:
        row = by_sample.get(subject.sample_id)
        for name in row.diagnoses if row else ():
            if name not in resolved:
                resolved[name] = diagnosis_terms(name)
            rows.extend(SubjectDiagnosis(subject=subject, term=term) for term in resolved[name])
    SubjectDiagnosis.objects.bulk_create(rows, batch_size=1000, ignore_conflicts=True)
    return len(rows)


def subject_identifiers(subject: Subject) -> dict:
    """Decrypt a demo subject's identifiers for the manifest (demo tooling only)."""
    return {
        **open_identifiers(subject),
        "birth_date": subject.birth_date.isoformat() if subject.birth_date else None,
        "postcode": subject.postcode,
    }


def demo_passwords_visible() -> bool:
    return bool(settings.DEBUG)


def link_demo_patients(users: dict[str, User], subjects: list[Subject]) -> None:
    """Give the demo patients subjects with an active consent, so the portal has a story."""
    active = Subject.objects.filter(
        pk__in=[s.pk for s in subjects], user__isnull=True, current_consent__status="active"
    ).order_by("id")
    for username, subject in zip(("demo_patient", "demo_patient2"), active, strict=False):
        if username in users:
            subject.user = users[username]
            subject.save(update_fields=["user"])


DEMO_GRANT_TITLE = "Genetic and clinical determinants of metabolic traits"


def seed_demo_grant(users: dict[str, User], *, now) -> None:
    """The demo researcher's Crypt4GH key pair (files under DEMO_DIR) and an approved grant."""
    from governance.access.demo import seed_access
    from governance.exports.demo import demo_researcher_keypair

    public, _, _ = demo_researcher_keypair()
    seed_access(
        researcher=users["demo_researcher"],
        dac_members=[users["demo_dac1"], users["demo_dac2"]],
        now=now,
        public_key=public,
        categories=["genomic", "clinical"],
        title=DEMO_GRANT_TITLE,
    )


def demo_grant(users: dict[str, User]):
    from governance.access.models import AccessGrant

    researcher = users.get("demo_researcher")
    if researcher is None:
        return None
    return AccessGrant.objects.filter(researcher=researcher).order_by("-id").first()


def demo_export_manifest(users: dict[str, User], grant) -> dict:
    from governance.exports.demo import seed_export_demo

    return seed_export_demo(researcher=users["demo_researcher"], grant=grant)
