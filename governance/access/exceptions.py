"""Errors of access governance. Messages name the problem, never personal data."""

from __future__ import annotations

from governance.errors import Conflict, PermissionDenied, ValidationFailed


class SelfApprovalRefused(PermissionDenied):
    """A DAC member tried to approve (or reject) their own request."""

    default_code = "self_approval_refused"

    def __init__(
        self, message: str = "You cannot review your own access request; another DAC member must."
    ):
        super().__init__(message)


class AlreadyVoted(Conflict):
    default_code = "already_voted"

    def __init__(
        self,
        message: str = "You have already approved this request; a second, different DAC member must.",
    ):
        super().__init__(message)


class NotDacMember(PermissionDenied):
    default_code = "not_dac_member"

    def __init__(self, message: str = "Only members of the data access committee can do this."):
        super().__init__(message)


class GrantInactive(PermissionDenied):
    """The grant is revoked or expired (or was never active at that instant)."""

    default_code = "grant_inactive"


class EthicsDocumentInvalid(ValidationFailed):
    default_code = "ethics_document_invalid"
