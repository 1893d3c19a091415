"""The inclusion proof a patient downloads for one event about them.

The document carries everything needed to check, without trusting the platform, that
the event is in the ledger: the leaf document and its RFC 6962 leaf hash, the leaf's
index, the tree size, the audit path, the root, and the signed checkpoint note for
that very tree size, whose Ed25519 key is published at ``/.well-known/jwks.json``.
"""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse

from governance.compliance import ledger_port
from governance.ledger.models import AuditEvent

PROOF_FORMAT = "helix-consent/inclusion-proof/v1"


def inclusion_proof_document(*, actor, event: AuditEvent) -> dict:
    """The downloadable proof for ``event``, against the oldest checkpoint that covers it.

    When no checkpoint covers the event yet, one is signed now, so every proof comes
    with a signed note for exactly its tree size. The ledger records the view.
    """
    checkpoint = ledger_port.checkpoint_for(event.seq)
    bundle = ledger_port.inclusion_bundle(actor=actor, event=event, tree_size=checkpoint.tree_size)
    return {
        "format": PROOF_FORMAT,
        "hashing": "RFC 6962: leaf = SHA-256(0x00 || leaf_json), node = SHA-256(0x01 || left || right)",
        "leaf_document": bundle["leaf"],
        "leaf_json": ledger_port.leaf_bytes(event).decode("utf-8"),
        "leaf_hash": bundle["leaf_hash"],
        "leaf_index": bundle["leaf_index"],
        "tree_size": bundle["tree_size"],
        "audit_path": bundle["proof"],
        "root_hash": bundle["root_hash"],
        "checkpoint": checkpoint.note,
        "checkpoint_signed_at": checkpoint.created_at.isoformat(),
        "checkpoint_verifier_key": ledger_port.checkpoint_verifier_key(),
        "public_keys": settings.HELIX_ISSUER.rstrip("/") + reverse("jwks"),
    }


# The verifier the "how to verify" page shows. It uses only the standard library, and
# the tests run it against real proofs, so the page never shows code that does not work.
VERIFY_SNIPPET = '''import base64, hashlib, json, sys

proof = json.load(open(sys.argv[1]))  # the file you downloaded

def node(left, right):
    return hashlib.sha256(b"\\x01" + left + right).digest()

# 1. The leaf: the event as canonical JSON, hashed with a 0x00 byte in front.
leaf_json = json.dumps(proof["leaf_document"], sort_keys=True,
                       separators=(",", ":"), ensure_ascii=False)
leaf = hashlib.sha256(b"\\x00" + leaf_json.encode("utf-8")).digest()
assert leaf.hex() == proof["leaf_hash"], "the event does not match its hash"

# 2. Climb the audit path to the root (RFC 9162, section 2.1.3.2).
fn, sn, root = proof["leaf_index"], proof["tree_size"] - 1, leaf
assert fn <= sn, "the index lies outside the tree"
for sibling in (bytes.fromhex(h) for h in proof["audit_path"]):
    assert sn > 0, "the audit path is too long"
    if fn & 1 or fn == sn:
        root = node(sibling, root)
        while fn and not fn & 1:
            fn, sn = fn >> 1, sn >> 1
    else:
        root = node(root, sibling)
    fn, sn = fn >> 1, sn >> 1
assert sn == 0 and root.hex() == proof["root_hash"], "the path does not lead to the root"

# 3. The signed checkpoint must name the same tree size and root.
if proof["checkpoint"]:
    lines = proof["checkpoint"].split("\\n")
    assert int(lines[1]) == proof["tree_size"], "the checkpoint is for another tree"
    assert base64.b64decode(lines[2]) == root, "the checkpoint has another root"
print("Event", proof["leaf_document"]["seq"], "is in the ledger with root", root.hex())
'''
