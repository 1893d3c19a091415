"""``python manage.py audit_checkpoint``: sign and store a checkpoint of the ledger now."""

from django.core.management.base import BaseCommand, CommandError

from governance.errors import DomainError
from governance.ledger.services import checkpoint_create


class Command(BaseCommand):
    help = "Sign a checkpoint (tree size and Merkle root) of the audit ledger and write it outside the database."

    def handle(self, *args, **options):
        try:
            checkpoint = checkpoint_create(actor="system:audit_checkpoint")
        except DomainError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(
            f"checkpoint at tree size {checkpoint.tree_size}, root {checkpoint.root_hash}"
        )
