from django.urls import path

from governance.access import views

urlpatterns = [path("", views.research_home, name="home")]
