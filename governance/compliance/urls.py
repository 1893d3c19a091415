from django.urls import path

from governance.compliance import views

urlpatterns = [path("", views.compliance_home, name="home")]
