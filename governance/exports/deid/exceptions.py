"""The errors de-identification raises, in the platform's one error vocabulary."""

from __future__ import annotations

from governance.errors import DomainError


class DeidentificationFailed(DomainError):
    """The table cannot be released at the requested privacy level, so nothing is released.

    The message names the requested k (and l), the share of records that would have to
    be suppressed and the limit, or the identifiers still present, so the data access
    committee and the researcher can see why an export stopped.
    """

    status_code = 422
    default_code = "deidentification_failed"
