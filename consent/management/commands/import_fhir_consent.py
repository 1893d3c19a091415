"""Import a FHIR Consent (R4B or R5) JSON file as a new consent version."""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from consent.fhir.service import fhir_consent_import
from governance.errors import DomainError


class Command(BaseCommand):
    help = "Import an HL7 FHIR Consent JSON file; prints the subject's code and the new consent version."

    def add_arguments(self, parser):
        parser.add_argument("file", help="path to a FHIR Consent resource in JSON")
        parser.add_argument("--fhir", choices=["r4", "r5"], help="FHIR release (default: detected)")

    def handle(self, *args, file, fhir, **options):
        path = Path(file)
        try:
            resource = json.loads(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise CommandError(f"{path}: cannot read ({exc.strerror})") from None
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            where = f" line {exc.lineno}" if isinstance(exc, json.JSONDecodeError) else ""
            raise CommandError(f"{path}:{where} not valid JSON") from None
        try:
            record = fhir_consent_import(actor="cli", resource=resource, version=fhir)
        except DomainError as exc:
            raise CommandError(f"{path}: refused: {exc.message}") from None
        self.stdout.write(f"{record.subject.code} v{record.version} {record.event}")
