"""RFC 6962 / RFC 9162 Merkle tree hashing, proofs and their verifiers.

The ledger's leaves are ``SHA-256(0x00 || canonical JSON)``; an interior node is
``SHA-256(0x01 || left || right)``; the tree over ``n`` leaves splits at the largest
power of two below ``n`` (RFC 6962 section 2.1). The empty tree hashes to
``SHA-256("")``.

Roots are computed in one streaming pass with a compact range (a stack of at most
log2(n) perfect-subtree hashes), so a million leaves never sit in memory. Proof
generation works from a ``leaves(lo, hi)`` callable that yields stored leaf hashes for
a half-open index range; each proof needs one pass over the ranges it covers.

The verifiers raise ``ProofInvalid`` for every failure (a flipped bit, a wrong index or
size, a truncated or padded proof, a wrong or empty root) and never return a bool, so a
caller cannot forget to check the answer.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Iterable

from governance.errors import IntegrityFailure

HASH_BYTES = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()

LeafSource = Callable[[int, int], Iterable[bytes]]


class ProofInvalid(IntegrityFailure):
    """A Merkle proof did not verify. Deliberately does not say which check failed."""

    def __init__(self, message: str = "Proof verification failed."):
        super().__init__(message, code="proof_invalid")


def hash_leaf(data: bytes) -> bytes:
    """RFC 6962 leaf hash: SHA-256(0x00 || data)."""
    return hashlib.sha256(b"\x00" + data).digest()


def hash_children(left: bytes, right: bytes) -> bytes:
    """RFC 6962 interior node hash: SHA-256(0x01 || left || right)."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two strictly smaller than ``n`` (n >= 2)."""
    return 1 << ((n - 1).bit_length() - 1)


class TreeBuilder:
    """A compact range over leaves appended in order: the root of any prefix in O(log n).

    The stack holds the roots of the perfect subtrees that make up the leaves so far,
    largest first, exactly the binary decomposition of ``size``.
    """

    __slots__ = ("size", "_stack")

    def __init__(self, size: int = 0, stack: Iterable[bytes] = ()):
        self.size = size
        self._stack = list(stack)
        if len(self._stack) != bin(size).count("1"):
            raise IntegrityFailure(
                "A compact range does not match its size.", code="compact_range_invalid"
            )

    def append(self, leaf_hash: bytes) -> None:
        n = self.size
        stack = self._stack
        node = leaf_hash
        sha = hashlib.sha256
        while n & 1:
            node = sha(b"\x01" + stack.pop() + node).digest()
            n >>= 1
        stack.append(node)
        self.size += 1

    def extend(self, leaf_hashes: Iterable[bytes]) -> None:
        """Append many leaves: each largest aligned run is hashed level by level into one
        perfect subtree, which is then merged like a single leaf."""
        leaves = list(leaf_hashes)
        sha = hashlib.sha256
        start, count = 0, len(leaves)
        while start < count:
            size = self.size
            width = 1 << ((count - start).bit_length() - 1)  # largest power of two that fits
            if size:
                width = min(width, size & -size)  # the subtree must start on its own boundary
            level = leaves[start : start + width]
            while len(level) > 1:
                level = [sha(b"\x01" + a + b).digest() for a, b in zip(level[::2], level[1::2], strict=True)]
            self._merge(level[0], width)
            start += width

    def _merge(self, node: bytes, width: int) -> None:
        """Add the root of a perfect subtree of ``width`` leaves (a power of two) at an
        aligned size."""
        n = self.size // width
        stack = self._stack
        sha = hashlib.sha256
        while n & 1:
            node = sha(b"\x01" + stack.pop() + node).digest()
            n >>= 1
        stack.append(node)
        self.size += width

    def root(self) -> bytes:
        if not self._stack:
            return EMPTY_ROOT
        stack = self._stack
        node = stack[-1]
        for left in reversed(stack[:-1]):
            node = hash_children(left, node)
        return node

    def state(self) -> list[bytes]:
        """The compact range itself, so a later pass can continue from this size."""
        return list(self._stack)


def root_hash(leaf_hashes: Iterable[bytes]) -> bytes:
    """The Merkle tree hash over leaf hashes, in one streaming pass."""
    builder = TreeBuilder()
    builder.extend(leaf_hashes)
    return builder.root()


# --- proof shapes (pure index arithmetic) --------------------------------------------


def inclusion_ranges(index: int, size: int) -> list[tuple[int, int]]:
    """The leaf ranges whose subtree hashes form the audit path of ``index`` (RFC 6962 PATH)."""
    if not 0 <= index < size:
        raise ValueError("index must lie inside the tree")
    ranges: list[tuple[int, int]] = []
    lo, hi = 0, size
    while hi - lo > 1:
        k = _split(hi - lo)
        if index < lo + k:
            ranges.append((lo + k, hi))
            hi = lo + k
        else:
            ranges.append((lo, lo + k))
            lo = lo + k
    ranges.reverse()  # the path runs from the leaf up to the root
    return ranges


def consistency_ranges(first: int, second: int) -> list[tuple[int, int]]:
    """The leaf ranges whose subtree hashes form the consistency proof (RFC 6962 PROOF)."""
    if not 0 < first <= second:
        raise ValueError("sizes must satisfy 0 < first <= second")
    ranges: list[tuple[int, int]] = []
    if first == second:
        return ranges
    lo, hi, m, complete = 0, second, first, True
    while True:
        n = hi - lo
        if m == n:
            if not complete:
                ranges.append((lo, hi))
            break
        k = _split(n)
        if m <= k:
            ranges.append((lo + k, hi))
            hi = lo + k
        else:
            ranges.append((lo, lo + k))
            lo, m, complete = lo + k, m - k, False
    ranges.reverse()
    return ranges


def subtree_hashes(ranges: list[tuple[int, int]], leaves: LeafSource) -> list[bytes]:
    """The Merkle tree hash of each range, reading each range's leaves once."""
    out = []
    for lo, hi in ranges:
        builder = TreeBuilder()
        builder.extend(leaves(lo, hi))
        if builder.size != hi - lo:
            raise IntegrityFailure(
                "The ledger has fewer leaves than the tree size asked for.", code="short_read"
            )
        out.append(builder.root())
    return out


def inclusion_proof(index: int, size: int, leaves: LeafSource) -> list[bytes]:
    """The audit path for leaf ``index`` (0-based) in the tree of ``size`` leaves."""
    return subtree_hashes(inclusion_ranges(index, size), leaves)


def consistency_proof(first: int, second: int, leaves: LeafSource) -> list[bytes]:
    """The proof that the tree of ``first`` leaves is a prefix of the tree of ``second``."""
    return subtree_hashes(consistency_ranges(first, second), leaves)


def list_source(leaf_hashes: list[bytes]) -> LeafSource:
    """A ``LeafSource`` over an in-memory list (tests, small trees)."""
    return lambda lo, hi: leaf_hashes[lo:hi]


# --- verifiers (RFC 9162 sections 2.1.3.2 and 2.1.4.2) --------------------------------


def _is_hash(value) -> bool:
    return isinstance(value, (bytes, bytearray)) and len(value) == HASH_BYTES


def _check_hashes(*values) -> None:
    for value in values:
        if not _is_hash(value):
            raise ProofInvalid()


def _check_int(*values) -> None:
    for value in values:
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise ProofInvalid()


def root_from_inclusion_proof(
    *, leaf_hash: bytes, index: int, size: int, proof: list[bytes]
) -> bytes:
    """The root an inclusion proof leads to (the same walk as the verifier, without a root).

    Used to fill in a proof bundle; it proves nothing by itself.
    """
    fn, sn, node = index, size - 1, leaf_hash
    for sibling in proof:
        if fn & 1 or fn == sn:
            node = hash_children(sibling, node)
            while fn and not fn & 1:
                fn >>= 1
                sn >>= 1
        else:
            node = hash_children(node, sibling)
        fn >>= 1
        sn >>= 1
    return node


def verify_inclusion(
    *, leaf_hash: bytes, index: int, size: int, proof: list[bytes], root: bytes
) -> None:
    """Raise ``ProofInvalid`` unless ``proof`` shows leaf ``index`` is in the tree ``root``."""
    _check_int(index, size)
    if not isinstance(proof, (list, tuple)):
        raise ProofInvalid()
    _check_hashes(leaf_hash, root, *proof)
    if index >= size:
        raise ProofInvalid()
    fn, sn, node = index, size - 1, bytes(leaf_hash)
    for sibling in proof:
        if sn == 0:
            raise ProofInvalid()
        if fn & 1 or fn == sn:
            node = hash_children(bytes(sibling), node)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            node = hash_children(node, bytes(sibling))
        fn >>= 1
        sn >>= 1
    if sn != 0 or not hmac.compare_digest(node, bytes(root)):
        raise ProofInvalid()


def verify_consistency(
    *, first: int, second: int, first_root: bytes, second_root: bytes, proof: list[bytes]
) -> None:
    """Raise ``ProofInvalid`` unless ``proof`` shows tree ``first`` is a prefix of ``second``."""
    _check_int(first, second)
    if not isinstance(proof, (list, tuple)):
        raise ProofInvalid()
    _check_hashes(first_root, second_root, *proof)
    if first == 0 or first > second:
        raise ProofInvalid()
    if first == second:
        if proof or not hmac.compare_digest(bytes(first_root), bytes(second_root)):
            raise ProofInvalid()
        return
    if not proof:
        raise ProofInvalid()
    path = [bytes(h) for h in proof]
    if first & (first - 1) == 0:  # an exact power of two: the old root is itself a node
        path.insert(0, bytes(first_root))
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for node in path[1:]:
        if sn == 0:
            raise ProofInvalid()
        if fn & 1 or fn == sn:
            fr = hash_children(node, fr)
            sr = hash_children(node, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = hash_children(sr, node)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofInvalid()
    if not (
        hmac.compare_digest(fr, bytes(first_root)) & hmac.compare_digest(sr, bytes(second_root))
    ):
        raise ProofInvalid()
