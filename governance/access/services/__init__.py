"""Every write of access governance. Each function is atomic and audits its change.

Split by sub-domain: researcher keys, requests (drafting, submission, withdrawal),
the DAC's review (approve, reject) and grants (revocation, expiry).
"""

from governance.access.services.grants import access_grant_revoke, access_grants_expire
from governance.access.services.requests import (
    access_request_attach_ethics,
    access_request_create,
    access_request_submit,
    access_request_update,
    access_request_withdraw,
)
from governance.access.services.researcher_keys import researcher_key_register
from governance.access.services.review import access_request_approve, access_request_reject

__all__ = [
    "access_grant_revoke",
    "access_grants_expire",
    "access_request_approve",
    "access_request_attach_ethics",
    "access_request_create",
    "access_request_reject",
    "access_request_submit",
    "access_request_update",
    "access_request_withdraw",
    "researcher_key_register",
]
