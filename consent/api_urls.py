"""Consent API routes (under /api/v1/)."""

from django.urls import path

from consent import apis

urlpatterns = [
    path("subjects", apis.SubjectListApi.as_view(), name="subject-list"),
    path("subjects/new", apis.SubjectCreateApi.as_view(), name="subject-create"),
    path("subjects/<str:code>", apis.SubjectDetailApi.as_view(), name="subject-detail"),
    path(
        "subjects/<str:code>/consents",
        apis.ConsentCreateVersionApi.as_view(),
        name="consent-create",
    ),
    path(
        "subjects/<str:code>/consents/<int:version>",
        apis.ConsentDetailApi.as_view(),
        name="consent-detail",
    ),
    path("consents", apis.ConsentListApi.as_view(), name="consent-list"),
    path("consent/receipts/verify", apis.ReceiptVerifyApi.as_view(), name="receipt-verify"),
    path("fhir/Consent", apis.FhirConsentImportApi.as_view(), name="fhir-consent-import"),
    path("fhir/Consent/<str:id>", apis.FhirConsentReadApi.as_view(), name="fhir-consent-read"),
]
