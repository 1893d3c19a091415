from django.urls import path

from governance.access.views import dac

urlpatterns = [
    path("", dac.dac_home, name="home"),
    path("requests/<int:pk>/", dac.request_detail, name="request"),
    path("requests/<int:pk>/ethics/", dac.request_ethics_document, name="request_ethics"),
    path("requests/<int:pk>/approve/", dac.request_approve, name="request_approve"),
    path("requests/<int:pk>/reject/", dac.request_reject, name="request_reject"),
    path("grants/", dac.grants, name="grants"),
    path("grants/<int:pk>/revoke/", dac.grant_revoke, name="grant_revoke"),
]
