"""Audit action constants. Every event's ``action`` is one of these."""


class Action:
    LOGIN = "auth.login"
    LOGIN_FAILED = "auth.login_failed"
    LOGOUT = "auth.logout"
    API_TOKEN_ISSUE = "auth.token_issue"

    SUBJECT_CREATE = "subject.create"
    SUBJECT_READ = "subject.read"
    SUBJECT_LINK_USER = "subject.link_user"
    SUBJECT_ERASE = "subject.erase"

    CONSENT_GRANT = "consent.grant"
    CONSENT_AMEND = "consent.amend"
    CONSENT_WITHDRAW = "consent.withdraw"
    CONSENT_READ = "consent.read"
    CONSENT_IMPORT = "consent.fhir_import"
    CONSENT_EXPORT = "consent.fhir_export"
    RECEIPT_DOWNLOAD = "consent.receipt_download"
    PATIENT_DATA_DOWNLOAD = "patient.data_download"

    GATE_DECISION = "gate.decision"
    ONTOLOGY_LOAD = "gate.ontology_load"

    GENOMIC_INGEST = "genomic.ingest"
    GENOMIC_INGEST_REJECTED = "genomic.ingest_rejected"
    GENOMIC_READ = "genomic.read"
    VARIANT_QUERY = "genomic.variant_query"
    KEY_ROTATE = "key.rotate"
    KEY_RETIRE = "key.retire"

    RESEARCHER_KEY_REGISTER = "access.researcher_key_register"
    RESEARCHER_KEY_DEACTIVATE = "access.researcher_key_deactivate"
    ACCESS_REQUEST_CREATE = "access.request_create"
    ACCESS_REQUEST_UPDATE = "access.request_update"
    ACCESS_REQUEST_SUBMIT = "access.request_submit"
    ACCESS_REQUEST_WITHDRAW = "access.request_withdraw"
    ACCESS_REQUEST_APPROVE = "access.request_approve"
    ACCESS_REQUEST_REJECT = "access.request_reject"
    ACCESS_GRANT_CREATE = "access.grant_create"
    ACCESS_GRANT_REVOKE = "access.grant_revoke"
    ACCESS_GRANT_EXPIRE = "access.grant_expire"
    VISA_ISSUE = "access.visa_issue"

    EXPORT_REQUEST = "export.request"
    EXPORT_START = "export.start"
    EXPORT_SUBJECT_REMOVED = "export.subject_removed"
    EXPORT_SUBJECT_INCLUDED = "export.subject_included"
    EXPORT_COMPLETE = "export.complete"
    EXPORT_FAIL = "export.fail"
    EXPORT_CANCEL = "export.cancel"
    EXPORT_DOWNLOAD = "export.download"

    AUDIT_VIEW = "audit.view"
    AUDIT_EXPORT = "audit.export"
    AUDIT_CHECKPOINT = "audit.checkpoint"
    AUDIT_VERIFY = "audit.verify"
    AUDIT_ALERT = "audit.alert"

    @classmethod
    def all(cls) -> frozenset[str]:
        return frozenset(v for k, v in vars(cls).items() if k.isupper() and isinstance(v, str))


class Outcome:
    ALLOWED = "allowed"
    DENIED = "denied"
    FAILED = "failed"
    ALL = (ALLOWED, DENIED, FAILED)
