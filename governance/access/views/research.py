"""Researcher pages: key, requests with the eligibility preview, grants and visas."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from genomics.crypt4gh import public_key_pem
from governance.access import selectors, services
from governance.access.forms import EthicsForm, KeyForm, RequestForm
from governance.access.models import RequestStatus
from governance.access.plain import describe_cohort, describe_purpose
from governance.access.views import domain_errors, or_404, with_activity
from governance.access.visas import passport_visas_issue
from governance.roles import Role, role_required


def _own_request(request, pk):
    found = or_404(selectors.access_request_get_for_user, user=request.user, request_id=pk)
    if found.requester_id != request.user.pk:
        raise Http404
    return found


@role_required(Role.RESEARCHER)
@never_cache
def research_home(request):
    key = selectors.researcher_key_active(user=request.user)
    return render(
        request,
        "access/research_home.html",
        {
            "key": key,
            "requests": selectors.access_requests_of_researcher(user=request.user),
            "grants": selectors.access_grants_of_researcher(user=request.user),
        },
    )


@role_required(Role.RESEARCHER)
@require_http_methods(["GET", "POST"])
def key_register(request):
    key = selectors.researcher_key_active(user=request.user)
    form = KeyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        outcome = {}
        with domain_errors(request, outcome):
            services.researcher_key_register(
                actor=request.user, public_key_pem=form.cleaned_data["public_key"]
            )
        if outcome["ok"]:
            messages.success(
                request, "Your Crypt4GH public key is registered; exports will be encrypted to it."
            )
            return redirect("research:home")
    return render(
        request,
        "access/research_key.html",
        {
            "form": form,
            "key": key,
            "pem": public_key_pem(key.public_key_bytes) if key else "",
        },
    )


@role_required(Role.RESEARCHER)
@require_http_methods(["GET", "POST"])
def request_new(request):
    form = RequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        outcome, created = {}, None
        with domain_errors(request, outcome):
            created = services.access_request_create(actor=request.user, **form.service_kwargs())
        if outcome["ok"]:
            messages.success(
                request,
                "Draft saved. Check the cohort size, attach the ethics approval, then submit.",
            )
            return redirect("research:request", pk=created.pk)
    return render(request, "access/research_request_form.html", {"form": form})


@role_required(Role.RESEARCHER)
@never_cache
def request_detail(request, pk):
    found = _own_request(request, pk)
    estimate = None
    if found.status == RequestStatus.DRAFT:
        estimate = selectors.access_request_eligibility(request=found)
    return render(
        request,
        "access/research_request.html",
        {
            "req": found,
            "estimate": estimate,
            "purpose_lines": describe_purpose(found.purpose_data),
            "cohort_lines": describe_cohort(found.cohort),
            "ethics_form": EthicsForm(),
            "has_key": selectors.researcher_key_active(user=request.user) is not None,
        },
    )


@role_required(Role.RESEARCHER)
@require_POST
def request_ethics(request, pk):
    found = _own_request(request, pk)
    form = EthicsForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, "Choose the ethics approval file to attach.")
        return redirect("research:request", pk=found.pk)
    outcome = {}
    with domain_errors(request, outcome):
        services.access_request_attach_ethics(
            actor=request.user, request=found, document=form.cleaned_data["document"]
        )
    if outcome["ok"]:
        messages.success(request, "Ethics approval attached.")
    return redirect("research:request", pk=found.pk)


@role_required(Role.RESEARCHER)
@require_POST
def request_submit(request, pk):
    found = _own_request(request, pk)
    outcome = {}
    with domain_errors(request, outcome):
        services.access_request_submit(actor=request.user, request=found)
    if outcome["ok"]:
        messages.success(request, "Submitted to the data access committee.")
    return redirect("research:request", pk=found.pk)


@role_required(Role.RESEARCHER)
@require_POST
def request_withdraw(request, pk):
    found = _own_request(request, pk)
    outcome = {}
    with domain_errors(request, outcome):
        services.access_request_withdraw(actor=request.user, request=found)
    if outcome["ok"]:
        messages.success(request, "Request withdrawn.")
    return redirect("research:request", pk=found.pk)


@role_required(Role.RESEARCHER)
@never_cache
def grants(request):
    """The researcher's grants; with ``?visas=1`` also issues and shows their visas."""
    show_visas = request.GET.get("visas") == "1"
    visas = passport_visas_issue(user=request.user) if show_visas else []
    return render(
        request,
        "access/research_grants.html",
        {
            "grants": with_activity(
                selectors.access_grants_of_researcher(user=request.user), timezone.now()
            ),
            "visas": visas,
            "show_visas": show_visas,
        },
    )
