from django.urls import path

from consent import views

urlpatterns = [
    path("", views.portal_home, name="home"),
    path("consent/", views.consent_change, name="change"),
    path("withdraw/", views.consent_withdraw, name="withdraw"),
    path("history/", views.consent_history_page, name="history"),
    path("history/<int:version>/receipt.jwt", views.receipt_download, name="receipt"),
    path("consent-text/", views.consent_text_page, name="text"),
    path("my-data.json", views.data_download, name="data_download"),
    path("staff/", views.staff_find, name="staff_find"),
    path("staff/<str:code>/", views.staff_record, name="staff_record"),
]
