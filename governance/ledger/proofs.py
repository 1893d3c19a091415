"""Proof bundles for the API and the patient's download: proof, leaf, roots, checkpoint.

A bundle carries everything an outside verifier needs: the leaf document and its hash,
the audit path (or consistency path) as hex, the root at the tree size asked for, and
the latest signed checkpoint note. Bundles are checked against the stored checkpoint
at the same size before they are handed out.
"""

from __future__ import annotations

from governance.errors import IntegrityFailure, ValidationFailed
from governance.ledger import merkle
from governance.ledger.append import event_document, leaf_hash
from governance.ledger.models import AuditEvent, Checkpoint
from governance.ledger.selectors import latest_checkpoint, stored_leaf_hashes, tree_size


def _checkpoint_payload(checkpoint: Checkpoint | None) -> dict | None:
    if checkpoint is None:
        return None
    return {
        "tree_size": checkpoint.tree_size,
        "root_hash": checkpoint.root_hash,
        "created_at": checkpoint.created_at.isoformat(),
        "note": checkpoint.note,
    }


def _check_size(size: int, name: str, ledger_size: int) -> None:
    if size > ledger_size:
        raise ValidationFailed(
            f"{name}: the ledger holds {ledger_size} events",
            extra={"field": name, "tree_size": ledger_size},
        )


def _against_checkpoint(size: int, root: bytes) -> None:
    stored = Checkpoint.objects.filter(tree_size=size).values_list("root_hash", flat=True).first()
    if stored is not None and stored != root.hex():
        raise IntegrityFailure("The ledger does not match its signed checkpoint; run verify_audit.")


def default_size_for(seq: int) -> int:
    """The latest checkpoint's size when it covers ``seq``, else the current tree size."""
    latest = latest_checkpoint()
    if latest is not None and latest.tree_size >= seq:
        return latest.tree_size
    return tree_size()


def inclusion_bundle(*, event: AuditEvent, size: int) -> dict:
    """The inclusion proof of ``event`` in the tree of the first ``size`` events."""
    _check_size(size, "size", tree_size())
    if event.seq > size:
        raise ValidationFailed(f"seq: beyond the tree size {size}", extra={"field": "seq"})
    leaf = leaf_hash(event)
    if leaf.hex() != event.leaf_hash:
        raise IntegrityFailure("The ledger does not verify at this event; run verify_audit.")
    index = event.seq - 1
    proof = merkle.inclusion_proof(index, size, stored_leaf_hashes)
    root = merkle.root_from_inclusion_proof(leaf_hash=leaf, index=index, size=size, proof=proof)
    _against_checkpoint(size, root)
    merkle.verify_inclusion(leaf_hash=leaf, index=index, size=size, proof=proof, root=root)
    return {
        "seq": event.seq,
        "leaf_index": index,
        "tree_size": size,
        "leaf": event_document(event),
        "leaf_hash": leaf.hex(),
        "proof": [h.hex() for h in proof],
        "root_hash": root.hex(),
        "checkpoint": _checkpoint_payload(latest_checkpoint()),
    }


def consistency_bundle(*, first: int, second: int) -> dict:
    """The proof that the tree of ``first`` events is a prefix of the tree of ``second``."""
    _check_size(second, "to", tree_size())
    if first > second:
        raise ValidationFailed("from: must not exceed to", extra={"field": "from"})
    proof = merkle.consistency_proof(first, second, stored_leaf_hashes)
    builder = merkle.TreeBuilder()
    first_root = None
    for leaf in stored_leaf_hashes(0, second):
        builder.append(leaf)
        if builder.size == first:
            first_root = builder.root()
    if builder.size != second or first_root is None:
        raise IntegrityFailure("The ledger has fewer events than its size says; run verify_audit.")
    second_root = builder.root()
    _against_checkpoint(first, first_root)
    _against_checkpoint(second, second_root)
    merkle.verify_consistency(
        first=first, second=second, first_root=first_root, second_root=second_root, proof=proof
    )
    return {
        "from": first,
        "to": second,
        "first_root": first_root.hex(),
        "second_root": second_root.hex(),
        "proof": [h.hex() for h in proof],
        "checkpoint": _checkpoint_payload(latest_checkpoint()),
    }
