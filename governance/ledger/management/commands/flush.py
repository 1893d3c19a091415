"""``flush`` empties every table, the ledger included, so it lifts the ledger's triggers.

Emptying the whole database is an operator's decision (and what the test runner does
between transactional tests); without this, the append-only triggers would refuse the
TRUNCATE or DELETE on the ledger tables. The triggers are back when the command ends.
"""

from django.core.management.commands.flush import Command as FlushCommand

from governance.ledger import triggers


class Command(FlushCommand):
    help = FlushCommand.help + " The ledger's append-only triggers are lifted for it and restored."

    def handle(self, **options):
        with triggers.suspended(options["database"]):
            return super().handle(**options)
