"""Cohort export API routes (under /api/v1/)."""

from django.urls import path

from governance.exports import apis

urlpatterns = [
    path("exports", apis.CohortExportListApi.as_view(), name="export-list"),
    path("exports/create", apis.CohortExportCreateApi.as_view(), name="export-create"),
    path("exports/<int:id>", apis.CohortExportDetailApi.as_view(), name="export-detail"),
    path("exports/<int:id>/status", apis.CohortExportStatusApi.as_view(), name="export-status"),
    path("exports/<int:id>/cancel", apis.CohortExportCancelApi.as_view(), name="export-cancel"),
    path(
        "exports/<int:id>/files/<str:name>",
        apis.CohortExportFileApi.as_view(),
        name="export-file",
    ),
]
