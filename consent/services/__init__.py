"""Every write of the consent app: subjects and consent versions.

Consent is append-only. ``consent_grant``, ``consent_amend`` and ``consent_withdraw``
each insert a new ``ConsentRecord`` version (with its signed receipt, computed before the
insert), its ``ConsentDisease`` rows and one audit event, and move the subject's
``current_consent`` pointer, all in one transaction holding the subject's row lock
(``SELECT ... FOR UPDATE`` on PostgreSQL; SQLite's IMMEDIATE transactions serialise
writers). A withdrawal therefore commits strictly after or strictly before any other
change to the same subject, and a gate question asked after it commits sees it.
"""

from consent.selectors import consent_in_force, consent_version_at
from consent.services.subjects import subject_create, subject_link_user
from consent.services.versions import (
    CATEGORIES,
    TRANSITIONS,
    consent_amend,
    consent_grant,
    consent_receipt_download,
    consent_version_read,
    consent_withdraw,
)

__all__ = [
    "CATEGORIES",
    "TRANSITIONS",
    "consent_amend",
    "consent_grant",
    "consent_in_force",
    "consent_receipt_download",
    "consent_version_at",
    "consent_version_read",
    "consent_withdraw",
    "subject_create",
    "subject_link_user",
]
