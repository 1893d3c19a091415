"""Data steward pages."""

from django.shortcuts import render

from governance.roles import Role, role_required


@role_required(Role.DATA_STEWARD)
def steward_home(request):
    return render(
        request,
        "area_home.html",
        {"heading": "Data steward", "intro": "Register subjects, ingest genomic files, rotate keys and erase subjects."},
    )
