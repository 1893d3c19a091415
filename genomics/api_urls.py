"""Genomic vault API routes (under /api/v1/)."""

from django.urls import path

from genomics import apis

urlpatterns = [
    path("genomic-files", apis.GenomicFileListApi.as_view(), name="genomic-file-list"),
    path("genomic-files/ingest", apis.GenomicFileIngestApi.as_view(), name="genomic-file-ingest"),
    path(
        "genomic-files/<str:file_id>",
        apis.GenomicFileDetailApi.as_view(),
        name="genomic-file-detail",
    ),
]
