"""Everything under /api/v1/. Each app contributes its own ``api_urls`` module."""

from django.urls import include, path

from governance.apis import WhoAmIApi

urlpatterns = [
    path("me", WhoAmIApi.as_view(), name="me"),
    path("", include("consent.api_urls")),
    path("", include("genomics.api_urls")),
    path("", include("governance.ledger.api_urls")),
    path("", include("governance.access.api_urls")),
    path("", include("governance.gate.api_urls")),
    path("", include("governance.exports.api_urls")),
]
