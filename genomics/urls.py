from django.urls import path

from genomics import views

urlpatterns = [path("", views.steward_home, name="home")]
