from django.urls import path

from governance.compliance import views

urlpatterns = [
    path("", views.compliance_home, name="home"),
    path("events/", views.events_search, name="events"),
    path("events/export.csv", views.events_csv, name="events_csv"),
    path("events/export.json", views.events_json, name="events_json"),
    path("subjects/", views.subject_index, name="subjects"),
    path("subjects/<str:code>/", views.subject_report, name="subject_report"),
    path("users/", views.user_index, name="users"),
    path("users/<int:id>/", views.user_report, name="user_report"),
    path("anomalies/", views.anomaly_list, name="anomalies"),
    path("verification/", views.verification, name="verification"),
    path("verification/run/", views.verification_run, name="verification_run"),
]
