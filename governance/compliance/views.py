"""The compliance console."""

from django.shortcuts import render

from governance.roles import Role, role_required


@role_required(Role.COMPLIANCE_OFFICER)
def compliance_home(request):
    return render(
        request,
        "area_home.html",
        {"heading": "Compliance", "intro": "Search, verify and report on the audit ledger."},
    )
