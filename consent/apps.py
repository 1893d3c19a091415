from django.apps import AppConfig
from django.db.backends.signals import connection_created


class ConsentConfig(AppConfig):
    name = "consent"
    verbose_name = "Consent"

    def ready(self) -> None:
        from consent.append_only import register_sqlite_guard

        connection_created.connect(register_sqlite_guard, dispatch_uid="consent_append_only_guard")
