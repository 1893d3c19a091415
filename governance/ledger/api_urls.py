from django.urls import path

from governance.ledger.apis import AuditConsistencyProofApi, AuditInclusionProofApi

urlpatterns = [
    path("audit/proof/inclusion", AuditInclusionProofApi.as_view(), name="audit-proof-inclusion"),
    path(
        "audit/proof/consistency",
        AuditConsistencyProofApi.as_view(),
        name="audit-proof-consistency",
    ),
]
