from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _ensure_triggers(sender, using="default", **kwargs):
    """Reinstall the append-only triggers after every migrate.

    SQLite rebuilds a table (and silently drops its triggers) for many schema changes,
    so the triggers are checked and put back whenever migrations have run.
    """
    from django.db import connections

    from governance.ledger import triggers

    connection = connections[using]
    if not triggers.installed(connection):
        triggers.install(connection)


class LedgerConfig(AppConfig):
    name = "governance.ledger"
    label = "ledger"
    verbose_name = "Audit ledger"

    def ready(self):
        post_migrate.connect(
            _ensure_triggers, sender=self, dispatch_uid="ledger-append-only-triggers"
        )
