from django.urls import path

from governance.compliance import patient_views

urlpatterns = [
    path("", patient_views.access_list, name="list"),
    path("proof/<int:seq>.json", patient_views.access_proof, name="proof"),
    path("how-to-verify/", patient_views.how_to_verify, name="how_to_verify"),
]
