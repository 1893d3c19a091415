"""Asking for an export: validation, idempotency, ownership and the state machine."""

from __future__ import annotations

import pytest
from django.utils import timezone

from governance.audit import Action
from governance.errors import Conflict, InvalidTransition, NotFound, ValidationFailed
from governance.exports.models import EXPORT_TRANSITIONS, CohortExport, ExportState
from governance.exports.services import cohort_export_cancel, cohort_export_request
from governance.exports.services.state import move
from governance.ledger.models import AuditEvent

pytestmark = pytest.mark.django_db


def request(cohort, **kwargs):
    return cohort_export_request(
        actor=cohort.researcher, grant=cohort.grant, enqueue_run=False, **kwargs
    )


def test_a_request_is_queued_with_the_columns_and_formats_the_grant_allows(make_cohort):
    cohort = make_cohort(n=5, genotypes=False, categories=("clinical", "demographic"))
    export = request(cohort)
    assert export.state == ExportState.QUEUED and export.attempt == 0
    assert export.columns == ["age", "sex", "postcode_area", "ethnic_background", "diagnoses"]
    assert export.formats == ["csv", "parquet"]
    (event,) = AuditEvent.objects.filter(action=Action.EXPORT_REQUEST)
    assert event.object_id == str(export.pk) and event.purpose == f"grant:{cohort.grant.pk}"


def test_the_same_idempotency_key_returns_the_same_export(make_cohort):
    cohort = make_cohort(n=5, genotypes=False, categories=("clinical", "demographic"))
    first = request(cohort, idempotency_key="retry-1", columns=["age"])
    second = request(cohort, idempotency_key="retry-1", columns=["age"])
    assert first.pk == second.pk
    assert CohortExport.objects.count() == 1
    assert AuditEvent.objects.filter(action=Action.EXPORT_REQUEST).count() == 1
    with pytest.raises(Conflict):
        request(cohort, idempotency_key="retry-1", columns=["sex"])
    assert request(cohort, idempotency_key="retry-2", columns=["age"]).pk != first.pk


def test_a_request_queues_its_run_only_after_commit(
    make_cohort, django_capture_on_commit_callbacks, monkeypatch
):
    cohort = make_cohort(n=5, genotypes=False, categories=("clinical", "demographic"))
    sent = []
    monkeypatch.setattr(
        "governance.exports.tasks.exports_run.delay", lambda export_id: sent.append(export_id)
    )
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        export = cohort_export_request(actor=cohort.researcher, grant=cohort.grant)
    assert sent == [] and len(callbacks) == 1
    callbacks[0]()
    assert sent == [export.pk]


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"criteria": {"colour": ["blue"]}}, "criteria.colour"),
        ({"criteria": {"regions": ["1:500-100"]}}, "criteria.regions"),
        ({"criteria": {"regions": ["chr1-100-200"]}}, "criteria.regions"),
        ({"criteria": {"areas": ["not a postcode"]}}, "criteria.areas"),
        ({"criteria": {"min_age": 80, "max_age": 20}}, "criteria.max_age"),
        ({"columns": ["name"]}, "columns"),
        ({"formats": ["xlsx"]}, "formats"),
        ({"formats": []}, "formats"),
        ({"idempotency_key": "x" * 65}, "idempotency_key"),
    ],
)
def test_bad_input_is_refused_naming_the_field_and_stores_nothing(make_cohort, kwargs, field):
    cohort = make_cohort(n=5, genotypes=False, categories=("clinical", "demographic"))
    with pytest.raises(ValidationFailed) as error:
        request(cohort, **kwargs)
    assert error.value.extra["field"] == field
    assert not CohortExport.objects.exists()


def test_columns_and_formats_outside_the_grant_categories_are_refused(make_cohort):
    cohort = make_cohort(n=5, genotypes=False, categories=("demographic",))
    with pytest.raises(ValidationFailed, match="clinical"):
        request(cohort, columns=["diagnoses"])
    with pytest.raises(ValidationFailed, match="genomic"):
        request(cohort, formats=["vcf"])


def test_only_the_grants_researcher_may_ask_for_an_export_under_it(
    make_cohort, personas, make_user
):
    cohort = make_cohort(n=5, genotypes=False, categories=("clinical", "demographic"))
    other = make_user("other_researcher", "researcher")
    for actor in (other, personas.dac_member, personas.steward, personas.patient):
        with pytest.raises(NotFound):
            cohort_export_request(actor=actor, grant=cohort.grant, enqueue_run=False)
    assert not CohortExport.objects.exists()


def test_an_expired_grant_takes_no_new_exports(make_cohort):
    cohort = make_cohort(n=5, genotypes=False, categories=("clinical", "demographic"))
    later = cohort.grant.expires_at + timezone.timedelta(seconds=1)
    with pytest.raises(Exception, match="revoked or expired"):
        request(cohort, now=later)


def test_the_state_machine_allows_only_its_table(make_cohort):
    cohort = make_cohort(n=5, genotypes=False, categories=("clinical", "demographic"))
    export = request(cohort)
    for state in ExportState:
        for target in ExportState:
            export.state = state
            if target in EXPORT_TRANSITIONS[state]:
                move(export, target)
                assert export.state == target
            else:
                with pytest.raises(InvalidTransition):
                    move(export, target)


def test_cancelling_a_queued_export_is_audited_and_final(make_cohort):
    cohort = make_cohort(n=5, genotypes=False, categories=("clinical", "demographic"))
    export = request(cohort)
    export = cohort_export_cancel(actor=cohort.researcher, export=export)
    assert export.state == ExportState.CANCELLED
    assert (
        AuditEvent.objects.filter(action=Action.EXPORT_CANCEL, object_id=str(export.pk)).count()
        == 1
    )
    with pytest.raises(InvalidTransition):
        cohort_export_cancel(actor=cohort.researcher, export=export)
    from governance.exports.services import cohort_export_run

    assert cohort_export_run(export_id=export.pk).state == ExportState.CANCELLED
