"""The patient portal (namespace ``portal``) and the staff pages for recording consent on
a patient's behalf (``portal:staff_*``).

A patient sees only their own subject: every page resolves it from the logged-in user,
never from the URL, and a version number that is not theirs is a 404. Pages show
consent only in plain language (``consent.plain_language``), never as codes.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, time

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from consent import duo, plain_language, services
from consent.forms import ConsentForm, StaffFindForm
from consent.models import ConsentRecord, ConsentStatus, RecordedVia, Subject
from consent.selectors import (
    consent_get_for_user,
    consent_history,
    subject_for_patient,
    subject_get_by_mrn,
    subject_get_for_user,
    subject_identifiers,
)
from consent.texts import CURRENT_TEXT_VERSION, consent_text
from governance.audit import Action, audit_append
from governance.errors import DomainError, NotFound
from governance.ledger.selectors import events_for_subject
from governance.roles import Role, role_required

_CURIE = re.compile(r"\b(?:DUO|MONDO|DOID|ICD10|ICD10CM):[0-9A-Z.]+\b")
_SHORTHANDS = "NRES|GRU|HMB|DS|POA|NPUNCU|NPU|NCU|IRB|GS|PUB|COL|RTN|TS|MOR|US|PS|IS|NMDS|GSO|CC|NPOA|RS"
_FIELD_LABELS = {
    "permission": "What your data may be used for",
    "diseases": "Diseases",
    "modifiers": "Extra conditions",
    "countries": "Countries",
    "months": "Number of months",
    "start": "Counting the months from",
    "moratorium": "No publication before",
    "users": "Researchers you allow",
    "projects": "Projects you allow",
    "institutions": "Institutions you allow",
    "restriction_text": "Your own restriction",
    "categories": "Which of your data may be used",
    "valid_until": "Until when",
}


def plain_error(message: str) -> tuple[str | None, str]:
    """A service error as (form field, sentence) with codes replaced by their names."""
    path, _, reason = message.partition(": ")
    field = re.sub(r"\[\d+\]$", "", path.split(".")[-1]) if reason else None
    reason = reason or message
    reason = re.sub(r"\s*\((?:DUO|MONDO|DOID|ICD10|ICD10CM):[^)]*\)", "", reason)
    reason = re.sub(rf"\s*\((?:{_SHORTHANDS})\)", "", reason)
    reason = re.sub(rf"\b(?:{_SHORTHANDS})\b\s*", "", reason)

    def name(match):
        code = match.group(0)
        return plain_language.term_label(code) if code.startswith("DUO:") else plain_language.disease_label(code)

    reason = _CURIE.sub(name, reason).strip()
    label = _FIELD_LABELS.get(field or "")
    sentence = f"{label}: {reason}" if label else reason[:1].upper() + reason[1:]
    return (field if field in _FIELD_LABELS else None), sentence


def _versions_for_display(subject: Subject) -> list[dict]:
    return [
        {
            "record": record,
            "label": plain_language.event_label(record.event),
            "sentences": plain_language.record_sentences(record),
        }
        for record in consent_history(subject).order_by("-version")
    ]


def _patient_subject(request) -> Subject:
    """The logged-in patient's own subject; a 404 when the account is not linked."""
    try:
        return subject_for_patient(user=request.user)
    except NotFound:
        raise Http404 from None


def _current(subject: Subject) -> ConsentRecord | None:
    return subject.current_consent


@role_required(Role.PATIENT)
@never_cache
def portal_home(request):
    try:
        subject = subject_for_patient(user=request.user)
    except NotFound:
        return render(request, "consent/not_linked.html")
    current = _current(subject)
    return render(
        request,
        "consent/home.html",
        {
            "subject": subject,
            "current": current,
            "sentences": plain_language.record_sentences(current) if current else [],
        },
    )


def _save_consent(
    request, *, subject: Subject, form: ConsentForm, via: str
) -> ConsentRecord | None:
    current = _current(subject)
    write = (
        services.consent_amend
        if current and current.status == ConsentStatus.ACTIVE
        else services.consent_grant
    )
    until = form.cleaned_data.get("valid_until")
    try:
        return write(
            actor=request.user,
            subject=subject,
            data_use=form.data_use(),
            categories=form.cleaned_data["categories"],
            via=via,
            valid_until=datetime.combine(until, time.max, tzinfo=UTC) if until else None,
            text_version=CURRENT_TEXT_VERSION,
        )
    except DomainError as exc:
        # Shown at the top of the form (some fields sit in a collapsed section).
        form.add_error(None, plain_error(exc.message)[1])
        return None


@role_required(Role.PATIENT)
@require_http_methods(["GET", "POST"])
@never_cache
def consent_change(request):
    subject = _patient_subject(request)
    current = _current(subject)
    extra = list(current.diseases) if current else []
    if request.method == "POST":
        form = ConsentForm(request.POST, extra_diseases=extra)
        if form.is_valid():
            record = _save_consent(request, subject=subject, form=form, via=RecordedVia.PORTAL)
            if record is not None:
                messages.success(
                    request,
                    f"Saved. This is version {record.version} of your consent; your receipt is in your history.",
                )
                return redirect("portal:home")
    else:
        form = ConsentForm(
            initial=ConsentForm.initial_from(
                current if current and current.status == "active" else None
            ),
            extra_diseases=extra,
        )
    return render(
        request,
        "consent/change.html",
        {
            "form": form,
            "current": current,
            "granting": not (current and current.status == "active"),
            "text": consent_text(),
        },
    )


@role_required(Role.PATIENT)
@require_http_methods(["GET", "POST"])
@never_cache
def consent_withdraw(request):
    subject = _patient_subject(request)
    current = _current(subject)
    if current is None or current.status != ConsentStatus.ACTIVE:
        messages.info(request, "You have no active consent to withdraw.")
        return redirect("portal:home")
    if request.method == "POST":
        record = services.consent_withdraw(
            actor=request.user, subject=subject, via=RecordedVia.PORTAL
        )
        messages.success(
            request,
            f"Your consent is withdrawn (version {record.version}). No new use of your data is allowed from now on.",
        )
        return redirect("portal:history")
    return render(request, "consent/withdraw.html", {"current": current})


@role_required(Role.PATIENT)
@never_cache
def consent_history_page(request):
    subject = _patient_subject(request)
    return render(
        request,
        "consent/history.html",
        {"versions": _versions_for_display(subject), "subject": subject},
    )


@role_required(Role.PATIENT)
@never_cache
def receipt_download(request, version: int):
    subject = _patient_subject(request)
    try:
        record = consent_get_for_user(user=request.user, code=subject.code, version=version)
    except NotFound:
        raise Http404 from None
    services.consent_receipt_download(actor=request.user, record=record)
    response = HttpResponse(record.receipt, content_type="application/jwt")
    response["Content-Disposition"] = (
        f'attachment; filename="consent-receipt-{subject.code}-v{version}.jwt"'
    )
    return response


@role_required(Role.PATIENT)
@never_cache
def consent_text_page(request):
    return render(request, "consent/text.html", {"text": consent_text()})


def _access_events(subject: Subject) -> list[dict]:
    events = events_for_subject(subject_code=subject.code).order_by("seq")
    return [
        {
            "seq": e.seq,
            "time": e.occurred_at.isoformat(),
            "action": e.action,
            "purpose": e.purpose,
            "outcome": e.outcome,
            "by_role": e.actor_role,
        }
        for e in events
    ]


@role_required(Role.PATIENT)
@never_cache
def data_download(request):
    """GDPR Art. 15: everything held about the patient, as JSON. Audited."""
    subject = _patient_subject(request)
    now = timezone.now()
    details = subject_identifiers(subject, actor=request.user, purpose="art15_download", now=now)
    consents = []
    for record in consent_history(subject):
        consents.append(
            {
                "version": record.version,
                "event": record.event,
                "status": record.status,
                "data_use": duo.DataUse.from_consent(record).to_dict(),
                "in_plain_words": plain_language.record_sentences(record),
                "categories": record.categories,
                "valid_from": record.valid_from.isoformat(),
                "valid_until": record.valid_until.isoformat() if record.valid_until else None,
                "recorded_via": record.recorded_via,
                "consent_text": {"version": record.text_version, "sha256": record.text_digest},
                "receipt": record.receipt,
            }
        )
    document = {
        "subject": subject.code,
        "generated_at": now.isoformat(),
        "controller": {"name": settings.HELIX_CONTROLLER},
        "personal_details": {
            **details,
            "birth_date": subject.birth_date.isoformat() if subject.birth_date else None,
            "sex": subject.sex,
            "postcode": subject.postcode,
            "ethnic_background": subject.ethnic_background,
            "diagnoses": sorted(subject.diagnoses.values_list("term", flat=True)),
        },
        "consents": consents,
        "access_events": _access_events(subject),
    }
    audit_append(
        actor=request.user, action=Action.PATIENT_DATA_DOWNLOAD, object_type="subject", object_id=subject.code,
        subject_code=subject.code, extra={"consents": len(consents)}, now=now,
    )  # fmt: skip
    response = HttpResponse(
        json.dumps(document, indent=2, ensure_ascii=False), content_type="application/json"
    )
    response["Content-Disposition"] = f'attachment; filename="my-data-{subject.code}.json"'
    return response


# --- staff: recording consent on a patient's behalf (paper forms) --------------------


@role_required(Role.DATA_STEWARD)
@require_http_methods(["GET", "POST"])
@never_cache
def staff_find(request):
    form = StaffFindForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        code, mrn = form.cleaned_data["code"].strip(), form.cleaned_data["mrn"].strip()
        try:
            subject = (
                subject_get_for_user(user=request.user, code=code)
                if code
                else subject_get_by_mrn(mrn)
            )
        except NotFound:
            form.add_error(None, "No patient matches.")
        else:
            return redirect("portal:staff_record", code=subject.code)
    return render(request, "consent/staff_find.html", {"form": form})


@role_required(Role.DATA_STEWARD)
@require_http_methods(["GET", "POST"])
@never_cache
def staff_record(request, code: str):
    try:
        subject = subject_get_for_user(user=request.user, code=code)
    except NotFound:
        raise Http404 from None
    current = _current(subject)
    extra = list(current.diseases) if current else []
    form = ConsentForm(
        request.POST or None,
        extra_diseases=extra,
        initial=ConsentForm.initial_from(
            current if current and current.status == "active" else None
        ),
    )
    if request.method == "POST" and request.POST.get("action") == "withdraw":
        if request.POST.get("confirm") != "yes":
            messages.error(request, "Tick the confirmation to withdraw on the patient's behalf.")
        else:
            try:
                record = services.consent_withdraw(
                    actor=request.user, subject=subject, via=RecordedVia.STAFF
                )
                messages.success(request, f"Withdrawal recorded as version {record.version}.")
            except DomainError as exc:
                messages.error(request, plain_error(exc.message)[1])
        return redirect("portal:staff_record", code=subject.code)
    if request.method == "POST" and form.is_valid():
        record = _save_consent(request, subject=subject, form=form, via=RecordedVia.STAFF)
        if record is not None:
            messages.success(request, f"Consent recorded as version {record.version}.")
            return redirect("portal:staff_record", code=subject.code)
    return render(
        request,
        "consent/staff_record.html",
        {
            "subject": subject,
            "form": form,
            "current": current,
            "sentences": plain_language.record_sentences(current) if current else [],
            "versions": _versions_for_display(subject),
            "text": consent_text(),
            "staff_url": reverse("portal:staff_find"),
        },
    )
