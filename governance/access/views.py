"""Researcher and DAC pages."""

from django.shortcuts import render

from governance.roles import Role, role_required


@role_required(Role.RESEARCHER)
def research_home(request):
    return render(
        request,
        "area_home.html",
        {"heading": "Research", "intro": "Register your Crypt4GH key, request access to cohorts and run exports."},
    )


@role_required(Role.DAC_MEMBER)
def dac_home(request):
    return render(
        request,
        "area_home.html",
        {"heading": "Data access committee", "intro": "Review access requests and set their conditions."},
    )
