"""Reading the vault: only under a gate decision for this subject and category, still valid."""

from __future__ import annotations

import io
from datetime import timedelta

import crypt4gh.keys
import crypt4gh.lib
import pytest
from django.utils import timezone

from consent.services import consent_withdraw
from genomics.exceptions import VaultAccessDenied
from genomics.models import GenomicFile, subject_key_context
from genomics.services import genomic_file_ingest
from genomics.vault import blob_path, open_plaintext
from governance import keys
from governance.audit import Action
from tests.genomics.conftest import read_all, vcf_text, write

RECORDS = [f"1\t{100 + i}\t.\tA\tG\t50\tPASS\tDP={i}\tGT:DP\t0/1:{i}\t1/1:{i}" for i in range(3000)]


@pytest.fixture
def pair(make_subject, steward, tmp_path, consented):
    """Two consented subjects with one stored file each."""
    subjects = [consented(make_subject()), consented(make_subject())]
    path = write(tmp_path / "pair.vcf.gz", vcf_text(["A", "B"], RECORDS), gz=True)
    genomic_file_ingest(actor=steward, path=path, sample_map={"A": subjects[0], "B": subjects[1]})
    files = [GenomicFile.objects.get(subject=s) for s in subjects]
    return subjects, files


@pytest.mark.django_db
def test_an_allowed_decision_streams_the_plaintext_and_is_audited(
    pair, steward, decision_for, audit_actions
):
    (subject, _), (stored, _) = pair
    chunks = list(open_plaintext(stored, decision=decision_for(subject), actor=steward))
    text = b"".join(chunks).decode()
    assert text.endswith("\t0/1:2999\n")
    assert len(text.encode()) == stored.plaintext_size
    [event] = audit_actions(Action.GENOMIC_READ)
    assert event.outcome == "allowed"
    assert event.subject_code == subject.code
    assert event.object_id == str(stored.file_id)
    assert event.purpose == "test:vault"


@pytest.mark.django_db
def test_a_range_read_returns_exactly_those_bytes(pair, steward, decision_for):
    (subject, _), (stored, _) = pair
    whole = read_all(open_plaintext(stored, decision=decision_for(subject), actor=steward))
    part = read_all(
        open_plaintext(
            stored, decision=decision_for(subject), actor=steward, offset=70000, length=1000
        )
    )
    assert part == whole[70000:71000]


@pytest.mark.django_db
def test_a_decision_for_another_subject_is_refused_and_audited(
    pair, steward, decision_for, audit_actions
):
    (subject, other), (stored, _) = pair
    with pytest.raises(VaultAccessDenied) as caught:
        open_plaintext(stored, decision=decision_for(other), actor=steward)
    assert caught.value.code == "wrong_subject"
    [event] = audit_actions(Action.GENOMIC_READ)
    assert event.outcome == "denied"
    assert event.extra["reason"] == "wrong_subject"
    assert event.subject_code == subject.code


@pytest.mark.django_db
def test_a_decision_for_another_category_is_refused(pair, steward, decision_for):
    (subject, _), (stored, _) = pair
    decision = decision_for(subject, category="clinical")
    assert decision.allowed
    with pytest.raises(VaultAccessDenied) as caught:
        open_plaintext(stored, decision=decision, actor=steward)
    assert caught.value.code == "wrong_category"


@pytest.mark.django_db
def test_a_denied_decision_is_refused_after_withdrawal(pair, steward, decision_for, audit_actions):
    (subject, _), (stored, _) = pair
    consent_withdraw(actor=steward, subject=subject, via="staff")
    decision = decision_for(subject)
    assert not decision.allowed
    with pytest.raises(VaultAccessDenied) as caught:
        open_plaintext(stored, decision=decision, actor=steward)
    assert caught.value.code == "decision_denied"
    assert audit_actions(Action.GENOMIC_READ)[-1].outcome == "denied"


@pytest.mark.django_db
def test_an_expired_decision_is_refused(pair, steward, decision_for, monkeypatch):
    (subject, _), (stored, _) = pair
    decision = decision_for(subject)
    read_all(open_plaintext(stored, decision=decision, actor=steward))  # valid now
    later = decision.valid_until + timedelta(seconds=1)
    monkeypatch.setattr(timezone, "now", lambda: later)  # the clock moves on
    with pytest.raises(VaultAccessDenied) as caught:
        open_plaintext(stored, decision=decision, actor=steward)
    assert caught.value.code == "decision_expired"


@pytest.mark.django_db
def test_anything_but_a_gate_decision_is_refused(pair, steward):
    (subject, _), (stored, _) = pair
    with pytest.raises(VaultAccessDenied) as caught:
        open_plaintext(stored, decision={"allowed": True, "subject_id": subject.pk}, actor=steward)
    assert caught.value.code == "not_a_decision"


@pytest.mark.django_db
def test_the_reference_crypt4gh_tool_decrypts_a_vault_file_with_the_subject_key(
    pair, steward, decision_for
):
    (subject, _), (stored, _) = pair
    key = stored.subject_key
    private = keys.unwrap_key(
        bytes(key.wrapped_private), context=subject_key_context(subject.code, key.version)
    )
    out = io.BytesIO()
    with blob_path(stored).open("rb") as infile:
        crypt4gh.lib.decrypt([(0, private, None)], infile, out)
    ours = read_all(open_plaintext(stored, decision=decision_for(subject), actor=steward))
    assert out.getvalue() == ours
    assert out.getvalue().startswith(b"##fileformat=VCFv4.2")


@pytest.mark.django_db
def test_a_wrapped_subject_key_moved_to_another_subject_does_not_open(pair):
    (subject, other), (stored, other_file) = pair
    wrapped = bytes(stored.subject_key.wrapped_private)
    with pytest.raises(keys.KeyUnavailable):
        keys.unwrap_key(wrapped, context=subject_key_context(other.code, 1))


@pytest.mark.django_db
def test_a_blob_cut_at_a_segment_boundary_fails_the_recorded_digest(pair, steward, decision_for):
    from genomics import crypt4gh as c4gh
    from governance.errors import IntegrityFailure

    (subject, _), (stored, _) = pair
    path = blob_path(stored)
    with path.open("rb") as handle:
        header_len = c4gh.read_header(handle).length
    assert path.stat().st_size > header_len + 65564  # more than one segment
    with path.open("r+b") as handle:
        handle.truncate(header_len + 65564)  # drop the last segment whole: Crypt4GH alone can't tell
    with pytest.raises(IntegrityFailure, match="recorded digest"):
        read_all(open_plaintext(stored, decision=decision_for(subject), actor=steward))


@pytest.mark.django_db
def test_many_reads_stream_each_allowed_file_refuse_the_rest_and_audit_each_in_one_batch(
    pair, steward, decision_for, audit_actions
):
    from genomics.vault import open_plaintext_many
    from governance.audit import audit_batch

    (first, second), (first_file, second_file) = pair
    expected = read_all(open_plaintext(first_file, decision=decision_for(first), actor=steward))
    before = len(audit_actions(Action.GENOMIC_READ))
    reads = [
        (first_file, decision_for(first)),
        (second_file, decision_for(first)),  # a decision for another subject
        (first_file, decision_for(first, category="clinical")),
    ]
    with audit_batch():
        results = [
            (f.pk, opened if isinstance(opened, VaultAccessDenied) else read_all(opened))
            for f, opened in open_plaintext_many(reads, actor=steward)
        ]
    assert results[0] == (first_file.pk, expected)
    assert results[1][0] == second_file.pk and results[1][1].code == "wrong_subject"
    assert results[2][0] == first_file.pk and results[2][1].code == "wrong_category"
    events = audit_actions(Action.GENOMIC_READ)[before:]
    assert [(e.outcome, e.extra["reason"], e.subject_code) for e in events] == [
        ("allowed", "decision_allowed", first.code),
        ("denied", "wrong_subject", second.code),
        ("denied", "wrong_category", first.code),
    ]
