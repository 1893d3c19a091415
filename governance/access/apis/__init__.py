"""Access governance API (under /api/v1/access/) and the GA4GH Passport visas endpoint.

Researcher-owned objects answer 404 to everyone else; DAC actions are DAC-only. Each
view validates, calls one service or selector and serialises the result.
"""

from governance.access.apis.grants import (
    AccessGrantDetailApi,
    AccessGrantListApi,
    AccessGrantRevokeApi,
    PassportVisasApi,
    ResearcherKeyActiveApi,
    ResearcherKeyRegisterApi,
)
from governance.access.apis.requests import (
    AccessRequestApproveApi,
    AccessRequestCreateApi,
    AccessRequestDetailApi,
    AccessRequestEligibilityApi,
    AccessRequestEthicsAttachApi,
    AccessRequestListApi,
    AccessRequestQueueApi,
    AccessRequestRejectApi,
    AccessRequestSubmitApi,
    AccessRequestUpdateApi,
    AccessRequestWithdrawApi,
)

__all__ = [
    "AccessGrantDetailApi",
    "AccessGrantListApi",
    "AccessGrantRevokeApi",
    "AccessRequestApproveApi",
    "AccessRequestCreateApi",
    "AccessRequestDetailApi",
    "AccessRequestEligibilityApi",
    "AccessRequestEthicsAttachApi",
    "AccessRequestListApi",
    "AccessRequestQueueApi",
    "AccessRequestRejectApi",
    "AccessRequestSubmitApi",
    "AccessRequestUpdateApi",
    "AccessRequestWithdrawApi",
    "PassportVisasApi",
    "ResearcherKeyActiveApi",
    "ResearcherKeyRegisterApi",
]
