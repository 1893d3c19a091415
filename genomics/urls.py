"""Data steward pages (under /steward/)."""

from django.urls import path

from genomics import views

urlpatterns = [
    path("", views.steward_home, name="home"),
    path("genomics/upload", views.genomic_upload, name="genomic_upload"),
    path("genomics/files", views.genomic_files, name="genomic_files"),
    path("genomics/subjects/<str:code>", views.subject_files, name="subject_files"),
    path("keys", views.key_status, name="key_status"),
]
