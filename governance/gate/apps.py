from django.apps import AppConfig


class GateConfig(AppConfig):
    name = "governance.gate"
    label = "gate"
    verbose_name = "Consent gate and ontologies"
