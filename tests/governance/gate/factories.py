"""Consent rows for gate tests, written directly (the consent services are not needed)."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from consent.duo import DataUse, modifiers_field
from consent.models import ConsentDisease, ConsentRecord


def add_consent(
    subject,
    data_use: dict | None = None,
    *,
    status: str = "active",
    categories=("genomic", "clinical", "demographic"),
    recorded_at=None,
    valid_from=None,
    valid_until=None,
    set_current: bool = True,
) -> ConsentRecord:
    """Append the next consent version for ``subject`` and point ``current_consent`` at it."""
    recorded_at = recorded_at or timezone.now()
    use = DataUse.from_dict(data_use or {"permission": "DUO:0000042"})
    version = (
        subject.consents.order_by("-version").values_list("version", flat=True).first() or 0
    ) + 1
    record = ConsentRecord.objects.create(
        subject=subject,
        version=version,
        event="grant" if version == 1 else ("withdraw" if status == "withdrawn" else "amend"),
        status=status,
        permission=use.permission,
        diseases=list(use.diseases),
        modifiers=modifiers_field(use.modifiers),
        countries=list(use.countries),
        months=use.months,
        use_start=use.start,
        moratorium=use.moratorium,
        users=list(use.users),
        projects=list(use.projects),
        institutions=list(use.institutions),
        restriction_text=use.restriction_text,
        cat_genomic="genomic" in categories,
        cat_clinical="clinical" in categories,
        cat_demographic="demographic" in categories,
        valid_from=valid_from or (recorded_at - timedelta(seconds=1)),
        valid_until=valid_until,
        recorded_at=recorded_at,
        recorded_via="seed",
        text_version="test-1",
        text_digest="0" * 64,
    )
    ConsentDisease.objects.bulk_create(
        [ConsentDisease(consent=record, term=t) for t in use.diseases]
    )
    if set_current:
        subject.current_consent = record
        subject.save(update_fields=["current_consent"])
    return record
