"""Print a subject's consent (the current version, or ``--version N``) as FHIR JSON."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError

from consent.fhir.service import fhir_consent_export
from consent.models import ConsentRecord, Subject
from governance.errors import DomainError


class Command(BaseCommand):
    help = (
        "Print a subject's consent as an HL7 FHIR Consent resource (R4B or R5) on standard output."
    )

    def create_parser(self, prog_name, subcommand, **kwargs):
        # ``--version N`` names the consent version here, not the program's version.
        return super().create_parser(prog_name, subcommand, conflict_handler="resolve", **kwargs)

    def add_arguments(self, parser):
        parser.add_argument("code", help="the subject's public code, e.g. HX-0123456789")
        parser.add_argument(
            "--version", dest="consent_version", type=int, help="consent version (default: current)"
        )
        parser.add_argument(
            "--fhir", choices=["r4", "r5"], default="r5", help="FHIR release (r4 means R4/R4B)"
        )

    def handle(self, *args, code, consent_version, fhir, **options):
        subject = Subject.objects.filter(code=code).first()
        if subject is None:
            raise CommandError(f"code: no subject {code}")
        if consent_version is None:
            record = ConsentRecord.objects.filter(pk=subject.current_consent_id).first()
        else:
            record = ConsentRecord.objects.filter(subject=subject, version=consent_version).first()
        if record is None:
            raise CommandError(
                f"version: subject {code} has no consent version {consent_version or '(none yet)'}"
            )
        try:
            resource = fhir_consent_export(actor="cli", record=record, version=fhir)
        except DomainError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(json.dumps(resource, indent=2, ensure_ascii=False))
