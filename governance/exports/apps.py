from django.apps import AppConfig


class ExportsConfig(AppConfig):
    name = "governance.exports"
    label = "exports"
    verbose_name = "Cohort exports"

    def ready(self):
        # Erasure certificates list the exports that had already left with a subject;
        # genomics sits below this app, so it asks through a registered source.
        from genomics.services.erasure import register_released_exports_source
        from governance.exports.selectors import released_exports_for_subject

        register_released_exports_source(released_exports_for_subject)
