"""Withdrawal racing an export's publication, on PostgreSQL, 200 barrier-started rounds.

The ledger's writers are serialised until commit, so audit sequence numbers order the
two transactions as they committed. Whenever the withdrawal's event comes before the
export's completion event, the withdrawn subject must not be in that export.
"""

from __future__ import annotations

import random
import threading
import time

import pytest
from django.db import connection

from consent.models import Subject
from consent.services import consent_grant, consent_withdraw
from governance.audit import Action
from governance.exports.models import ExportState
from governance.exports.services import cohort_export_request, cohort_export_run
from governance.exports.services.outputs import pseudonym_for
from governance.ledger.models import AuditEvent
from tests.governance.exports.conftest import GRU
from tests.governance.exports.helpers import manifest, table

ROUNDS = 200


def _in_thread(target, barrier, errors, delay=0.0):
    def body():
        try:
            barrier.wait(timeout=30)
            if delay:
                time.sleep(delay)
            target()
        except BaseException as exc:  # reported by the test, not swallowed
            errors.append(exc)
        finally:
            connection.close()

    return threading.Thread(target=body)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_no_export_published_after_a_withdrawal_contains_the_withdrawn_subject(make_cohort):
    if connection.vendor != "postgresql":
        pytest.skip("row locks and concurrent writers need PostgreSQL")
    cohort = make_cohort(n=8, genotypes=False, categories=("clinical", "demographic"))
    pseudonym = pseudonym_for(cohort.grant.pk)
    rng = random.Random(11)  # noqa: S311 - interleaving, not security

    started = time.monotonic()
    warm = cohort_export_request(
        actor=cohort.researcher, grant=cohort.grant, enqueue_run=False, formats=["csv"]
    )
    cohort_export_run(export_id=warm.pk)
    duration = time.monotonic() - started

    withdrawn_first = published_first = 0
    for round_no in range(ROUNDS):
        victim = Subject.objects.get(pk=cohort.subjects[round_no % len(cohort.subjects)].pk)
        export = cohort_export_request(
            actor=cohort.researcher, grant=cohort.grant, enqueue_run=False, formats=["csv"]
        )
        barrier, errors = threading.Barrier(2), []
        threads = [
            _in_thread(lambda e=export: cohort_export_run(export_id=e.pk), barrier, errors),
            _in_thread(
                lambda v=victim: consent_withdraw(actor=cohort.steward, subject=v, via="staff"),
                barrier, errors, delay=rng.uniform(0, duration * 1.2),
            ),
        ]  # fmt: skip
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert errors == []
        export.refresh_from_db()
        assert export.state == ExportState.SUCCEEDED, export.failure_reason
        withdrawal = AuditEvent.objects.filter(
            action=Action.CONSENT_WITHDRAW, subject_code=victim.code
        ).latest("seq")
        completion = AuditEvent.objects.get(action=Action.EXPORT_COMPLETE, object_id=str(export.pk))
        included = set(
            AuditEvent.objects.filter(
                action=Action.EXPORT_SUBJECT_INCLUDED, object_id=str(export.pk)
            ).values_list("subject_code", flat=True)
        )
        released = set(table(export)["pseudonym"])
        assert {s["pseudonym"] for s in manifest(export)["subjects"]} == released
        if withdrawal.seq < completion.seq:
            withdrawn_first += 1
            assert victim.code not in included, f"round {round_no}"
            assert pseudonym(victim.code) not in released, f"round {round_no}"
        else:
            published_first += 1
            assert victim.code in included and pseudonym(victim.code) in released
        # Consent again, so every round starts from the same cohort.
        consent_grant(actor=cohort.steward, subject=victim, data_use=GRU,
                      categories=["clinical", "demographic"], via="staff")  # fmt: skip
    print(
        f"{ROUNDS} rounds: withdrawal committed first {withdrawn_first}, publication first {published_first}"
    )
    assert withdrawn_first > 0
