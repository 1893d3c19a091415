"""The patient's view of the ledger: who used my data, with proofs, and how to verify.

A patient sees only events whose subject code is their own subject's; any other event
is the same 404 as one that does not exist.
"""

from __future__ import annotations

import json

from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from governance.compliance import selectors, services
from governance.compliance.plain import describe_events
from governance.compliance.proofs import VERIFY_SNIPPET, inclusion_proof_document
from governance.errors import IntegrityFailure, NotFound
from governance.roles import Role, role_required

PAGE_SIZE = 25


@require_GET
@never_cache
@role_required(Role.PATIENT)
def access_list(request):
    """Every recorded use of the patient's data, in plain words, newest first."""
    try:
        subject = selectors.patient_subject_for_user(user=request.user)
    except NotFound:
        raise Http404 from None
    events = selectors.patient_events(user=request.user)
    page = Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
    services.audit_view_record(
        actor=request.user, view="patient_access", subject_code=subject.code, count=page.paginator.count
    )
    rows = describe_events(list(page.object_list), viewer=request.user)
    return render(request, "portal_access/list.html", {"page": page, "rows": rows})


@require_GET
@never_cache
@role_required(Role.PATIENT)
def access_proof(request, seq: int):
    """The inclusion proof of one event about the patient, as a JSON download (the ledger records the view)."""
    try:
        event = selectors.patient_event_get_for_user(user=request.user, seq=seq)
    except NotFound:
        raise Http404 from None
    try:
        document = inclusion_proof_document(actor=request.user, event=event)
    except IntegrityFailure:
        # The ledger does not verify here: no proof is better than a misleading one.
        return render(request, "portal_access/proof_unavailable.html", status=503)
    response = HttpResponse(json.dumps(document, indent=2, ensure_ascii=False), content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="helix-proof-event-{event.seq}.json"'
    response["Cache-Control"] = "no-store"
    return response


@require_GET
@role_required(Role.PATIENT)
def how_to_verify(request):
    """How to check a proof yourself, with a snippet that needs only the standard library."""
    return render(request, "portal_access/how_to_verify.html", {"snippet": VERIFY_SNIPPET})
