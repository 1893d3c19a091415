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
from django.db import transaction
from django.utils import timezone
from faker import Faker

from consent.models import Subject
from governance import keys
from governance.audit import Action, audit_append
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
    with transaction.atomic():
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
                name_enc=keys.encrypt_field(ident.name, context=f"subject:{code}:name"),
                email_enc=keys.encrypt_field(ident.email, context=f"subject:{code}:email"),
                mrn_enc=keys.encrypt_field(ident.mrn, context=f"subject:{code}:mrn"),
                email_index=keys.blind_index(ident.email, field="email"),
                mrn_index=keys.blind_index(ident.mrn, field="mrn"),
            )
            subjects.append(subject)
        Subject.objects.bulk_create(subjects, batch_size=500)
        for subject in subjects:
            audit_append(
                actor=actor, action=Action.SUBJECT_CREATE, object_type="subject", object_id=subject.code,
                subject_code=subject.code, extra={"via": "seed"}, now=now,
            )
    return subjects


def subject_identifiers(subject: Subject) -> dict:
    """Decrypt a demo subject's identifiers for the manifest (demo tooling only)."""
    field = lambda name, blob: keys.decrypt_field(bytes(blob), context=f"subject:{subject.code}:{name}")  # noqa: E731
    return {
        "name": field("name", subject.name_enc),
        "email": field("email", subject.email_enc),
        "mrn": field("mrn", subject.mrn_enc),
        "birth_date": subject.birth_date.isoformat() if subject.birth_date else None,
        "postcode": subject.postcode,
    }


def demo_passwords_visible() -> bool:
    return bool(settings.DEBUG)
