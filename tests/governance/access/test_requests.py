"""Access requests: drafting with validated fields, the ethics document, submission, withdrawal."""

from __future__ import annotations

import io

import pytest

from governance.access import services
from governance.access.exceptions import EthicsDocumentInvalid
from governance.access.models import AccessRequest, RequestStatus
from governance.access.services.requests import ethics_path
from governance.errors import InvalidTransition, NotFound, ValidationFailed
from governance.ledger.models import AuditEvent

from .conftest import ETHICS, HMB, T0

pytestmark = pytest.mark.django_db


def _create(personas, **overrides):
    fields = {
        "title": "Metabolic traits",
        "purpose": HMB,
        "categories": ["clinical", "genomic"],
        "cohort": {},
    }
    fields.update(overrides)
    return services.access_request_create(actor=personas.researcher, now=T0, **fields)


def test_a_new_request_is_a_draft_with_normalised_purpose_categories_and_cohort(personas):
    request = _create(
        personas,
        cohort={
            "diagnoses": ["MONDO:0005148"],
            "regions": ["cb", "SW1"],
            "sex": ["male", "female"],
            "min_age": 18,
        },
    )
    request.refresh_from_db()
    assert request.status == RequestStatus.DRAFT
    assert request.categories == ["genomic", "clinical"]
    assert request.purpose_data == {
        "category": "DUO:0000006",
        "genetic_study": True,
        "not_for_profit": True,
    }
    assert request.cohort == {
        "diagnoses": ["MONDO:0005148"],
        "regions": ["CB", "SW1"],
        "sex": ["female", "male"],
        "min_age": 18,
    }
    assert (
        AuditEvent.objects.filter(action="access.request_create", object_id=str(request.pk)).count()
        == 1
    )


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"title": "  "}, "title"),
        ({"purpose": {"category": "DUO:0000007"}}, "purpose.diseases"),
        ({"purpose": {"category": "HMB", "colour": "blue"}}, "purpose.colour"),
        ({"categories": []}, "categories"),
        ({"categories": ["genomic", "financial"]}, "categories"),
        ({"cohort": {"diagnoses": ["not a curie"]}}, "cohort.diagnoses"),
        ({"cohort": {"regions": ["CB 1"]}}, "cohort.regions"),
        ({"cohort": {"sex": ["f"]}}, "cohort.sex"),
        ({"cohort": {"min_age": 60, "max_age": 20}}, "cohort.max_age"),
        ({"cohort": {"min_age": "18"}}, "cohort.min_age"),
        ({"cohort": {"postcode": "CB1 1AA"}}, "cohort.postcode"),
        ({"ethics_reference": "<script>"}, "ethics_reference"),
    ],
)
def test_bad_fields_are_refused_naming_the_field_and_nothing_is_stored(personas, overrides, field):
    with pytest.raises(ValidationFailed) as caught:
        _create(personas, **overrides)
    assert caught.value.message.startswith(f"{field}:")
    assert not AccessRequest.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="access.request").exists()


def test_only_the_requester_may_edit_a_draft_and_submitted_requests_are_frozen(
    personas, make_submitted, make_user
):
    other = make_user("researcher_2", "researcher")
    draft = _create(personas)
    with pytest.raises(NotFound):
        services.access_request_update(
            actor=other, request=draft, title="Taken over", purpose=HMB, categories=["genomic"]
        )
    updated = services.access_request_update(
        actor=personas.researcher,
        request=draft,
        title="Renamed",
        purpose=HMB,
        categories=["genomic"],
        now=T0,
    )
    assert updated.title == "Renamed" and updated.categories == ["genomic"]
    submitted = make_submitted()
    with pytest.raises(InvalidTransition):
        services.access_request_update(
            actor=personas.researcher,
            request=submitted,
            title="Late",
            purpose=HMB,
            categories=["genomic"],
        )
    submitted.refresh_from_db()
    assert submitted.title == "Metabolic traits"


def test_an_attached_ethics_document_is_stored_under_its_sha256_and_recorded(personas, make_draft):
    request = make_draft(ethics=False)
    pdf = b"%PDF-1.7\n" + b"\x00\x01binary body" * 10
    request = services.access_request_attach_ethics(
        actor=personas.researcher, request=request, document=io.BytesIO(pdf)
    )
    request.refresh_from_db()
    assert request.ethics_media_type == "application/pdf"
    assert request.ethics_size == len(pdf)
    assert ethics_path(request.ethics_sha256).read_bytes() == pdf
    event = AuditEvent.objects.filter(action="access.request_update").last()
    assert event.extra["sha256"] == request.ethics_sha256


@pytest.mark.parametrize(
    "content, fragment",
    [
        (b"", "empty"),
        (b"MZ\x90\x00binary", "PDF or UTF-8"),
        (b"\xff\xfe latin junk", "PDF or UTF-8"),
        (b"x" * 2048, "limit"),
    ],
)
def test_ethics_documents_that_are_empty_binary_or_too_large_are_refused_and_leave_no_file(
    personas, make_draft, settings, content, fragment
):
    settings.HELIX_ETHICS_MAX_BYTES = 1024
    request = make_draft(ethics=False)
    with pytest.raises(EthicsDocumentInvalid) as caught:
        services.access_request_attach_ethics(
            actor=personas.researcher, request=request, document=io.BytesIO(content)
        )
    assert fragment in caught.value.message
    request.refresh_from_db()
    assert request.ethics_sha256 == ""
    assert [p for p in (settings.DATA_DIR / "ethics").rglob("*") if p.is_file()] == []


def test_submission_needs_the_ethics_document_and_a_registered_key(personas, make_draft, make_user):
    without_ethics = make_draft(ethics=False)
    with pytest.raises(ValidationFailed, match="ethics_document"):
        services.access_request_submit(actor=personas.researcher, request=without_ethics)
    keyless = make_user("keyless", "researcher")
    draft = services.access_request_create(
        actor=keyless, title="T", purpose=HMB, categories=["genomic"]
    )
    draft = services.access_request_attach_ethics(
        actor=keyless, request=draft, document=io.BytesIO(ETHICS)
    )
    with pytest.raises(ValidationFailed, match="public_key"):
        services.access_request_submit(actor=keyless, request=draft)
    draft.refresh_from_db()
    assert draft.status == RequestStatus.DRAFT
    assert not AuditEvent.objects.filter(action="access.request_submit").exists()


def test_submitting_moves_the_draft_to_submitted_once_with_one_audit_event(personas, make_draft):
    request = make_draft()
    services.access_request_submit(actor=personas.researcher, request=request, now=T0)
    request.refresh_from_db()
    assert request.status == RequestStatus.SUBMITTED and request.submitted_at == T0
    with pytest.raises(InvalidTransition):
        services.access_request_submit(actor=personas.researcher, request=request)
    assert (
        AuditEvent.objects.filter(action="access.request_submit", object_id=str(request.pk)).count()
        == 1
    )


def test_the_requester_can_withdraw_a_submitted_request_but_nobody_else_can(
    personas, make_submitted, make_draft
):
    request = make_submitted()
    with pytest.raises(NotFound):
        services.access_request_withdraw(actor=personas.dac_member, request=request)
    services.access_request_withdraw(actor=personas.researcher, request=request, now=T0)
    request.refresh_from_db()
    assert request.status == RequestStatus.WITHDRAWN
    assert (
        AuditEvent.objects.filter(
            action="access.request_withdraw", object_id=str(request.pk)
        ).count()
        == 1
    )
    draft = make_draft()
    with pytest.raises(InvalidTransition):
        services.access_request_withdraw(actor=personas.researcher, request=draft)
