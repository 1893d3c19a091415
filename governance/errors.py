"""One error vocabulary for the platform.

Services raise ``DomainError`` subclasses; the API exception handler renders them as
``{"code", "message", "extra"}`` and management commands turn them into a message and
a non-zero exit. Messages name the problem and never carry personal data.
"""

from __future__ import annotations


class DomainError(Exception):
    status_code = 400
    default_code = "invalid"

    def __init__(self, message: str, code: str | None = None, extra: dict | None = None):
        super().__init__(message)
        self.message = message
        self.code = code or self.default_code
        self.extra = extra or {}


class ValidationFailed(DomainError):
    default_code = "validation_failed"


class NotFound(DomainError):
    """Raised for a missing object and for one the caller may not see, alike."""

    status_code = 404
    default_code = "not_found"

    def __init__(self, message: str = "Not found.", code: str | None = None, extra: dict | None = None):
        super().__init__(message, code, extra)


class PermissionDenied(DomainError):
    status_code = 403
    default_code = "permission_denied"


class InvalidTransition(DomainError):
    status_code = 409
    default_code = "invalid_transition"


class Conflict(DomainError):
    status_code = 409
    default_code = "conflict"


class IntegrityFailure(DomainError):
    """A verification failed: one opaque error that does not say which check failed."""

    default_code = "integrity_failure"
