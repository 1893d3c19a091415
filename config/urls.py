from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from governance import views as governance_views
from governance.access.apis import PassportVisasApi

urlpatterns = [
    path("", governance_views.home, name="home"),
    path("accounts/login/", governance_views.HelixLoginView.as_view(), name="login"),
    path("accounts/logout/", governance_views.logout_view, name="logout"),
    path("healthz", governance_views.healthz, name="healthz"),
    path(".well-known/jwks.json", governance_views.jwks, name="jwks"),
    path("ga4gh/passport/v1/visas", PassportVisasApi.as_view(), name="passport-visas"),
    path("portal/access/", include(("governance.compliance.urls_patient", "portal_access"))),
    path("portal/", include(("consent.urls", "portal"))),
    path("steward/", include(("genomics.urls", "steward"))),
    path("research/", include(("governance.access.urls_research", "research"))),
    path("dac/", include(("governance.access.urls_dac", "dac"))),
    path("compliance/", include(("governance.compliance.urls", "compliance"))),
    path("api/v1/", include(("config.api_urls", "api"))),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
    path("admin/", admin.site.urls),
]
