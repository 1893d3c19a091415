"""The compliance console: search, reports, anomalies, verification and exports.

Every page of the console is recorded in the ledger it reads (``audit.view``), and
every export as ``audit.export``, before the response is sent.
"""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from consent.models import Subject
from governance.compliance import downloads, ledger_port, selectors, services
from governance.compliance.anomalies import anomalies
from governance.compliance.chart import accesses_svg
from governance.compliance.forms import EventFilter, EventFilterForm
from governance.errors import NotFound
from governance.roles import Role, role_required

PAGE_SIZE = 50
OVERVIEW_DAYS = 30


def _filter_from(request) -> tuple[EventFilterForm, EventFilter | None]:
    form = EventFilterForm(request.GET or None)
    if not request.GET:
        return EventFilterForm(), EventFilter()
    return form, (form.to_filter() if form.is_valid() else None)


def _chart(events, chart_id: str = "accesses") -> dict:
    unit, buckets = selectors.accesses_over_time(events)
    return {"chart_svg": accesses_svg(buckets, unit=unit, chart_id=chart_id), "chart_unit": unit, "buckets": buckets}


@require_GET
@never_cache
@role_required(Role.COMPLIANCE_OFFICER)
def compliance_home(request):
    """Overview: verification status, the latest checkpoint, recent activity and flags."""
    now = timezone.now()
    recent = selectors.events_filtered(filters=EventFilter(since=now - timedelta(days=OVERVIEW_DAYS)))
    flags = anomalies(recent)
    context = {
        "verification": selectors.verification_latest(),
        "checkpoint": ledger_port.latest_checkpoint(),
        "summary": selectors.events_summary(recent),
        "flags": flags[:10],
        "flag_count": len(flags),
        "days": OVERVIEW_DAYS,
        **_chart(recent),
    }
    services.audit_view_record(actor=request.user, view="overview", count=len(flags))
    return render(request, "compliance/home.html", context)


@require_GET
@never_cache
@role_required(Role.COMPLIANCE_OFFICER)
def events_search(request):
    """Search and filter the ledger, 50 events a page, with CSV and JSON of the same view."""
    form, filters = _filter_from(request)
    if filters is None:
        services.audit_view_record(actor=request.user, view="events_invalid_filter")
        return render(request, "compliance/events.html", {"form": form}, status=400)
    events = selectors.events_filtered(filters=filters)
    page = Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = list(page.object_list)
    query = request.GET.copy()
    query.pop("page", None)
    context = {"form": form, "page": page, "query": query.urlencode(), **_chart(events)}
    services.audit_view_record(actor=request.user, view="events", filters=filters, count=page.paginator.count)
    return render(request, "compliance/events.html", context)


def _export(request, fmt: str):
    form, filters = _filter_from(request)
    if filters is None:
        services.audit_view_record(actor=request.user, view="export_invalid_filter")
        return render(request, "compliance/events.html", {"form": form}, status=400)
    events = selectors.events_filtered(filters=filters)
    services.audit_export_record(actor=request.user, fmt=fmt, filters=filters, count=events.count())
    stamp = timezone.now().strftime("%Y%m%dT%H%M%SZ")
    if fmt == "csv":
        response = StreamingHttpResponse(downloads.csv_rows(events), content_type="text/csv; charset=utf-8")
    else:
        response = StreamingHttpResponse(downloads.json_chunks(events), content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="audit-events-{stamp}.{fmt}"'
    response["Cache-Control"] = "no-store"
    return response


@require_GET
@role_required(Role.COMPLIANCE_OFFICER)
def events_csv(request):
    return _export(request, "csv")


@require_GET
@role_required(Role.COMPLIANCE_OFFICER)
def events_json(request):
    return _export(request, "json")


@require_GET
@never_cache
@role_required(Role.COMPLIANCE_OFFICER)
def subject_index(request):
    codes = selectors.subjects_seen()
    services.audit_view_record(actor=request.user, view="subject_index", count=len(codes))
    return render(request, "compliance/subject_index.html", {"codes": codes})


@require_GET
@never_cache
@role_required(Role.COMPLIANCE_OFFICER)
def subject_report(request, code: str):
    """Everything the ledger holds about one subject: counts, purposes, timeline."""
    events = selectors.events_filtered(filters=EventFilter(subject_code=code))
    if not Subject.objects.filter(code=code).exists() and not events.exists():
        raise Http404
    context = {
        "code": code,
        "summary": selectors.events_summary(events),
        "timeline": list(events[:200]),
        **_chart(events),
    }
    services.audit_view_record(actor=request.user, view="subject_report", subject_code=code, object_id=code)
    return render(request, "compliance/subject_report.html", context)


@require_GET
@never_cache
@role_required(Role.COMPLIANCE_OFFICER)
def user_index(request):
    actors = selectors.actors_seen()
    services.audit_view_record(actor=request.user, view="user_index", count=len(actors))
    return render(request, "compliance/user_index.html", {"actors": actors})


@require_GET
@never_cache
@role_required(Role.COMPLIANCE_OFFICER)
def user_report(request, id: int):  # noqa: A002 - the URL parameter name the matrix knows
    """Everything one user did: counts, subjects touched, purposes, timeline, flags."""
    try:
        person = selectors.report_user_get(user_id=id)
    except NotFound:
        raise Http404 from None
    events = selectors.events_filtered(filters=EventFilter(actor=str(person.pk))).filter(actor_id=person.pk)
    context = {
        "person": person,
        "summary": selectors.events_summary(events),
        "timeline": list(events[:200]),
        "flags": anomalies(events),
        **_chart(events),
    }
    services.audit_view_record(actor=request.user, view="user_report", object_id=str(person.pk))
    return render(request, "compliance/user_report.html", context)


@require_GET
@never_cache
@role_required(Role.COMPLIANCE_OFFICER)
def anomaly_list(request):
    """Anomaly flags over the filtered events (by default, the last 30 days)."""
    form, filters = _filter_from(request)
    if filters is None:
        services.audit_view_record(actor=request.user, view="anomalies_invalid_filter")
        return render(request, "compliance/anomalies.html", {"form": form}, status=400)
    if filters.is_empty():
        filters = EventFilter(since=timezone.now() - timedelta(days=OVERVIEW_DAYS))
    flags = anomalies(selectors.events_filtered(filters=filters))
    services.audit_view_record(actor=request.user, view="anomalies", filters=filters, count=len(flags))
    return render(request, "compliance/anomalies.html", {"form": form, "flags": flags, "filters": filters})


@require_GET
@never_cache
@role_required(Role.COMPLIANCE_OFFICER)
def verification(request):
    """The last verification result and the latest signed checkpoint."""
    services.audit_view_record(actor=request.user, view="verification")
    context = {
        "verification": selectors.verification_latest(),
        "checkpoint": ledger_port.latest_checkpoint(),
    }
    return render(request, "compliance/verification.html", context)


@require_POST
@role_required(Role.COMPLIANCE_OFFICER)
def verification_run(request):
    """Verify the whole ledger now (POST), then show the result."""
    run = services.ledger_verification_run(actor=request.user)
    if run.ok:
        messages.success(request, f"The ledger verified: {run.tree_size} events intact.")
    else:
        messages.error(request, f"Verification failed at event {run.first_bad_seq}: {run.problem}.")
    return redirect("compliance:verification")
