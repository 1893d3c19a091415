from django.urls import path

from governance.access import views

urlpatterns = [path("", views.dac_home, name="home")]
