from django.apps import AppConfig


class GovernanceConfig(AppConfig):
    name = "governance"
    verbose_name = "Governance"

    def ready(self) -> None:
        # Login and failed-login audit events hook Django's auth signals.
        from governance.auth import login_audit, schema  # noqa: F401
