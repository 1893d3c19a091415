"""``python manage.py ingest_vcf PATH (--subject CODE | --sample-map TSV)``: ingest a VCF.

Prints a JSON summary (files stored, per subject code, with digests and counts). A bad
file stores nothing and exits non-zero with the first problem and its line.
"""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from genomics.management.commands._actor import command_actor
from genomics.services import genomic_file_ingest, sample_map_parse
from governance.errors import DomainError


class Command(BaseCommand):
    help = "Validate a VCF (plain or bgzip), split it per subject, encrypt it into the vault and index it."

    def add_arguments(self, parser):
        parser.add_argument("path")
        who = parser.add_mutually_exclusive_group(required=True)
        who.add_argument("--subject", help="subject code, for a single-sample file")
        who.add_argument("--sample-map", help="TSV: sample ID <tab> subject code, no header")
        parser.add_argument(
            "--assembly", choices=["GRCh37", "GRCh38"], help="when the header does not say"
        )
        parser.add_argument("--actor", help="username of the data steward running the ingest")

    def handle(
        self,
        *args,
        path: str,
        subject: str | None,
        sample_map: str | None,
        assembly,
        actor,
        **options,
    ):
        source = Path(path)
        if not source.is_file():
            raise CommandError(f"{path}: no such file")
        try:
            mapping = None
            if sample_map is not None:
                map_path = Path(sample_map)
                if not map_path.is_file():
                    raise CommandError(f"{sample_map}: no such file")
                mapping = sample_map_parse(map_path.read_text(encoding="utf-8"))
            summary = genomic_file_ingest(
                actor=command_actor(actor),
                path=source,
                subject=subject,
                sample_map=mapping,
                assembly=assembly,
            )
        except DomainError as exc:
            raise CommandError(f"{exc.code}: {exc.message}") from None
        self.stdout.write(json.dumps(summary.as_dict(), indent=2))
