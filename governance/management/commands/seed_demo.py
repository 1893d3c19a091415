"""``python manage.py seed_demo --subjects N --seed S [--manifest PATH]``."""

from __future__ import annotations

import json
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from consent.models import Subject
from governance.demo import world


class Command(BaseCommand):
    help = "Build (or reuse) the deterministic demo world and optionally write its JSON manifest."

    def add_arguments(self, parser):
        parser.add_argument("--subjects", type=int, default=300, help="how many cohort subjects (1-2504)")
        parser.add_argument("--seed", type=int, default=7, help="random seed for synthetic identifiers")
        parser.add_argument("--manifest", type=Path, help="write a JSON description of the world here")

    def handle(self, *args, subjects: int, seed: int, manifest: Path | None, **options):
        if not 1 <= subjects <= 2504:
            raise CommandError("--subjects: must be between 1 and 2504 (the cohort's size)")
        if Subject.objects.exists():
            self.stdout.write("Demo world already present: reusing it.")
            users = world.ensure_demo_users() if settings.DEBUG else {}
        else:
            users = world.ensure_demo_users() if settings.DEBUG else {}
            with transaction.atomic():
                made = world.create_subjects(count=subjects, seed=seed)
                for username, subject in zip(("demo_patient", "demo_patient2"), made, strict=False):
                    if username in users:
                        subject.user = users[username]
                        subject.save(update_fields=["user"])
            self.stdout.write(f"Created {len(made)} subjects.")
        data = self._manifest(users)
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

    def _manifest(self, users) -> dict:
        subjects = []
        for subject in Subject.objects.order_by("id"):
            if subject.erased_at:
                continue
            current = subject.current_consent
            subjects.append(
                {
                    "code": subject.code,
                    "sample_id": subject.sample_id,
                    "identifiers": world.subject_identifiers(subject),
                    "consent_status": current.status if current else "none",
                }
            )
        passwords = {name: password for name, password, _ in world.DEMO_USERS}
        return {
            "subjects": subjects,
            "users": [
                {"username": name, "password": passwords[name], "roles": sorted(g.name for g in user.groups.all())}
                for name, user in users.items()
            ],
        }
