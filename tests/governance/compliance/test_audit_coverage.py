"""Audit coverage: every service that changes state or reads personal data writes its event.

``COVERAGE`` is the table: one row per service, the audit actions one call must append
(exactly, as a multiset), and how to call it. A row whose service has not been written
yet names it in ``pending`` instead of a runner; ``test_the_coverage_table_...`` prints
which rows are present and which are pending, so nothing is skipped silently.

A runner gets the world and ``mark``: everything before ``mark()`` is setup, and only
the events appended after it are compared with the row's expectation.
"""

from __future__ import annotations

import importlib
import io
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from governance.audit import Action
from governance.ledger.models import AuditEvent
from tests.conftest import PASSWORD
from tests.governance.exports.conftest import GRU, cohort_vcf, make_cohort  # noqa: F401 - fixture

pytestmark = pytest.mark.django_db

HMB_PURPOSE = {
    "category": "DUO:0000006", "genetic_study": True, "not_for_profit": True, "ethics_approval": True,
    "publication": True, "country": "GB", "project": "HELIX-COVERAGE",
}  # fmt: skip


class World:
    """The personas, and a consented cohort with genotypes and a grant, built on first use."""

    def __init__(self, personas, cohort_factory, client_for):
        self.personas = personas
        self.client_for = client_for
        self._make_cohort = cohort_factory
        self._cohort = None

    @property
    def cohort(self):
        if self._cohort is None:
            self._cohort = self._make_cohort(n=5)
        return self._cohort


@dataclass(frozen=True)
class Row:
    name: str
    expected: tuple[str, ...] | Callable[[World], tuple[str, ...]]
    runner: Callable[[World, Callable[[], None]], None] | None = None
    pending: str = ""  # the service that has not landed yet
    cohort: bool = False  # build the cohort (subjects, genotypes, grant) before the call


# --- runners ---------------------------------------------------------------------------


def _login(w, mark):
    client = w.client_for(None)
    mark()
    response = client.post(reverse("login"), {"username": "steward", "password": PASSWORD})
    assert response.status_code == 302


def _login_failed(w, mark):
    client = w.client_for(None)
    mark()
    response = client.post(reverse("login"), {"username": "steward", "password": "wrong-password-entirely"})
    assert response.status_code == 200


def _logout(w, mark):
    client = w.client_for(w.personas.steward)
    mark()
    client.post(reverse("logout"))


def _subject_create(w, mark):
    from consent.services import subject_create

    mark()
    subject_create(actor=w.personas.steward, name="Coverage Person", email="coverage@example.org",
                   mrn="MRN7700001", birth_date=None, sex="female", postcode="CB2 1TN", ethnic_background="")


def _subject_link_user(w, mark, make_user=None):
    from django.contrib.auth.models import Group, User

    from consent.services import subject_create, subject_link_user

    subject = subject_create(actor=w.personas.steward, name="Link Person", email="link@example.org",
                             mrn="MRN7700002", birth_date=None, sex="male", postcode="", ethnic_background="")
    user = User.objects.create_user(username="linked_patient", password=PASSWORD)
    user.groups.add(Group.objects.get_or_create(name="patient")[0])
    mark()
    subject_link_user(actor=w.personas.steward, subject=subject, user=user)


def _subject_identifiers(w, mark):
    from consent.selectors import subject_identifiers

    mark()
    subject_identifiers(w.cohort.subjects[0], actor=w.personas.steward, purpose="care")


def _consent_grant(w, mark):
    from consent.services import consent_grant

    mark()
    consent_grant(actor=w.personas.patient, subject=w.personas.patient_subject, data_use=GRU,
                  categories=["genomic"], via="portal")


def _patient_consented(w):
    from consent.services import consent_grant

    consent_grant(actor=w.personas.patient, subject=w.personas.patient_subject, data_use=GRU,
                  categories=["genomic"], via="portal")
    w.personas.patient_subject.refresh_from_db()


def _consent_amend(w, mark):
    from consent.services import consent_amend

    _patient_consented(w)
    mark()
    consent_amend(actor=w.personas.patient, subject=w.personas.patient_subject, data_use=GRU,
                  categories=["genomic", "clinical"], via="portal")


def _consent_withdraw(w, mark):
    from consent.services import consent_withdraw

    _patient_consented(w)
    mark()
    consent_withdraw(actor=w.personas.patient, subject=w.personas.patient_subject, via="portal")


def _fhir_export(w, mark):
    from consent.fhir.service import fhir_consent_export

    _patient_consented(w)
    mark()
    fhir_consent_export(actor=w.personas.steward, record=w.personas.patient_subject.current_consent)


def _fhir_import(w, mark):
    from consent.fhir.service import fhir_consent_export, fhir_consent_import

    _patient_consented(w)
    resource = fhir_consent_export(actor=w.personas.steward, record=w.personas.patient_subject.current_consent)
    mark()
    fhir_consent_import(actor=w.personas.steward, resource=resource)


def _receipt_download(w, mark):
    _patient_consented(w)
    client = w.client_for(w.personas.patient)
    mark()
    response = client.get(reverse("portal:receipt", kwargs={"version": 1}))
    assert response.status_code == 200


def _patient_data_download(w, mark):
    _patient_consented(w)
    client = w.client_for(w.personas.patient)
    mark()
    response = client.get(reverse("portal:data_download"))
    assert response.status_code == 200


def _consent_read_by_staff(w, mark):
    _patient_consented(w)
    subject = w.personas.patient_subject
    subject.refresh_from_db()
    client = w.client_for(w.personas.steward)
    mark()
    response = client.get(f"/api/v1/subjects/{subject.code}/consents/{subject.current_consent.version}")
    assert response.status_code == 200


def _decide(w, subject=None, actor=None):
    from governance.gate import decide

    grant = w.cohort.grant
    return decide(subject=subject or w.cohort.subjects[0], purpose=grant.purpose, purpose_id=grant.purpose_id,
                  category="genomic", actor=actor or w.personas.researcher)


def _gate_decision(w, mark):
    mark()
    _decide(w)


def _genomic_ingest(w, mark):
    from genomics.services.ingest import genomic_file_ingest

    subject = w.personas.patient_subject
    subject.sample_id = "NA20001"
    subject.save(update_fields=["sample_id"])
    mark()
    genomic_file_ingest(actor=w.personas.steward, fileobj=io.BytesIO(cohort_vcf(["NA20001"])),
                        sample_map={"NA20001": subject})


def _genomic_ingest_rejected(w, mark):
    from genomics.services.ingest import genomic_file_ingest
    from governance.errors import DomainError

    mark()
    with pytest.raises(DomainError):
        genomic_file_ingest(actor=w.personas.steward, fileobj=io.BytesIO(b"not a vcf\n"),
                            subject=w.personas.patient_subject)


def _genomic_read(w, mark):
    from genomics.models import GenomicFile
    from genomics.vault import open_plaintext

    subject = w.cohort.subjects[0]
    decision = _decide(w, subject=subject)
    genomic_file = GenomicFile.objects.filter(subject=subject).first()
    mark()
    b"".join(open_plaintext(genomic_file, decision=decision, actor=w.personas.researcher))


def _variant_query(w, mark):
    from genomics.selectors import variant_query

    decision = _decide(w)
    mark()
    variant_query(decisions=[decision], actor=w.personas.researcher, assembly="GRCh37", chrom="1", start=10177)


def _key_rotate(w, mark):
    from genomics.services.keys import master_key_rotate

    mark()
    master_key_rotate(actor=w.personas.steward)


def _key_retire(w, mark):
    from genomics.services.keys import master_key_retire, master_key_rotate

    master_key_rotate(actor=w.personas.steward)
    mark()
    master_key_retire(actor=w.personas.steward, version=1)


def _subject_erase(w, mark):
    from genomics.services.erasure import subject_erase

    mark()
    subject_erase(actor=w.personas.steward, subject=w.cohort.subjects[0])


def _researcher_key_register(w, mark):
    from genomics.crypt4gh import generate_keypair, public_key_pem
    from governance.access.services import researcher_key_register

    _register_key(w)
    _, public = generate_keypair()
    mark()
    researcher_key_register(actor=w.personas.researcher, public_key_pem=public_key_pem(public))


def _register_key(w):
    from genomics.crypt4gh import generate_keypair, public_key_pem
    from governance.access.services import researcher_key_register

    _, public = generate_keypair()
    researcher_key_register(actor=w.personas.researcher, public_key_pem=public_key_pem(public))


def _draft(w):
    from governance.access.services import access_request_attach_ethics, access_request_create

    _register_key(w)
    request = access_request_create(actor=w.personas.researcher, title="Coverage study", purpose=HMB_PURPOSE,
                                    categories=["genomic"], ethics_reference="REC 26/COV/0001")
    access_request_attach_ethics(actor=w.personas.researcher, request=request,
                                 document=io.BytesIO(b"Ethics approval for the coverage study.\n"))
    return request


def _submitted(w):
    from governance.access.services import access_request_submit

    return access_request_submit(actor=w.personas.researcher, request=_draft(w))


def _conditions():
    return {"expires_at": timezone.now() + timedelta(days=30), "k": 5, "categories": ["genomic"]}


def _request_create(w, mark):
    from governance.access.services import access_request_create

    mark()
    access_request_create(actor=w.personas.researcher, title="Coverage study", purpose=HMB_PURPOSE,
                          categories=["genomic"])


def _request_submit(w, mark):
    from governance.access.services import access_request_submit

    request = _draft(w)
    mark()
    access_request_submit(actor=w.personas.researcher, request=request)


def _request_withdraw(w, mark):
    from governance.access.services import access_request_withdraw

    request = _submitted(w)
    mark()
    access_request_withdraw(actor=w.personas.researcher, request=request)


def _request_first_vote(w, mark):
    from governance.access.services import access_request_approve

    request = _submitted(w)
    mark()
    access_request_approve(actor=w.personas.dac_member, request=request, conditions=_conditions())


def _request_second_vote(w, mark):
    from governance.access.services import access_request_approve

    request = _submitted(w)
    access_request_approve(actor=w.personas.dac_member, request=request, conditions=_conditions())
    mark()
    access_request_approve(actor=w.personas.dac_member_2, request=request, conditions=_conditions())


def _request_reject(w, mark):
    from governance.access.services import access_request_reject

    request = _submitted(w)
    mark()
    access_request_reject(actor=w.personas.dac_member, request=request, reason="Out of scope.")


def _grant_revoke(w, mark):
    from governance.access.services import access_grant_revoke

    mark()
    access_grant_revoke(actor=w.personas.dac_member, grant=w.cohort.grant, reason="Coverage check.")


def _grants_expire(w, mark):
    from governance.access.services import access_grants_expire

    mark()
    access_grants_expire(now=w.cohort.grant.expires_at + timedelta(seconds=1))


def _visa_issue(w, mark):
    from governance.access.visas import passport_visas_issue

    mark()
    passport_visas_issue(user=w.personas.researcher)


def _export_request(w, mark):
    from governance.exports.services import cohort_export_request

    mark()
    cohort_export_request(actor=w.personas.researcher, grant=w.cohort.grant, enqueue_run=False)


def _export_run(w, mark):
    from governance.exports.services import cohort_export_request, cohort_export_run

    export = cohort_export_request(actor=w.personas.researcher, grant=w.cohort.grant, enqueue_run=False)
    mark()
    cohort_export_run(export_id=export.pk)


def _export_run_expected(w) -> tuple[str, ...]:
    # Per subject: a gate decision for each category of the grant, and one inclusion;
    # per genomic subject, one vault read. Then one start and one completion.
    n = len(w.cohort.subjects)
    categories = len(w.cohort.grant.categories)
    return (
        (Action.EXPORT_START, Action.EXPORT_COMPLETE)
        + (Action.GATE_DECISION,) * (n * categories)
        + (Action.GENOMIC_READ,) * n
        + (Action.EXPORT_SUBJECT_INCLUDED,) * n
    )


def _export_cancel(w, mark):
    from governance.exports.services import cohort_export_cancel, cohort_export_request

    export = cohort_export_request(actor=w.personas.researcher, grant=w.cohort.grant, enqueue_run=False)
    mark()
    cohort_export_cancel(actor=w.personas.researcher, export=export)


def _export_download(w, mark):
    from governance.exports.services import (
        cohort_export_file_open,
        cohort_export_request,
        cohort_export_run,
    )

    export = cohort_export_request(actor=w.personas.researcher, grant=w.cohort.grant, enqueue_run=False)
    export = cohort_export_run(export_id=export.pk)
    mark()
    cohort_export_file_open(actor=w.personas.researcher, export=export, name="manifest.json").close()


def _checkpoint(w, mark):
    from governance.ledger.services import checkpoint_create

    mark()
    checkpoint_create()


def _verify(w, mark):
    from governance.ledger.services import audit_verify_run

    mark()
    audit_verify_run(actor=w.personas.compliance)


def _console_view(w, mark):
    client = w.client_for(w.personas.compliance)
    mark()
    assert client.get(reverse("compliance:events")).status_code == 200


def _console_export(w, mark):
    client = w.client_for(w.personas.compliance)
    mark()
    response = client.get(reverse("compliance:events_csv"))
    b"".join(response.streaming_content)


def _patient_proof(w, mark):
    _patient_consented(w)
    seq = AuditEvent.objects.filter(subject_code=w.personas.patient_subject.code).values_list("seq", flat=True)[0]
    from governance.ledger.services import checkpoint_create

    checkpoint_create()
    client = w.client_for(w.personas.patient)
    mark()
    assert client.get(reverse("portal_access:proof", kwargs={"seq": seq})).status_code == 200


def _patient_access_list(w, mark):
    client = w.client_for(w.personas.patient)
    mark()
    assert client.get(reverse("portal_access:list")).status_code == 200


# --- the table -------------------------------------------------------------------------

COVERAGE: list[Row] = [
    Row("login", (Action.LOGIN,), _login),
    Row("failed login", (Action.LOGIN_FAILED,), _login_failed),
    Row("logout", (Action.LOGOUT,), _logout),
    Row("subject registration", (Action.SUBJECT_CREATE,), _subject_create),
    Row("subject linked to a portal account", (Action.SUBJECT_LINK_USER,), _subject_link_user),
    Row("subject identifiers decrypted", (Action.SUBJECT_READ,), _subject_identifiers, cohort=True),
    Row("consent grant", (Action.CONSENT_GRANT,), _consent_grant),
    Row("consent amend", (Action.CONSENT_AMEND,), _consent_amend),
    Row("consent withdraw", (Action.CONSENT_WITHDRAW,), _consent_withdraw),
    Row("FHIR consent export", (Action.CONSENT_EXPORT,), _fhir_export),
    # An import records a new consent version: an active resource over an active consent amends it.
    Row("FHIR consent import", (Action.CONSENT_AMEND,), _fhir_import),
    Row("consent receipt download", (Action.RECEIPT_DOWNLOAD,), _receipt_download),
    # The copy decrypts the patient's identifiers: an audited read, then the download itself.
    Row("patient's copy of their records", (Action.SUBJECT_READ, Action.PATIENT_DATA_DOWNLOAD),
        _patient_data_download),
    Row("consent read by staff", (Action.CONSENT_READ,), _consent_read_by_staff),
    Row("gate decision", (Action.GATE_DECISION,), _gate_decision, cohort=True),
    Row("genomic ingest", (Action.GENOMIC_INGEST,), _genomic_ingest),
    Row("genomic ingest rejected", (Action.GENOMIC_INGEST_REJECTED,), _genomic_ingest_rejected),
    Row("vault read", (Action.GENOMIC_READ,), _genomic_read, cohort=True),
    Row("variant query", (Action.VARIANT_QUERY,), _variant_query, cohort=True),
    # One event per batch of subject keys rewrapped, and one for the platform's other wrapped keys.
    Row("master key rotation", (Action.KEY_ROTATE, Action.KEY_ROTATE), _key_rotate, cohort=True),
    Row("master key retirement", (Action.KEY_RETIRE,), _key_retire, cohort=True),
    Row("erasure", (Action.SUBJECT_ERASE,), _subject_erase, cohort=True),
    Row("researcher key replaced",
        (Action.RESEARCHER_KEY_DEACTIVATE, Action.RESEARCHER_KEY_REGISTER), _researcher_key_register),
    Row("access request created", (Action.ACCESS_REQUEST_CREATE,), _request_create),
    Row("access request submitted", (Action.ACCESS_REQUEST_SUBMIT,), _request_submit),
    Row("access request withdrawn", (Action.ACCESS_REQUEST_WITHDRAW,), _request_withdraw),
    Row("access request first approval", (Action.ACCESS_REQUEST_APPROVE,), _request_first_vote),
    Row("access request second approval",
        (Action.ACCESS_REQUEST_APPROVE, Action.ACCESS_GRANT_CREATE), _request_second_vote),
    Row("access request rejected", (Action.ACCESS_REQUEST_REJECT,), _request_reject),
    Row("grant revoked", (Action.ACCESS_GRANT_REVOKE,), _grant_revoke, cohort=True),
    Row("grant expiry sweep", (Action.ACCESS_GRANT_EXPIRE,), _grants_expire, cohort=True),
    Row("passport visa issued", (Action.VISA_ISSUE,), _visa_issue, cohort=True),
    Row("export requested", (Action.EXPORT_REQUEST,), _export_request, cohort=True),
    Row("export run", _export_run_expected, _export_run, cohort=True),
    Row("export cancelled", (Action.EXPORT_CANCEL,), _export_cancel, cohort=True),
    Row("export file downloaded", (Action.EXPORT_DOWNLOAD,), _export_download, cohort=True),
    Row("ledger checkpoint", (Action.AUDIT_CHECKPOINT,), _checkpoint),
    Row("ledger verification", (Action.AUDIT_VERIFY,), _verify),
    Row("compliance console view", (Action.AUDIT_VIEW,), _console_view),
    Row("compliance console export", (Action.AUDIT_EXPORT,), _console_export),
    Row("patient's who-used-my-data page", (Action.AUDIT_VIEW,), _patient_access_list),
    Row("patient's proof download", (Action.AUDIT_VIEW,), _patient_proof),
]

PRESENT = [row for row in COVERAGE if row.runner is not None]
PENDING = [row for row in COVERAGE if row.runner is None]


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def world(_fast_password_hashing, personas, make_cohort, client_for):  # noqa: F811 - the imported fixture
    return World(personas, make_cohort, client_for)


@pytest.mark.parametrize("row", PRESENT, ids=[row.name for row in PRESENT])
def test_each_service_appends_exactly_its_audit_events(world, row):
    baseline = {}

    def mark():
        baseline["seq"] = AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first() or 0

    if row.cohort:
        assert world.cohort.subjects
    row.runner(world, mark)
    assert "seq" in baseline, f"{row.name}: the runner never marked where its call starts"
    appended = AuditEvent.objects.filter(seq__gt=baseline["seq"]).values_list("action", flat=True)
    expected = row.expected(world) if callable(row.expected) else row.expected
    assert Counter(appended) == Counter(expected), row.name


def test_the_coverage_table_names_every_audit_action_or_says_who_writes_it_elsewhere(capsys):
    covered = set()
    for row in COVERAGE:
        if callable(row.expected):
            continue
        covered |= set(row.expected)
    covered |= {Action.EXPORT_START, Action.EXPORT_COMPLETE, Action.EXPORT_SUBJECT_INCLUDED}
    # Written only on failure paths, each covered by its owner's tests, or not yet produced.
    elsewhere = {
        Action.API_TOKEN_ISSUE, Action.ACCESS_REQUEST_UPDATE, Action.AUDIT_ALERT, Action.EXPORT_FAIL,
        Action.EXPORT_SUBJECT_REMOVED, Action.ONTOLOGY_LOAD, Action.CONSENT_IMPORT,
    }
    assert Action.all() - covered - elsewhere == set()
    with capsys.disabled():
        print(f"\naudit coverage: {len(PRESENT)} services checked, {len(PENDING)} pending")
        for row in PENDING:
            print(f"  pending: {row.name} -> {', '.join(row.expected)} ({row.pending})")


def test_every_pending_row_names_the_service_it_waits_for():
    for row in PENDING:
        assert row.pending, row.name


def test_the_modules_the_table_calls_exist():
    for module in ("consent.services", "consent.fhir.service", "consent.selectors", "governance.gate",
                   "genomics.services.ingest", "genomics.services.keys", "genomics.services.erasure",
                   "genomics.vault", "genomics.selectors", "governance.access.services",
                   "governance.access.visas", "governance.exports.services", "governance.ledger.services"):
        importlib.import_module(module)
