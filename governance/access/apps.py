from django.apps import AppConfig


class AccessConfig(AppConfig):
    name = "governance.access"
    label = "access"
    verbose_name = "Access requests and grants"

    def ready(self):
        # Register the periodic expiry task with Celery (config.celery discovers only
        # top-level app task modules).
        from governance.access import tasks  # noqa: F401
