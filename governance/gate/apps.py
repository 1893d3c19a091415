from django.apps import AppConfig


class GateConfig(AppConfig):
    name = "governance.gate"
    label = "gate"
    verbose_name = "Consent gate and ontologies"

    def ready(self) -> None:
        from consent.plain_language import register_disease_label_source
        from governance.gate.selectors import term_label_or_blank

        register_disease_label_source(term_label_or_blank)
