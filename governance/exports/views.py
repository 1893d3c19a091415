"""Researcher pages for exports (/research/exports/): ask, watch progress, download.

An export page answers its researcher alone; anyone else gets the 404 a missing export
gives. The progress bar is refreshed by ``exports/progress.js`` from the small JSON
status view (no inline script: the CSP allows scripts from this site only).
"""

from __future__ import annotations

import secrets

from django.contrib import messages
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from governance.access.selectors import access_grant_get_for_user, access_grants_of_researcher
from governance.errors import DomainError, NotFound
from governance.exports import selectors, services
from governance.exports.forms import ExportForm
from governance.roles import Role, role_required


def _own(request, pk):
    try:
        return selectors.cohort_export_get_for_user(user=request.user, export_id=pk)
    except NotFound:
        raise Http404 from None


def _active_grants(user):
    now = timezone.now()
    return [g for g in access_grants_of_researcher(user=user) if g.is_active(now)]


@role_required(Role.RESEARCHER)
@require_http_methods(["GET", "POST"])
def export_list(request):
    grants = _active_grants(request.user)
    initial = {"idempotency_key": secrets.token_hex(16), "formats": ["csv", "parquet"]}
    form = ExportForm(request.POST or None, grants=grants, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            grant = access_grant_get_for_user(
                user=request.user, grant_id=form.cleaned_data["grant"]
            )
            export = services.cohort_export_request(
                actor=request.user,
                grant=grant,
                criteria=form.criteria(),
                columns=list(form.cleaned_data["columns"]),
                formats=list(form.cleaned_data["formats"]),
                idempotency_key=form.cleaned_data["idempotency_key"] or None,
            )
        except NotFound:
            raise Http404 from None
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, f"Export {export.pk} is queued.")
            return redirect("research:export", pk=export.pk)
    return render(
        request,
        "exports/export_list.html",
        {
            "form": form,
            "grants": grants,
            "exports": selectors.cohort_exports_of_researcher(user=request.user)[:100],
        },
    )


@role_required(Role.RESEARCHER)
@never_cache
@require_GET
def export_detail(request, pk):
    export = _own(request, pk)
    return render(request, "exports/export_detail.html", {"export": export})


@role_required(Role.RESEARCHER)
@never_cache
@require_GET
def export_status(request, pk):
    export = _own(request, pk)
    return JsonResponse(
        {
            "id": export.pk,
            "state": export.state,
            "progress_done": export.progress_done,
            "progress_total": export.progress_total,
            "percent": export.percent,
            "finished": export.is_terminal,
        }
    )


@role_required(Role.RESEARCHER)
@require_POST
def export_cancel(request, pk):
    export = _own(request, pk)
    try:
        services.cohort_export_cancel(actor=request.user, export=export)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"Export {export.pk} is cancelled.")
    return redirect("research:export", pk=export.pk)


@role_required(Role.RESEARCHER)
@require_GET
def export_file(request, pk, name):
    export = _own(request, pk)
    try:
        handle = services.cohort_export_file_open(actor=request.user, export=export, name=name)
    except NotFound:
        raise Http404 from None
    return FileResponse(
        handle, as_attachment=True, filename=name, content_type="application/octet-stream"
    )
