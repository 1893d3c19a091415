from django.urls import path

from governance.access.views import research
from governance.exports.urls import research_patterns as export_patterns

urlpatterns = [
    path("", research.research_home, name="home"),
    path("key/", research.key_register, name="key"),
    path("requests/new/", research.request_new, name="request_new"),
    path("requests/<int:pk>/", research.request_detail, name="request"),
    path("requests/<int:pk>/ethics/", research.request_ethics, name="request_ethics"),
    path("requests/<int:pk>/submit/", research.request_submit, name="request_submit"),
    path("requests/<int:pk>/withdraw/", research.request_withdraw, name="request_withdraw"),
    path("grants/", research.grants, name="grants"),
    *export_patterns,
]
