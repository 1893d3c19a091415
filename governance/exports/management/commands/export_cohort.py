"""``python manage.py export_cohort --grant ID --out DIR [--criteria JSON]``.

Runs the same export service the Celery task runs, synchronously, as the grant's
researcher, then copies the published files to ``DIR`` and prints a JSON summary
(export ID, subject count, k achieved, files). A failed export exits non-zero with its
reason.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from governance.access.models import AccessGrant
from governance.errors import DomainError
from governance.exports.models import ExportState
from governance.exports.selectors import cohort_export_file_path
from governance.exports.services import cohort_export_request, cohort_export_run


def _json_arg(value: str | None, name: str):
    if value is None:
        return None
    try:
        return json.loads(value)
    except json.JSONDecodeError as exc:
        raise CommandError(f"{name}: not valid JSON ({exc.msg} at character {exc.pos})") from None


def _list_arg(value: str | None) -> list[str] | None:
    if value is None:
        return None
    return [item.strip() for item in value.split(",") if item.strip()]


class Command(BaseCommand):
    help = "Run a de-identified cohort export under a grant, now, and copy its files to a folder."

    def add_arguments(self, parser):
        parser.add_argument("--grant", type=int, required=True, help="access grant ID")
        parser.add_argument("--out", type=Path, required=True, help="folder to copy the files to")
        parser.add_argument(
            "--criteria", help='JSON, e.g. {"sex": ["female"], "regions": ["1:1-20000"]}'
        )
        parser.add_argument(
            "--columns", help="comma-separated phenotype columns (default: all allowed)"
        )
        parser.add_argument(
            "--formats", help="comma-separated: csv,parquet,vcf (default: all allowed)"
        )
        parser.add_argument(
            "--idempotency-key", help="repeat a run safely: the same key returns the same export"
        )

    def handle(
        self, *args, grant: int, out: Path, criteria, columns, formats, idempotency_key, **options
    ):
        found = AccessGrant.objects.select_related("researcher").filter(pk=grant).first()
        if found is None:
            raise CommandError(f"--grant: no access grant {grant}")
        try:
            export = cohort_export_request(
                actor=found.researcher,
                grant=found,
                criteria=_json_arg(criteria, "--criteria"),
                columns=_list_arg(columns),
                formats=_list_arg(formats),
                idempotency_key=idempotency_key,
                enqueue_run=False,
            )
            export = cohort_export_run(export_id=export.pk)
        except DomainError as exc:
            raise CommandError(exc.message) from None
        if export.state != ExportState.SUCCEEDED:
            raise CommandError(
                f"Export {export.pk} {export.state}: {export.failure_reason or 'not finished'}"
            )
        out.mkdir(parents=True, exist_ok=True)
        copied = []
        for name in export.file_names():
            target = out / name
            shutil.copyfile(cohort_export_file_path(export=export, name=name), target)
            copied.append(str(target))
        summary = {
            "export_id": export.pk,
            "grant_id": found.pk,
            "state": export.state,
            "subjects": export.subject_count,
            "k_requested": found.k,
            "k_achieved": export.k_achieved,
            "suppressed": export.report.get("suppressed"),
            "manifest_sha256": export.manifest_sha256,
            "files": copied,
        }
        self.stdout.write(json.dumps(summary, indent=2))
