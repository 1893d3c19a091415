"""``python manage.py verify_audit [--checkpoint FILE]``: verify the whole ledger.

Exit status 0 and a one-line summary when intact; otherwise a message naming the first
bad sequence number and what is wrong, and a non-zero exit.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from governance.errors import DomainError
from governance.ledger.services import audit_verify_run


class Command(BaseCommand):
    help = (
        "Recompute every leaf and the Merkle tree of the audit ledger; check every stored "
        "checkpoint and the external checkpoint files (and --checkpoint FILE)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--checkpoint",
            action="append",
            default=[],
            metavar="FILE",
            help="a signed checkpoint note kept elsewhere to check the ledger against (repeatable)",
        )

    def handle(self, *args, **options):
        files = [Path(name) for name in options["checkpoint"]]
        for path in files:
            if not path.is_file():
                raise CommandError(f"--checkpoint: no such file: {path}")
        try:
            report = audit_verify_run(actor="system:verify_audit", checkpoint_files=files)
        except DomainError as exc:
            raise CommandError(f"audit ledger verification FAILED: {exc.message}") from None
        self.stdout.write(report.summary())
