from django.urls import path

from consent import views

urlpatterns = [path("", views.portal_home, name="home")]
