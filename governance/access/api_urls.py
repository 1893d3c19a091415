"""Access governance API routes (under /api/v1/)."""

from django.urls import path

from governance.access import apis

urlpatterns = [
    path("access/keys", apis.ResearcherKeyRegisterApi.as_view(), name="access-key-register"),
    path("access/keys/active", apis.ResearcherKeyActiveApi.as_view(), name="access-key-active"),
    path("access/requests", apis.AccessRequestListApi.as_view(), name="access-request-list"),
    path(
        "access/requests/create",
        apis.AccessRequestCreateApi.as_view(),
        name="access-request-create",
    ),
    path(
        "access/requests/queue", apis.AccessRequestQueueApi.as_view(), name="access-request-queue"
    ),
    path(
        "access/requests/<int:id>",
        apis.AccessRequestDetailApi.as_view(),
        name="access-request-detail",
    ),
    path(
        "access/requests/<int:id>/update",
        apis.AccessRequestUpdateApi.as_view(),
        name="access-request-update",
    ),
    path(
        "access/requests/<int:id>/eligibility",
        apis.AccessRequestEligibilityApi.as_view(),
        name="access-request-eligibility",
    ),
    path(
        "access/requests/<int:id>/ethics",
        apis.AccessRequestEthicsAttachApi.as_view(),
        name="access-request-ethics",
    ),
    path(
        "access/requests/<int:id>/submit",
        apis.AccessRequestSubmitApi.as_view(),
        name="access-request-submit",
    ),
    path(
        "access/requests/<int:id>/withdraw",
        apis.AccessRequestWithdrawApi.as_view(),
        name="access-request-withdraw",
    ),
    path(
        "access/requests/<int:id>/approve",
        apis.AccessRequestApproveApi.as_view(),
        name="access-request-approve",
    ),
    path(
        "access/requests/<int:id>/reject",
        apis.AccessRequestRejectApi.as_view(),
        name="access-request-reject",
    ),
    path("access/grants", apis.AccessGrantListApi.as_view(), name="access-grant-list"),
    path("access/grants/<int:id>", apis.AccessGrantDetailApi.as_view(), name="access-grant-detail"),
    path(
        "access/grants/<int:id>/revoke",
        apis.AccessGrantRevokeApi.as_view(),
        name="access-grant-revoke",
    ),
]
