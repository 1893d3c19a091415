"""A researcher's side of an access request: draft, attach ethics approval, submit, withdraw."""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from governance.access.criteria import validate_categories, validate_cohort
from governance.access.exceptions import EthicsDocumentInvalid
from governance.access.models import (
    REQUEST_TRANSITIONS,
    AccessRequest,
    RequestStatus,
    ResearcherKey,
)
from governance.audit import Action, audit_append
from governance.errors import InvalidTransition, NotFound, PermissionDenied, ValidationFailed
from governance.gate.purpose import Purpose
from governance.roles import Role, has_role

ETHICS_MAX_BYTES = 5 * 1024 * 1024
_REFERENCE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ./_\-]{0,99}$")


def _validated_fields(*, title, purpose, categories, cohort) -> dict:
    if not isinstance(title, str) or not title.strip() or len(title.strip()) > 200:
        raise ValidationFailed("title: required, at most 200 characters", extra={"field": "title"})
    if not isinstance(purpose, dict):
        raise ValidationFailed("purpose: expected an object", extra={"field": "purpose"})
    return {
        "title": title.strip(),
        "purpose_data": Purpose.from_dict(purpose).to_dict(),
        "categories": validate_categories(categories),
        "cohort": validate_cohort(cohort),
    }


def lock_request(request: AccessRequest) -> AccessRequest:
    """Re-read ``request`` with its row locked for the rest of the transaction."""
    return AccessRequest.objects.select_for_update().get(pk=request.pk)


def move(request: AccessRequest, to: str) -> None:
    """Check the transition table; the caller saves with ``update_fields``."""
    if to not in REQUEST_TRANSITIONS[request.status]:
        raise InvalidTransition(
            f"status: a {request.status} request cannot become {to}",
            extra={"from": request.status, "to": to},
        )
    request.status = to


def _own_draft(actor, request: AccessRequest) -> AccessRequest:
    locked = lock_request(request)
    if locked.requester_id != actor.pk:
        raise NotFound()
    if locked.status != RequestStatus.DRAFT:
        raise InvalidTransition(f"status: a {locked.status} request can no longer be edited")
    return locked


@transaction.atomic
def access_request_create(
    *,
    actor,
    title: str,
    purpose: dict,
    categories: list[str],
    cohort: dict | None = None,
    ethics_reference: str = "",
    now: datetime | None = None,
) -> AccessRequest:
    """Start a draft request. Nothing is shared with the DAC until it is submitted."""
    now = now or timezone.now()
    if not has_role(actor, Role.RESEARCHER):
        raise PermissionDenied("Only researchers request access.")
    fields = _validated_fields(title=title, purpose=purpose, categories=categories, cohort=cohort)
    request = AccessRequest(
        requester=actor,
        status=RequestStatus.DRAFT,
        created_at=now,
        updated_at=now,
        ethics_reference=_reference(ethics_reference),
        **fields,
    )
    request.full_clean()
    request.save()
    audit_append(
        actor=actor,
        action=Action.ACCESS_REQUEST_CREATE,
        object_type="access_request",
        object_id=request.pk,
        purpose=request.purpose_id,
        extra={"categories": request.categories},
        now=now,
    )
    return request


@transaction.atomic
def access_request_update(
    *,
    actor,
    request: AccessRequest,
    title: str,
    purpose: dict,
    categories: list[str],
    cohort: dict | None = None,
    ethics_reference: str = "",
    now: datetime | None = None,
) -> AccessRequest:
    """Replace a draft's fields. Submitted requests are frozen."""
    now = now or timezone.now()
    request = _own_draft(actor, request)
    for name, value in _validated_fields(
        title=title, purpose=purpose, categories=categories, cohort=cohort
    ).items():
        setattr(request, name, value)
    request.ethics_reference = _reference(ethics_reference)
    request.updated_at = now
    request.full_clean()
    request.save(
        update_fields=[
            "title",
            "purpose_data",
            "categories",
            "cohort",
            "ethics_reference",
            "updated_at",
        ]
    )
    audit_append(
        actor=actor,
        action=Action.ACCESS_REQUEST_UPDATE,
        object_type="access_request",
        object_id=request.pk,
        purpose=request.purpose_id,
        extra={"fields": "details", "categories": request.categories},
        now=now,
    )
    return request


def _reference(value: str) -> str:
    value = (value or "").strip()
    if value and not _REFERENCE.match(value):
        raise ValidationFailed(
            "ethics_reference: letters, digits, spaces and . / _ - only, at most 100 characters",
            extra={"field": "ethics_reference"},
        )
    return value


def ethics_path(sha256: str) -> Path:
    """Where an ethics document lives: content-addressed under DATA_DIR."""
    return Path(settings.DATA_DIR) / "ethics" / sha256[:2] / sha256


def _store_document(stream: BinaryIO) -> tuple[str, int, str]:
    """Copy ``stream`` into the ethics store, enforcing the size limit and the file type.

    The bytes land in a temporary file first and move into place only once complete,
    so a refused or interrupted upload leaves nothing behind.
    """
    limit = getattr(settings, "HELIX_ETHICS_MAX_BYTES", ETHICS_MAX_BYTES)
    folder = Path(settings.DATA_DIR) / "ethics"
    folder.mkdir(parents=True, exist_ok=True)
    digest, size, head = hashlib.sha256(), 0, b""
    fd, tmp_name = tempfile.mkstemp(dir=folder, prefix=".upload-")
    try:
        with os.fdopen(fd, "wb") as out:
            while chunk := stream.read(64 * 1024):
                size += len(chunk)
                if size > limit:
                    raise EthicsDocumentInvalid(
                        f"ethics_document: larger than the {limit // (1024 * 1024)} MiB limit",
                        extra={"field": "ethics_document", "limit_bytes": limit},
                    )
                if len(head) < 8:
                    head += chunk[: 8 - len(head)]
                digest.update(chunk)
                out.write(chunk)
        if size == 0:
            raise EthicsDocumentInvalid(
                "ethics_document: the file is empty", extra={"field": "ethics_document"}
            )
        media_type = "application/pdf" if head.startswith(b"%PDF-") else "text/plain"
        if media_type == "text/plain":
            _check_text(Path(tmp_name))
        sha = digest.hexdigest()
        target = ethics_path(sha)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(tmp_name, target)
        return sha, size, media_type
    finally:
        if os.path.exists(tmp_name):
            os.unlink(tmp_name)


def _check_text(path: Path) -> None:
    """A text document must be UTF-8 without NUL bytes; anything else is refused."""
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        text = "\x00"
    if "\x00" in text:
        raise EthicsDocumentInvalid(
            "ethics_document: must be a PDF or UTF-8 plain text file",
            extra={"field": "ethics_document"},
        )


@transaction.atomic
def access_request_attach_ethics(
    *, actor, request: AccessRequest, document: BinaryIO, now: datetime | None = None
) -> AccessRequest:
    """Attach the ethics committee's approval (PDF or plain text) to a draft.

    The document is stored by its SHA-256, which the request records; the DAC reads it
    from there and the digest proves it is the one the researcher submitted.
    """
    now = now or timezone.now()
    request = _own_draft(actor, request)
    sha, size, media_type = _store_document(document)
    request.ethics_sha256, request.ethics_size, request.ethics_media_type = sha, size, media_type
    request.updated_at = now
    request.save(update_fields=["ethics_sha256", "ethics_size", "ethics_media_type", "updated_at"])
    audit_append(
        actor=actor,
        action=Action.ACCESS_REQUEST_UPDATE,
        object_type="access_request",
        object_id=request.pk,
        purpose=request.purpose_id,
        extra={"fields": "ethics_document", "sha256": sha, "size": size},
        now=now,
    )
    return request


@transaction.atomic
def access_request_submit(
    *, actor, request: AccessRequest, now: datetime | None = None
) -> AccessRequest:
    """Send a draft to the DAC. It needs an ethics approval and a registered key."""
    now = now or timezone.now()
    request = lock_request(request)
    if request.requester_id != actor.pk:
        raise NotFound()
    if not request.has_ethics_document:
        raise ValidationFailed(
            "ethics_document: attach the ethics approval before submitting",
            extra={"field": "ethics_document"},
        )
    if not ResearcherKey.objects.filter(user=actor, is_active=True).exists():
        raise ValidationFailed(
            "public_key: register a Crypt4GH public key before submitting",
            extra={"field": "public_key"},
        )
    move(request, RequestStatus.SUBMITTED)
    request.submitted_at = request.updated_at = now
    request.save(update_fields=["status", "submitted_at", "updated_at"])
    audit_append(
        actor=actor,
        action=Action.ACCESS_REQUEST_SUBMIT,
        object_type="access_request",
        object_id=request.pk,
        purpose=request.purpose_id,
        extra={"categories": request.categories, "ethics_sha256": request.ethics_sha256},
        now=now,
    )
    return request


@transaction.atomic
def access_request_withdraw(
    *, actor, request: AccessRequest, now: datetime | None = None
) -> AccessRequest:
    """The requester takes a submitted request back before the DAC decides."""
    now = now or timezone.now()
    request = lock_request(request)
    if request.requester_id != actor.pk:
        raise NotFound()
    move(request, RequestStatus.WITHDRAWN)
    request.decided_at = request.updated_at = now
    request.save(update_fields=["status", "decided_at", "updated_at"])
    audit_append(
        actor=actor,
        action=Action.ACCESS_REQUEST_WITHDRAW,
        object_type="access_request",
        object_id=request.pk,
        purpose=request.purpose_id,
        now=now,
    )
    return request
