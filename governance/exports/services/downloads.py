"""Handing a published file to its researcher, audited."""

from __future__ import annotations

from datetime import datetime
from typing import BinaryIO

from django.db import transaction
from django.utils import timezone

from governance.audit import Action, audit_append
from governance.exports.models import CohortExport
from governance.exports.selectors import cohort_export_file_path


def cohort_export_file_open(
    *, actor, export: CohortExport, name: str, now: datetime | None = None
) -> BinaryIO:
    """Open one file of a succeeded export for ``actor`` (already its owner, through
    ``cohort_export_get_for_user``) and record the download in the ledger."""
    now = now or timezone.now()
    path = cohort_export_file_path(export=export, name=name)
    handle = path.open("rb")
    try:
        with transaction.atomic():
            audit_append(
                actor=actor,
                action=Action.EXPORT_DOWNLOAD,
                object_type="cohort_export",
                object_id=export.pk,
                purpose=f"grant:{export.grant_id}",
                extra={"file": name, "size": path.stat().st_size},
                now=now,
            )
    except BaseException:
        handle.close()
        raise
    return handle
