"""DAC pages: the review queue, a request in plain words, approve or reject, grants."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from governance.access import selectors, services
from governance.access.forms import ApproveForm, ReasonForm
from governance.access.models import APPROVALS_REQUIRED, RequestStatus
from governance.access.plain import describe_cohort, describe_purpose
from governance.access.services.requests import ethics_path
from governance.access.views import domain_errors, or_404, with_activity
from governance.roles import Role, role_required


@role_required(Role.DAC_MEMBER)
@never_cache
def dac_home(request):
    return render(
        request,
        "access/dac_home.html",
        {
            "queue": selectors.access_requests_for_dac(status=RequestStatus.SUBMITTED),
            "approvals_required": APPROVALS_REQUIRED,
        },
    )


def _approve_form(req, data=None) -> ApproveForm:
    initial = {
        "k": 5,
        "categories": req.categories,
        "expires_on": (timezone.now() + timedelta(days=365)).date(),
    }
    form = ApproveForm(data, initial=initial)
    form.fields["categories"].choices = [
        c for c in form.fields["categories"].choices if c[0] in req.categories
    ]
    return form


def _render_request(request, req, *, approve_form=None, reject_form=None, status=200):
    estimate = (
        selectors.access_request_eligibility(request=req)
        if req.status == RequestStatus.SUBMITTED
        else None
    )
    return render(
        request,
        "access/dac_request.html",
        {
            "req": req,
            "estimate": estimate,
            "purpose_lines": describe_purpose(req.purpose_data),
            "cohort_lines": describe_cohort(req.cohort),
            "approvals": req.approvals.select_related("member"),
            "approvals_required": APPROVALS_REQUIRED,
            "own": req.requester_id == request.user.pk,
            "voted": req.approvals.filter(member=request.user).exists(),
            "approve_form": approve_form or _approve_form(req),
            "reject_form": reject_form or ReasonForm(),
            "grant": getattr(req, "grant", None) if req.status == RequestStatus.APPROVED else None,
        },
        status=status,
    )


@role_required(Role.DAC_MEMBER)
@never_cache
def request_detail(request, pk):
    return _render_request(
        request, or_404(selectors.access_request_get_for_user, user=request.user, request_id=pk)
    )


@role_required(Role.DAC_MEMBER)
def request_ethics_document(request, pk):
    req = or_404(selectors.access_request_get_for_user, user=request.user, request_id=pk)
    if not req.has_ethics_document or not ethics_path(req.ethics_sha256).exists():
        raise Http404
    response = FileResponse(
        ethics_path(req.ethics_sha256).open("rb"),
        content_type=req.ethics_media_type,
        as_attachment=True,
        filename=f"ethics-request-{req.pk}.{'pdf' if 'pdf' in req.ethics_media_type else 'txt'}",
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


@role_required(Role.DAC_MEMBER)
@require_POST
def request_approve(request, pk):
    req = or_404(selectors.access_request_get_for_user, user=request.user, request_id=pk)
    form = _approve_form(req, request.POST)
    if not form.is_valid():
        return _render_request(request, req, approve_form=form, status=400)
    outcome = {}
    with domain_errors(request, outcome):
        req = services.access_request_approve(
            actor=request.user, request=req, conditions=form.conditions()
        )
    if outcome["ok"]:
        messages.success(
            request,
            "Access granted."
            if req.status == RequestStatus.APPROVED
            else "Your approval is recorded; a second DAC member must also approve.",
        )
    return redirect("dac:request", pk=pk)


@role_required(Role.DAC_MEMBER)
@require_POST
def request_reject(request, pk):
    req = or_404(selectors.access_request_get_for_user, user=request.user, request_id=pk)
    form = ReasonForm(request.POST)
    if not form.is_valid():
        return _render_request(request, req, reject_form=form, status=400)
    outcome = {}
    with domain_errors(request, outcome):
        services.access_request_reject(
            actor=request.user, request=req, reason=form.cleaned_data["reason"]
        )
    if outcome["ok"]:
        messages.success(request, "Request rejected; the researcher sees your reason.")
    return redirect("dac:request", pk=pk)


@role_required(Role.DAC_MEMBER)
@never_cache
def grants(request):
    return render(
        request,
        "access/dac_grants.html",
        {
            "grants": with_activity(selectors.access_grants_for_dac(), timezone.now()),
        },
    )


@role_required(Role.DAC_MEMBER)
@require_POST
def grant_revoke(request, pk):
    grant = or_404(selectors.access_grant_get_for_user, user=request.user, grant_id=pk)
    form = ReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Say why the grant is revoked.")
        return redirect("dac:grants")
    outcome = {}
    with domain_errors(request, outcome):
        services.access_grant_revoke(
            actor=request.user, grant=grant, reason=form.cleaned_data["reason"]
        )
    if outcome["ok"]:
        messages.success(request, f"Grant {grant.pk} revoked; it stopped working immediately.")
    return redirect("dac:grants")
