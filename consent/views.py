"""The patient portal."""

from django.shortcuts import render

from governance.roles import Role, role_required


@role_required(Role.PATIENT)
def portal_home(request):
    return render(
        request,
        "area_home.html",
        {"heading": "My consent", "intro": "See and change what your data may be used for."},
    )
