"""FHIR Consent for subjects and consent versions: export any version, import one.

Export carries the subject's public code only. Import matches the subject by that code
or by an MRN identifier (through the blind index), then records a new version through
the ordinary consent services (grant, amend or withdraw, ``via="fhir_import"``), so an
import is validated, audited and receipted like any other change, and a refused
resource stores nothing.
"""

from __future__ import annotations

import re
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from consent import services
from consent.duo import DataUse
from consent.exceptions import FhirRefused
from consent.fhir.document import ConsentDocument, FhirVersion
from consent.fhir.emit import to_fhir
from consent.fhir.parse import from_fhir
from consent.models import ConsentRecord, ConsentStatus, RecordedVia, Subject
from consent.selectors import subject_get_by_mrn, subject_get_for_user
from consent.texts import consent_text, is_shipped_version
from governance.audit import Action, audit_append
from governance.errors import NotFound

_RESOURCE_ID = re.compile(r"^(HX-[0-9A-Z]{10})-v([1-9][0-9]{0,8})$")


def consent_document(record: ConsentRecord) -> ConsentDocument:
    """A stored version as the document FHIR carries."""
    return ConsentDocument(
        status=record.status,
        data_use=DataUse.from_consent(record),
        categories=tuple(record.categories),
        text_version=record.text_version,
        text_digest=record.text_digest,
        subject_code=record.subject.code,
        version=record.version,
        valid_from=record.valid_from,
        valid_until=record.valid_until,
    )


def fhir_consent_get_for_user(*, user, resource_id: str) -> ConsentRecord:
    """The version named by a FHIR id (``HX-XXXXXXXXXX-v3``) if ``user`` may see it."""
    match = _RESOURCE_ID.match(resource_id or "")
    if not match:
        raise NotFound()
    subject = subject_get_for_user(user=user, code=match.group(1))
    record = ConsentRecord.objects.filter(subject=subject, version=int(match.group(2))).first()
    if record is None:
        raise NotFound()
    return record


def fhir_consent_export(
    *,
    actor,
    record: ConsentRecord,
    version: FhirVersion | str = FhirVersion.R5,
    now: datetime | None = None,
) -> dict:
    """Version ``record`` as a validated FHIR Consent (R4B or R5). Audited."""
    resource = to_fhir(
        consent_document(record), FhirVersion(version), recorded_at=record.recorded_at
    )
    audit_append(
        actor=actor,
        action=Action.CONSENT_EXPORT,
        object_type="consent",
        object_id=f"{record.subject.code}/v{record.version}",
        subject_code=record.subject.code,
        extra={"fhir": FhirVersion(version).value, "version": record.version},
        now=now,
    )
    return resource


def _match_subject(doc: ConsentDocument, path: str) -> Subject:
    try:
        if doc.subject_code:
            subject = Subject.objects.filter(code=doc.subject_code).first()
            if subject is None:
                raise NotFound()
            return subject
        return subject_get_by_mrn(doc.mrn or "")
    except NotFound:
        raise FhirRefused(f"{path}.identifier", "no subject matches this identifier") from None


def fhir_consent_import(
    *, actor, resource: dict, version: FhirVersion | str | None = None, now: datetime | None = None
) -> ConsentRecord:
    """Record the consent a FHIR resource states as a new version of its subject's consent.

    An active resource grants (or amends an active consent); an inactive one with a deny
    rule withdraws. Refusals raise ``FhirRefused`` naming the element; nothing is stored.
    """
    now = now or timezone.now()
    doc = from_fhir(resource, version)
    version = FhirVersion(version) if version else None
    path = (
        "Consent.patient"
        if (version or "") == FhirVersion.R4 or "patient" in resource
        else "Consent.subject"
    )
    if (
        is_shipped_version(doc.text_version)
        and doc.text_digest != consent_text(doc.text_version).sha256
    ):
        raise FhirRefused(
            "Consent.extension[0]", f"the digest does not match consent text {doc.text_version}"
        )
    if doc.valid_from is not None and doc.valid_from > now:
        raise FhirRefused(
            "Consent.period.start", "consents that start in the future are not supported"
        )
    if doc.valid_until is not None and doc.valid_until <= now:
        raise FhirRefused("Consent.period.end", "this consent has already ended")
    with transaction.atomic():
        subject = _match_subject(doc, path)
        if doc.status == ConsentStatus.WITHDRAWN:
            return services.consent_withdraw(
                actor=actor, subject=subject, via=RecordedVia.FHIR_IMPORT, now=now
            )
        current = ConsentRecord.objects.filter(pk=subject.current_consent_id).first()
        write = (
            services.consent_amend
            if current is not None and current.status == ConsentStatus.ACTIVE
            else services.consent_grant
        )
        return write(
            actor=actor,
            subject=subject,
            data_use=doc.data_use,
            categories=list(doc.categories),
            via=RecordedVia.FHIR_IMPORT,
            valid_until=doc.valid_until,
            text_version=doc.text_version,
            text_digest=doc.text_digest,
            now=now,
        )
