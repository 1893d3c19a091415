"""The gate's errors, in the platform's one error vocabulary."""

from governance.errors import ValidationFailed


class OntologyLoadFailed(ValidationFailed):
    default_code = "ontology_load_failed"
