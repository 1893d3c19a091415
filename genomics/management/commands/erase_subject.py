"""``python manage.py erase_subject CODE --yes``: crypto-shred a subject and print the certificate."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError

from consent.models import Subject
from genomics.management.commands._actor import command_actor
from genomics.services import subject_erase
from governance.errors import DomainError


class Command(BaseCommand):
    help = "Destroy a subject's keys, vault files, variant index rows and identifiers; print the signed certificate."

    def add_arguments(self, parser):
        parser.add_argument("code")
        parser.add_argument("--yes", action="store_true", help="confirm: erasure cannot be undone")
        parser.add_argument("--actor", help="username of the data steward running the erasure")

    def handle(self, *args, code: str, yes: bool, actor, **options):
        if not yes:
            raise CommandError("erasure cannot be undone: add --yes to confirm")
        subject = Subject.objects.filter(code=code).first()
        if subject is None:
            raise CommandError(f"no subject with code {code!r}")
        try:
            certificate = subject_erase(actor=command_actor(actor), subject=subject)
        except DomainError as exc:
            raise CommandError(f"{exc.code}: {exc.message}") from None
        self.stdout.write(
            json.dumps(
                {
                    "certificate": json.loads(certificate.document),
                    "signature": certificate.signature,
                    "signing_key_id": certificate.signing_key_id,
                },
                indent=2,
            )
        )
