"""Gate API routes (under /api/v1/)."""

from django.urls import path

from governance.gate.apis import DuoMatchApi

urlpatterns = [
    path("duo/match", DuoMatchApi.as_view(), name="duo-match"),
]
