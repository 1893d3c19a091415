"""Demo seeding for exports: a researcher key pair the reference tool reads, and each
subject's consent status for the demo grant."""

from __future__ import annotations

import io

import pytest
from crypt4gh import keys as c4gh_keys
from crypt4gh import lib as c4gh_lib
from django.utils import timezone

from consent.services import consent_withdraw
from governance.access.selectors import researcher_key_active
from governance.exports.demo import consent_status_for_grant, seed_export_demo
from governance.exports.services import cohort_export_request, cohort_export_run
from tests.governance.exports.helpers import folder

pytestmark = pytest.mark.django_db


def test_the_demo_key_pair_is_written_registered_and_opens_the_demo_export(make_cohort, settings):
    cohort = make_cohort(n=6)
    manifest = seed_export_demo(researcher=cohort.researcher, grant=cohort.grant)
    entry = manifest["demo_export"]
    assert entry["grant_id"] == cohort.grant.pk and entry["k"] == cohort.grant.k
    secret = c4gh_keys.get_private_key(entry["researcher_secret_key"], lambda: "")
    public = c4gh_keys.get_public_key(entry["researcher_public_key"])
    assert str(settings.DEMO_DIR) in entry["researcher_secret_key"]
    assert researcher_key_active(user=cohort.researcher).public_key_bytes == public
    again = seed_export_demo(researcher=cohort.researcher, grant=cohort.grant)
    assert (
        again == manifest
        and researcher_key_active(user=cohort.researcher).public_key_bytes == public
    )

    export = cohort_export_request(actor=cohort.researcher, grant=cohort.grant, enqueue_run=False)
    export = cohort_export_run(export_id=export.pk)
    out = io.BytesIO()
    with (folder(export) / "genotypes.vcf.gz.c4gh").open("rb") as infile:
        c4gh_lib.decrypt([(0, secret, None)], infile, out)
    assert out.getvalue()[:2] == b"\x1f\x8b"


def test_consent_status_says_active_withdrawn_or_out_of_scope(make_cohort, make_subject, personas):
    from consent.services import consent_grant

    cohort = make_cohort(n=5, genotypes=False, categories=("clinical", "demographic"))
    active, withdrawn = cohort.subjects[0], cohort.subjects[1]
    consent_withdraw(actor=personas.steward, subject=withdrawn, via="staff")
    narrow = make_subject()
    consent_grant(actor=personas.steward, subject=narrow, data_use={"permission": "DUO:0000042"},
                  categories=["clinical"], via="staff")  # fmt: skip
    never = make_subject()
    now = timezone.now()
    assert consent_status_for_grant(active, cohort.grant, now) == "active"
    assert consent_status_for_grant(withdrawn, cohort.grant, now) == "withdrawn"
    assert consent_status_for_grant(narrow, cohort.grant, now) == "out_of_scope"
    assert consent_status_for_grant(never, cohort.grant, now) == "out_of_scope"
