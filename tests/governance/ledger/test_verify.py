"""verify_audit finds every kind of tampering and names the first bad sequence number.

Each tamper test lifts the append-only triggers (as someone with database access
could) inside the test's transaction, changes the ledger, and expects the verifier to
name the problem and the seq.
"""

from __future__ import annotations

import logging
import random
import shutil

import pytest
from django.core.management import CommandError, call_command

from governance.ledger import external, tasks
from governance.ledger.actions import Action, Outcome
from governance.ledger.append import canonical_json, event_document, leaf_hash
from governance.ledger.models import AuditEvent, Checkpoint
from governance.ledger.services import audit_verify_run, checkpoint_create
from governance.ledger.verify import (
    CHECKPOINT_MISMATCH,
    EDITED,
    INSERTED,
    MISSING,
    REORDERED,
    LedgerTampered,
    verify_ledger,
)

PARKED = 10**12  # a seq no event uses, to move rows through


@pytest.fixture
def sealed(ledger):
    """60 events, a checkpoint at 40 (its own event is 41), then 19 more events."""
    ledger(40)
    checkpoint_create()
    ledger(19, start=40)
    assert AuditEvent.objects.count() == 60
    return random.Random(1234)


def _move(old: int, new: int) -> None:
    AuditEvent.objects.filter(seq=old).update(seq=new)


def _rehash(seq: int) -> None:
    """What a thorough forger does: recompute the stored document and leaf hash."""
    event = AuditEvent.objects.get(seq=seq)
    document = canonical_json(event_document(event)).decode()
    AuditEvent.objects.filter(seq=seq).update(leaf_hash=leaf_hash(event).hex(), document=document)


def _tampered(**kwargs) -> LedgerTampered:
    with pytest.raises(LedgerTampered) as caught:
        verify_ledger(**kwargs)
    return caught.value


def test_an_intact_ledger_verifies_with_a_one_line_summary(sealed):
    report = verify_ledger()
    assert report.tree_size == 60
    assert report.checkpoints == 1 and report.external_checkpoints == 1
    assert report.tiled_leaves == 40
    assert "\n" not in report.summary() and "ledger intact: 60 events" in report.summary()


@pytest.mark.parametrize("chunk_size", [1, 7, 40, 41, 64])
def test_any_chunking_gives_the_same_report_and_finds_the_same_tampering(sealed, unlocked, chunk_size):
    whole = verify_ledger()
    report = verify_ledger(chunk_size=chunk_size)
    assert (report.tree_size, report.root_hash, report.tiled_leaves) == (
        whole.tree_size, whole.root_hash, whole.tiled_leaves,
    )  # fmt: skip
    with unlocked():
        _move(37, PARKED)
    problem = _tampered(chunk_size=chunk_size)
    assert (problem.seq, problem.problem) == (37, MISSING)


def test_a_flipped_byte_in_one_event_is_found_and_named(sealed, unlocked):
    for _ in range(3):
        seq = sealed.randrange(1, 61)
        event = AuditEvent.objects.get(seq=seq)
        extra = dict(event.extra)
        extra["codes"] = [extra.get("codes", ["x"])[0][:-1] + "9", *extra.get("codes", [])[1:]]
        with unlocked():
            AuditEvent.objects.filter(seq=seq).update(extra=extra)
        problem = _tampered()
        assert (problem.seq, problem.problem) == (seq, EDITED)
        with unlocked():
            AuditEvent.objects.filter(seq=seq).update(extra=event.extra)
        verify_ledger()


def test_a_deleted_event_is_found_and_named(sealed, unlocked):
    seq = sealed.randrange(2, 60)
    with unlocked():
        AuditEvent.objects.filter(seq=seq).delete()
    problem = _tampered()
    assert (problem.seq, problem.problem) == (seq, MISSING)


def test_a_deleted_event_with_the_rest_renumbered_is_found_and_named(sealed, unlocked):
    seq = 23
    with unlocked():
        AuditEvent.objects.filter(seq=seq).delete()
        for s in range(seq + 1, 61):
            _move(s, s - 1)
    problem = _tampered()
    assert (problem.seq, problem.problem) == (seq, MISSING)


def test_two_swapped_events_are_found_and_named(sealed, unlocked):
    first, second = 45, 52
    with unlocked():
        _move(first, PARKED)
        _move(second, first)
        _move(PARKED, second)
    problem = _tampered()
    assert (problem.seq, problem.problem) == (first, REORDERED)
    assert f"seq {second}" in problem.message


def test_an_inserted_event_is_found_and_named(sealed, unlocked):
    seq = 50
    forged = AuditEvent.objects.get(seq=seq)
    with unlocked():
        for s in range(60, seq - 1, -1):
            _move(s, s + 1)
    forged.seq = seq
    forged.outcome = Outcome.ALLOWED
    forged.extra = {"n": -1}
    forged.leaf_hash = leaf_hash(forged).hex()  # a forger can hash their own event
    forged.document = canonical_json(event_document(forged)).decode()
    forged.save(force_insert=True)
    problem = _tampered()
    assert (problem.seq, problem.problem) == (seq, INSERTED)


def test_an_event_inserted_inside_a_checkpoint_is_named_by_the_external_tiles(sealed, unlocked):
    seq = 12
    with unlocked():
        for s in range(60, seq - 1, -1):
            _move(s, s + 1)
        for s in range(seq + 1, 62):
            _rehash(s)  # a thorough forger renumbers and rehashes everything after
    forged = AuditEvent(
        seq=seq,
        occurred_at=AuditEvent.objects.get(seq=seq + 1).occurred_at,
        actor="system",
        action=Action.GATE_DECISION,
        object_type="subject",
        outcome=Outcome.ALLOWED,
        extra={},
    )
    forged.leaf_hash = leaf_hash(forged).hex()
    forged.document = canonical_json(event_document(forged)).decode()
    forged.save(force_insert=True)
    problem = _tampered()
    assert (problem.seq, problem.problem) == (seq, INSERTED)


def test_a_truncated_tail_is_found_against_the_checkpoint(sealed, unlocked):
    with unlocked():
        AuditEvent.objects.filter(seq__gt=30).delete()
    problem = _tampered()
    assert (problem.seq, problem.problem) == (31, MISSING)


def test_a_truncated_tail_with_the_stored_checkpoint_removed_is_found_against_the_external_copy(
    sealed, unlocked
):
    with unlocked():
        AuditEvent.objects.filter(seq__gt=30).delete()
        Checkpoint.objects.all().delete()
    problem = _tampered()
    assert (problem.seq, problem.problem) == (31, MISSING)
    assert "external checkpoint" in problem.message


def test_an_edit_rehashed_by_someone_with_database_access_is_caught_by_the_external_copy(
    sealed, unlocked
):
    seq = sealed.randrange(2, 40)
    with unlocked():
        AuditEvent.objects.filter(seq=seq).update(outcome=Outcome.ALLOWED, extra={"n": 0})
        for s in range(seq, 61):
            _rehash(s)  # rewrite and rehash everything from the edit on
        Checkpoint.objects.all().delete()  # and drop the stored checkpoint that no longer fits
    problem = _tampered()
    assert (problem.seq, problem.problem) == (seq, EDITED)
    assert "external checkpoint copy" in problem.message


def test_without_tiles_a_rehashed_edit_is_still_a_checkpoint_mismatch(sealed, unlocked, settings):
    with unlocked():
        AuditEvent.objects.filter(seq=7).update(extra={"n": 0})
        _rehash(7)
    shutil.rmtree(settings.CHECKPOINT_DIR / "tile")
    problem = _tampered()
    assert (problem.seq, problem.problem) == (40, CHECKPOINT_MISMATCH)


def test_a_forged_stored_checkpoint_is_rejected(sealed, unlocked):
    with unlocked():
        checkpoint = Checkpoint.objects.get()
        note = checkpoint.note.replace("\n40\n", "\n39\n")
        Checkpoint.objects.filter(pk=checkpoint.pk).update(note=note, tree_size=39)
    problem = _tampered()
    assert problem.problem == CHECKPOINT_MISMATCH and "signature invalid" in problem.message


def test_an_external_checkpoint_file_given_on_the_command_line_is_checked(
    sealed, unlocked, tmp_path, settings
):
    kept = tmp_path / "kept-elsewhere.txt"
    kept.write_text(external.note_path(40).read_text())
    shutil.rmtree(settings.CHECKPOINT_DIR)
    with unlocked():
        Checkpoint.objects.all().delete()
        AuditEvent.objects.filter(seq=33).update(extra={"n": 1})
        _rehash(33)
    verify_ledger()  # nothing left to compare with: the rewrite goes unseen
    problem = _tampered(checkpoint_files=[kept])
    assert (problem.seq, problem.problem) == (40, CHECKPOINT_MISMATCH)
    with pytest.raises(CommandError, match="seq 40: checkpoint mismatch"):
        call_command("verify_audit", "--checkpoint", str(kept))


def test_the_command_exits_zero_with_a_summary_and_records_the_run(sealed, capsys):
    call_command("verify_audit")
    assert capsys.readouterr().out.startswith("ledger intact: 60 events")
    last = AuditEvent.objects.order_by("-seq").first()
    assert (last.action, last.outcome, last.extra["tree_size"]) == (
        Action.AUDIT_VERIFY,
        "allowed",
        60,
    )


def test_the_command_fails_naming_the_seq_and_records_a_failed_run(sealed, unlocked):
    with unlocked():
        AuditEvent.objects.filter(seq=5).delete()
    with pytest.raises(CommandError, match="seq 5: missing"):
        call_command("verify_audit")
    last = AuditEvent.objects.order_by("-seq").first()
    assert (last.action, last.outcome, last.extra) == (
        Action.AUDIT_VERIFY,
        "failed",
        {"seq": 5, "problem": "missing"},
    )


def test_the_command_refuses_a_checkpoint_file_that_does_not_exist(sealed, tmp_path):
    with pytest.raises(CommandError, match="--checkpoint: no such file"):
        call_command("verify_audit", "--checkpoint", str(tmp_path / "nope.txt"))


def test_the_periodic_task_raises_an_alert_event_and_logs_without_personal_data(
    sealed, unlocked, caplog
):
    assert tasks.audit_verify.apply().get()["ok"] is True
    with unlocked():
        AuditEvent.objects.filter(seq=9).update(actor="patient-name@example.org")
    with caplog.at_level(logging.ERROR):
        result = tasks.audit_verify.apply().get()
    assert result == {"ok": False, "seq": 9, "problem": EDITED}
    alert = AuditEvent.objects.order_by("-seq").first()
    assert (alert.action, alert.outcome, alert.extra) == (
        Action.AUDIT_ALERT,
        "failed",
        {"seq": 9, "problem": EDITED},
    )
    assert "seq 9" in caplog.text
    assert "example.org" not in caplog.text


def test_a_verification_run_through_the_service_is_audited(sealed):
    report = audit_verify_run(actor="system")
    assert report.tree_size == 60
    assert AuditEvent.objects.get(seq=61).action == Action.AUDIT_VERIFY
