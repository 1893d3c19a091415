"""``python manage.py seed_demo --subjects N --seed S [--manifest PATH]``."""

from __future__ import annotations

import json
import random
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from consent.models import Subject
from governance.demo import world


class Command(BaseCommand):
    help = "Build (or reuse) the deterministic demo world and optionally write its JSON manifest."

    def add_arguments(self, parser):
        parser.add_argument("--subjects", type=int, default=300, help="how many cohort subjects (1-2504)")
        parser.add_argument("--seed", type=int, default=7, help="random seed for synthetic identifiers")
        parser.add_argument("--manifest", type=Path, help="write a JSON description of the world here")
        parser.add_argument("--no-genomics", action="store_true", help="skip ingesting the demo genotypes")

    def _step(self, label: str, started: float) -> None:
        self.stdout.write(f"  {label} ({time.perf_counter() - started:.1f} s)")

    def handle(self, *args, subjects: int, seed: int, manifest: Path | None, no_genomics: bool, **options):
        if not 1 <= subjects <= 2504:
            raise CommandError("--subjects: must be between 1 and 2504 (the cohort's size)")
        users = world.ensure_demo_users() if settings.DEBUG else {}
        if Subject.objects.exists():
            self.stdout.write("Demo world already present: reusing it.")
        else:
            self._build(users, subjects=subjects, seed=seed, genomics=not no_genomics)
        grant = world.demo_grant(users)
        data = self._manifest(users, grant)
        if manifest:
            manifest.parent.mkdir(parents=True, exist_ok=True)
            tmp = manifest.with_suffix(manifest.suffix + ".tmp")
            tmp.write_text(json.dumps(data, indent=2))
            tmp.replace(manifest)
            self.stdout.write(f"Manifest written to {manifest}")
        if settings.DEBUG:
            self.stdout.write("Demo logins (development only):")
            for entry in data["users"]:
                self.stdout.write(f"  {entry['username']:<18} {entry['password']:<24} {', '.join(entry['roles'])}")

    def _build(self, users, *, subjects: int, seed: int, genomics: bool) -> None:
        from consent.demo import seed_consents
        from genomics.demo import seed_genomics
        from governance.gate.demo import seed_ontologies
        from governance.ledger.demo import seed_checkpoint

        started = time.perf_counter()
        now = timezone.now()
        self.stdout.write("Building the demo world:")
        seed_ontologies(actor="seed")
        self._step("ontologies loaded (MONDO, DOID, MONDO-DOID, ICD-10)", started)
        with transaction.atomic():
            made = world.create_subjects(count=subjects, seed=seed, now=now)
            coded = world.code_diagnoses(made)
        self._step(f"{len(made)} subjects, {coded} coded diagnoses", started)
        seed_consents(made, rng=random.Random(seed), now=now)  # noqa: S311 - demo data
        self._step("consents granted, amended and withdrawn", started)
        world.link_demo_patients(users, made)
        if genomics:
            summary = seed_genomics({s.sample_id: s for s in made if s.sample_id})
            self._step(f"{summary['files']} genomic files, {summary['variants']} indexed variants", started)
        if users:
            world.seed_demo_grant(users, now=now)
            self._step("demo researcher key and approved grant", started)
        seed_checkpoint()
        self._step("audit checkpoint signed", started)
        if users:
            from governance.compliance.demo import seed_compliance

            seed_compliance(officer=users["demo_compliance"])
            self._step("ledger verified for the compliance console", started)

    def _manifest(self, users, grant) -> dict:
        from governance.exports.selectors import consent_status_for_grant

        now = timezone.now()
        subjects = []
        for subject in Subject.objects.filter(erased_at__isnull=True).order_by("id"):
            if grant is not None:
                status = consent_status_for_grant(subject, grant, now)
            else:
                current = subject.current_consent
                status = current.status if current else "none"
            subjects.append(
                {
                    "code": subject.code,
                    "sample_id": subject.sample_id,
                    "identifiers": world.subject_identifiers(subject),
                    "consent_status": status,
                }
            )
        passwords = {name: password for name, password, _ in world.DEMO_USERS}
        data = {
            "subjects": subjects,
            "users": [
                {"username": name, "password": passwords[name], "roles": sorted(g.name for g in user.groups.all())}
                for name, user in users.items()
            ],
        }
        if grant is not None:
            data.update(world.demo_export_manifest(users, grant))
        return data
