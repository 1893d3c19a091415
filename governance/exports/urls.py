"""Researcher export pages, mounted under /research/exports/ in the research namespace
(``governance.access.urls_research`` adds ``research_patterns``)."""

from django.urls import include, path

from governance.exports import views

urlpatterns = [
    path("", views.export_list, name="exports"),
    path("<int:pk>/", views.export_detail, name="export"),
    path("<int:pk>/status.json", views.export_status, name="export_status"),
    path("<int:pk>/cancel/", views.export_cancel, name="export_cancel"),
    path("<int:pk>/files/<str:name>", views.export_file, name="export_file"),
]

research_patterns = [path("exports/", include(urlpatterns))]
