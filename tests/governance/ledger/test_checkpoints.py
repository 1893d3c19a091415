"""Signed checkpoints: C2SP note format, stored and written outside, audited, incremental."""

from __future__ import annotations

import base64
import hashlib

import pytest
from django.core.management import call_command

from governance import keys
from governance.errors import IntegrityFailure
from governance.ledger import external, merkle, notes, tasks
from governance.ledger.actions import Action
from governance.ledger.append import leaf_hash
from governance.ledger.models import AuditEvent, Checkpoint
from governance.ledger.services import checkpoint_create


def _recomputed_root(size: int) -> bytes:
    return merkle.root_hash(
        leaf_hash(e) for e in AuditEvent.objects.filter(seq__lte=size).order_by("seq")
    )


def test_a_checkpoint_is_a_c2sp_signed_note_over_the_tree_head(ledger):
    ledger(5)
    checkpoint = checkpoint_create()
    text, _, signatures = checkpoint.note.partition("\n\n")
    origin, size, root = text.split("\n")
    assert origin == "helix-consent/127.0.0.1:8000" == checkpoint.origin
    assert size == "5"
    assert base64.b64decode(root) == _recomputed_root(5)
    assert root == base64.b64encode(bytes.fromhex(checkpoint.root_hash)).decode()
    line = signatures.rstrip("\n")
    assert line.startswith("\u2014 helix-consent/127.0.0.1:8000 ")
    blob = base64.b64decode(line.rsplit(" ", 1)[1])
    public = keys.signing_public_key()
    expected_hash = hashlib.sha256(origin.encode() + b"\n\x01" + public).digest()[:4]
    assert blob[:4] == expected_hash
    keys.verify_signature((text + "\n").encode(), blob[4:], public_key=public)


def test_the_checkpoint_covers_the_tree_before_its_own_audit_event(ledger):
    ledger(7)
    checkpoint = checkpoint_create()
    assert checkpoint.tree_size == 7
    event = AuditEvent.objects.get(seq=8)
    assert event.action == Action.AUDIT_CHECKPOINT
    assert event.extra == {"tree_size": 7, "root_hash": checkpoint.root_hash}
    assert event.object_id == str(checkpoint.pk)


def test_the_note_and_tiles_are_written_outside_the_database(ledger, settings):
    ledger(3)
    checkpoint = checkpoint_create()
    path = external.note_path(3)
    assert path.parent == settings.CHECKPOINT_DIR
    assert path.read_text() == checkpoint.note
    assert (settings.CHECKPOINT_DIR / "checkpoint").read_text() == checkpoint.note
    tile = external.read_tile(0)
    assert tile == b"".join(leaf_hash(e) for e in AuditEvent.objects.filter(seq__lte=3))
    assert not list(settings.CHECKPOINT_DIR.rglob("*.tmp-*"))


def test_successive_checkpoints_continue_from_the_previous_one_and_fill_tiles(ledger):
    ledger(200)
    first = checkpoint_create()
    ledger(100, start=200)
    second = checkpoint_create()
    assert (first.tree_size, second.tree_size) == (200, 301)
    assert second.root_hash == _recomputed_root(301).hex()
    assert external.tile_path(0).is_file()  # leaves 0..255 now fill a whole tile
    assert len(external.read_tile(1)) == (301 - 256) * 32
    assert notes.parse_and_verify(second.note).tree_size == 301


def test_a_checkpoint_of_an_empty_ledger_signs_the_empty_root(db):
    checkpoint = checkpoint_create()
    assert checkpoint.tree_size == 0
    assert checkpoint.root_hash == merkle.EMPTY_ROOT.hex()
    assert AuditEvent.objects.get(seq=1).action == Action.AUDIT_CHECKPOINT


@pytest.mark.parametrize(
    "mutate",
    [
        lambda n: n.replace("\n5\n", "\n6\n", 1),
        lambda n: n.replace("helix-consent/127.0.0.1:8000\n", "helix-consent/elsewhere\n", 1),
        lambda n: (
            n[: n.index("\n\n")]
            + "\n\n"
            + n[n.index("\n\n") + 2 :].replace("A", "B", 1).replace("a", "b", 1)
        ),
        lambda n: n.split("\n\n")[0] + "\n",
        lambda n: n.replace("\n\n", "\n", 1),
        lambda n: n.rstrip("\n"),
        lambda n: "",
    ],
    ids=[
        "size",
        "origin",
        "signature",
        "no-signature",
        "no-blank-line",
        "no-final-newline",
        "empty",
    ],
)
def test_a_mutated_checkpoint_note_is_rejected(ledger, mutate):
    ledger(5)
    note = checkpoint_create().note
    with pytest.raises(notes.CheckpointInvalid):
        notes.parse_and_verify(mutate(note))


def test_a_note_with_a_flipped_root_bit_is_rejected(ledger):
    ledger(5)
    note = checkpoint_create().note
    lines = note.split("\n")
    root = bytearray(base64.b64decode(lines[2]))
    root[0] ^= 1
    lines[2] = base64.b64encode(bytes(root)).decode()
    with pytest.raises(notes.CheckpointInvalid):
        notes.parse_and_verify("\n".join(lines))


def test_the_verifier_key_names_the_same_key_hash(db):
    name, key_hash, key = notes.verifier_key().split("+", 2)
    assert name == notes.origin()
    assert bytes.fromhex(key_hash) == notes.key_hash(name, keys.signing_public_key())
    assert base64.b64decode(key) == b"\x01" + keys.signing_public_key()


def test_the_command_and_the_periodic_task_both_create_checkpoints(ledger, capsys):
    ledger(2)
    call_command("audit_checkpoint")
    assert "checkpoint at tree size 2" in capsys.readouterr().out
    assert tasks.audit_checkpoint.apply().get() == 3
    assert list(Checkpoint.objects.values_list("tree_size", flat=True)) == [2, 3]


def test_a_checkpoint_refuses_to_sign_an_edited_ledger(ledger, unlocked):
    ledger(4)
    with unlocked():
        AuditEvent.objects.filter(seq=3).update(extra={"n": 999})
    with pytest.raises(IntegrityFailure, match="seq 3"):
        checkpoint_create()
    assert not Checkpoint.objects.exists()


def test_events_appended_while_a_checkpoint_is_computed_follow_it(ledger, monkeypatch):
    from governance.ledger import services
    from governance.ledger.verify import verify_ledger

    ledger(5)
    original = services.leaf_rows

    def rows_with_a_concurrent_append(**kwargs):
        for index, row in enumerate(original(**kwargs)):
            if index == 2:
                ledger(1, start=100)  # another writer, not blocked by the checkpoint
            yield row

    monkeypatch.setattr(services, "leaf_rows", rows_with_a_concurrent_append)
    checkpoint = checkpoint_create()
    assert checkpoint.tree_size == 5
    assert AuditEvent.objects.get(seq=6).extra["n"] == 100
    assert AuditEvent.objects.get(seq=7).action == Action.AUDIT_CHECKPOINT
    assert verify_ledger().tree_size == 7
