"""Data steward pages: upload a VCF, see stored files per subject, see key rotation status."""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt, csrf_protect

from consent.selectors import subject_get_for_user
from genomics import selectors
from genomics.exceptions import UploadTooLarge
from genomics.forms import UploadForm
from genomics.services import genomic_file_ingest, sample_map_parse
from genomics.uploads import check_upload_limit, install_upload_limit
from governance import keys
from governance.errors import DomainError, NotFound
from governance.roles import Role, role_required

_MAP_LIMIT = 1_000_000


@role_required(Role.DATA_STEWARD)
def steward_home(request):
    return render(
        request,
        "area_home.html",
        {
            "heading": "Data steward",
            "intro": "Register subjects, ingest genomic files, rotate keys and erase subjects.",
            "links": [
                ("Upload a VCF", reverse("steward:genomic_upload")),
                ("Stored genomic files", reverse("steward:genomic_files")),
                ("Master key rotation status", reverse("steward:key_status")),
            ],
        },
    )


@csrf_exempt  # checked by _upload below, once the size-limited upload handler is in place
@role_required(Role.DATA_STEWARD)
def genomic_upload(request):
    handler = None
    if request.method == "POST":
        try:
            handler = install_upload_limit(request)
        except UploadTooLarge as exc:
            return render(
                request, "genomics/upload.html", {"form": UploadForm(), "error": exc}, status=413
            )
    return _upload(request, handler)


@csrf_protect
def _upload(request, handler):
    if request.method != "POST":
        return render(request, "genomics/upload.html", {"form": UploadForm()})
    form = UploadForm(request.POST, request.FILES)
    context = {"form": form}
    try:
        check_upload_limit(handler)
        if not form.is_valid():
            return render(request, "genomics/upload.html", context, status=400)
        data = form.cleaned_data
        mapping = None
        if data["sample_map"]:
            if data["sample_map"].size > _MAP_LIMIT:
                raise UploadTooLarge("The sample map is larger than 1 MB.")
            try:
                mapping = sample_map_parse(data["sample_map"].read().decode("utf-8"))
            except UnicodeDecodeError:
                raise DomainError(
                    "The sample map is not UTF-8 text.", code="sample_map_invalid"
                ) from None
        with data["file"].open("rb") as upload:
            summary = genomic_file_ingest(
                actor=request.user,
                fileobj=upload,
                subject=data["subject"] or None,
                sample_map=mapping,
                assembly=data["assembly"] or None,
            )
    except DomainError as exc:
        context["error"] = exc
        return render(request, "genomics/upload.html", context, status=exc.status_code)
    context["summary"] = summary
    context["form"] = UploadForm()
    return render(request, "genomics/upload.html", context, status=201)


@role_required(Role.DATA_STEWARD)
def genomic_files(request):
    code = request.GET.get("subject", "").strip()[:16]
    subjects = selectors.subjects_with_files_for_user(user=request.user)
    if code:
        subjects = subjects.filter(code=code)
    return render(request, "genomics/files.html", {"subjects": subjects[:500], "code": code})


@role_required(Role.DATA_STEWARD)
def subject_files(request, code: str):
    try:
        subject = subject_get_for_user(user=request.user, code=code)
    except NotFound:
        raise Http404 from None
    files = selectors.genomic_file_list_for_user(user=request.user, subject_code=subject.code)
    return render(request, "genomics/subject_files.html", {"subject": subject, "files": files})


@role_required(Role.DATA_STEWARD)
def key_status(request):
    usage = selectors.master_key_usage()
    current = keys.master_key_current_version()
    pending = sum(u["subject_keys"] + u["key_material"] for v, u in usage.items() if v != current)
    return render(
        request,
        "genomics/keys.html",
        {"usage": usage, "current": current, "pending": pending},
    )
