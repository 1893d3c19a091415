"""RFC 6962 / 9162 hashing, proofs and verifiers against published and naive answers."""

from __future__ import annotations

import hashlib
import random

import pytest

from governance.errors import IntegrityFailure
from governance.ledger import merkle
from governance.ledger.merkle import ProofInvalid

# Certificate Transparency reference inputs and tree heads (RFC 6962 test data).
CT_INPUTS = [
    bytes.fromhex(h)
    for h in [
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    ]
]
CT_ROOTS = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
CT_INCLUSION = [
    (
        0,
        8,
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        5,
        8,
        [
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
]
CT_CONSISTENCY = [
    (
        1,
        8,
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        6,
        8,
        [
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (
        2,
        5,
        [
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
]


# --- an independent, naive reference: RFC 6962 section 2.1 read literally -------------


def naive_mth(leaves: list[bytes]) -> bytes:
    n = len(leaves)
    if n == 0:
        return hashlib.sha256(b"").digest()
    if n == 1:
        return leaves[0]
    k = 1
    while k * 2 < n:
        k *= 2
    return hashlib.sha256(b"\x01" + naive_mth(leaves[:k]) + naive_mth(leaves[k:])).digest()


def naive_path(m: int, leaves: list[bytes]) -> list[bytes]:
    n = len(leaves)
    if n == 1:
        return []
    k = 1
    while k * 2 < n:
        k *= 2
    if m < k:
        return naive_path(m, leaves[:k]) + [naive_mth(leaves[k:])]
    return naive_path(m - k, leaves[k:]) + [naive_mth(leaves[:k])]


def naive_subproof(m: int, leaves: list[bytes], b: bool) -> list[bytes]:
    n = len(leaves)
    if m == n:
        return [] if b else [naive_mth(leaves)]
    k = 1
    while k * 2 < n:
        k *= 2
    if m <= k:
        return naive_subproof(m, leaves[:k], b) + [naive_mth(leaves[k:])]
    return naive_subproof(m - k, leaves[k:], False) + [naive_mth(leaves[:k])]


LEAVES = [hashlib.sha256(b"\x00" + i.to_bytes(4, "big")).digest() for i in range(256)]
ROOTS = {n: naive_mth(LEAVES[:n]) for n in range(0, 257)}
SOURCE = merkle.list_source(LEAVES)


def flip(value: bytes, bit: int = 0) -> bytes:
    data = bytearray(value)
    data[bit // 8 % len(data)] ^= 1 << (bit % 8)
    return bytes(data)


# --- known answers --------------------------------------------------------------------


def test_the_empty_tree_hashes_to_sha256_of_nothing():
    assert (
        merkle.root_hash([]).hex()
        == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    )
    assert merkle.EMPTY_ROOT.hex() == CT_ROOTS[0]


def test_roots_match_the_certificate_transparency_reference_heads():
    leaves = [merkle.hash_leaf(data) for data in CT_INPUTS]
    for size in range(0, 9):
        assert merkle.root_hash(leaves[:size]).hex() == CT_ROOTS[size]


def test_inclusion_proofs_match_the_reference_vectors():
    leaves = [merkle.hash_leaf(data) for data in CT_INPUTS]
    for index, size, expected in CT_INCLUSION:
        proof = merkle.inclusion_proof(index, size, merkle.list_source(leaves))
        assert [h.hex() for h in proof] == expected
        merkle.verify_inclusion(
            leaf_hash=leaves[index],
            index=index,
            size=size,
            proof=proof,
            root=bytes.fromhex(CT_ROOTS[size]),
        )


def test_consistency_proofs_match_the_reference_vectors():
    leaves = [merkle.hash_leaf(data) for data in CT_INPUTS]
    for first, second, expected in CT_CONSISTENCY:
        proof = merkle.consistency_proof(first, second, merkle.list_source(leaves))
        assert [h.hex() for h in proof] == expected
        merkle.verify_consistency(
            first=first,
            second=second,
            first_root=bytes.fromhex(CT_ROOTS[first]),
            second_root=bytes.fromhex(CT_ROOTS[second]),
            proof=proof,
        )


def test_the_streaming_root_equals_the_naive_root_for_every_size_up_to_256():
    builder = merkle.TreeBuilder()
    for size in range(1, 257):
        builder.append(LEAVES[size - 1])
        assert builder.root() == ROOTS[size]


def test_extending_in_runs_of_any_length_gives_the_same_roots_as_appending_one_by_one():
    rng = random.Random(5)
    for _ in range(60):
        builder = merkle.TreeBuilder()
        while builder.size < 256:
            run = rng.choice([1, 2, 3, 5, 8, 16, 31, 64, 100])
            builder.extend(LEAVES[builder.size : min(256, builder.size + run)])
            assert builder.root() == ROOTS[builder.size]
        naive = merkle.TreeBuilder()
        for leaf in LEAVES[:256]:
            naive.append(leaf)
        assert builder.state() == naive.state()


def test_a_tree_builder_continues_from_a_saved_compact_range():
    first = merkle.TreeBuilder()
    first.extend(LEAVES[:77])
    resumed = merkle.TreeBuilder(77, first.state())
    resumed.extend(LEAVES[77:200])
    assert resumed.root() == ROOTS[200]
    with pytest.raises(IntegrityFailure):
        merkle.TreeBuilder(76, first.state())


# --- every size 1..256 against the naive reference -------------------------------------


def _indices(size: int, rng: random.Random) -> set[int]:
    if size <= 40:
        return set(range(size))
    return {0, 1, size // 2, size - 2, size - 1, *rng.sample(range(size), 6)}


def test_inclusion_proofs_for_every_tree_size_match_the_naive_reference_and_verify():
    rng = random.Random(6962)
    for size in range(1, 257):
        for index in _indices(size, rng):
            proof = merkle.inclusion_proof(index, size, SOURCE)
            assert proof == naive_path(index, LEAVES[:size]), (index, size)
            merkle.verify_inclusion(
                leaf_hash=LEAVES[index], index=index, size=size, proof=proof, root=ROOTS[size]
            )


def test_consistency_proofs_for_every_tree_size_match_the_naive_reference_and_verify():
    rng = random.Random(9162)
    for second in range(1, 257):
        firsts = (
            set(range(1, second + 1))
            if second <= 40
            else {1, 2, second // 2, second - 1, second, *rng.sample(range(1, second + 1), 6)}
        )
        for first in firsts:
            proof = merkle.consistency_proof(first, second, SOURCE)
            expected = [] if first == second else naive_subproof(first, LEAVES[:second], True)
            assert proof == expected, (first, second)
            merkle.verify_consistency(
                first=first,
                second=second,
                first_root=ROOTS[first],
                second_root=ROOTS[second],
                proof=proof,
            )


# --- mutations: every one rejected with the same opaque error -------------------------


def _inclusion_mutations(index: int, size: int, proof: list[bytes]):
    leaf, root = LEAVES[index], ROOTS[size]
    for position in range(len(proof)):
        for bit in (0, 7, 128, 255):
            mutated = list(proof)
            mutated[position] = flip(proof[position], bit)
            yield (
                "flipped proof bit",
                dict(leaf_hash=leaf, index=index, size=size, proof=mutated, root=root),
            )
    yield (
        "flipped leaf bit",
        dict(leaf_hash=flip(leaf, 3), index=index, size=size, proof=proof, root=root),
    )
    yield (
        "flipped root bit",
        dict(leaf_hash=leaf, index=index, size=size, proof=proof, root=flip(root, 200)),
    )
    for wrong in {index - 1, index + 1, index ^ 1, size, size + 1} - {index}:
        if wrong >= 0:
            yield (
                f"wrong index {wrong}",
                dict(leaf_hash=leaf, index=wrong, size=size, proof=proof, root=root),
            )
    # A size only means something with its own root (a checkpoint signs the pair), so a
    # wrong size comes with the genuine root of that size.
    for wrong in {size - 1, size + 1, size * 2} - {size}:
        if 0 < wrong <= 256:
            yield (
                f"wrong size {wrong}",
                dict(leaf_hash=leaf, index=index, size=wrong, proof=proof, root=ROOTS[wrong]),
            )
    yield "size zero", dict(leaf_hash=leaf, index=index, size=0, proof=proof, root=root)
    if proof:
        yield "truncated", dict(leaf_hash=leaf, index=index, size=size, proof=proof[:-1], root=root)
        yield (
            "first hash dropped",
            dict(leaf_hash=leaf, index=index, size=size, proof=proof[1:], root=root),
        )
        yield (
            "short hash",
            dict(
                leaf_hash=leaf, index=index, size=size, proof=[proof[0][:31], *proof[1:]], root=root
            ),
        )
        if len(proof) > 1:
            yield (
                "reordered",
                dict(
                    leaf_hash=leaf, index=index, size=size, proof=list(reversed(proof)), root=root
                ),
            )
    yield (
        "extra hash",
        dict(leaf_hash=leaf, index=index, size=size, proof=[*proof, LEAVES[0]], root=root),
    )
    yield (
        "extra hash first",
        dict(leaf_hash=leaf, index=index, size=size, proof=[LEAVES[0], *proof], root=root),
    )
    yield "empty root", dict(leaf_hash=leaf, index=index, size=size, proof=proof, root=b"")
    yield (
        "empty-tree root",
        dict(leaf_hash=leaf, index=index, size=size, proof=proof, root=merkle.EMPTY_ROOT),
    )
    yield (
        "root of another size",
        dict(
            leaf_hash=leaf,
            index=index,
            size=size,
            proof=proof,
            root=ROOTS[size - 1] if size > 1 else ROOTS[2],
        ),
    )
    yield "negative index", dict(leaf_hash=leaf, index=-1, size=size, proof=proof, root=root)
    yield (
        "proof not a list",
        dict(leaf_hash=leaf, index=index, size=size, proof=b"".join(proof), root=root),
    )


def test_every_mutation_of_an_inclusion_proof_is_rejected():
    checked = 0
    for size in [*range(1, 34), 64, 100, 255, 256]:
        for index in sorted({0, size // 3, size // 2, size - 1}):
            proof = merkle.inclusion_proof(index, size, SOURCE)
            for label, kwargs in _inclusion_mutations(index, size, proof):
                with pytest.raises(ProofInvalid) as caught:
                    merkle.verify_inclusion(**kwargs)
                assert caught.value.message == "Proof verification failed.", label
                checked += 1
    assert checked > 3000


def _consistency_mutations(first: int, second: int, proof: list[bytes]):
    r1, r2 = ROOTS[first], ROOTS[second]
    base = dict(first=first, second=second, first_root=r1, second_root=r2)
    for position in range(len(proof)):
        for bit in (0, 9, 255):
            mutated = list(proof)
            mutated[position] = flip(proof[position], bit)
            yield "flipped proof bit", {**base, "proof": mutated}
    yield "flipped first root", {**base, "first_root": flip(r1, 1), "proof": proof}
    yield "flipped second root", {**base, "second_root": flip(r2, 254), "proof": proof}
    for wrong in {first - 1, first + 1} - {first}:
        if 0 < wrong < second:
            yield (
                f"wrong first size {wrong}",
                {**base, "first": wrong, "first_root": ROOTS[wrong], "proof": proof},
            )
    yield "first size zero", {**base, "first": 0, "proof": proof}
    for wrong in {second - 1, second + 1, second * 2} - {second}:
        if first < wrong <= 256:
            yield (
                f"wrong second size {wrong}",
                {**base, "second": wrong, "second_root": ROOTS[wrong], "proof": proof},
            )
    if proof:
        yield "truncated", {**base, "proof": proof[:-1]}
        yield "first hash dropped", {**base, "proof": proof[1:]}
    yield "extra hash", {**base, "proof": [*proof, LEAVES[0]]}
    yield "extra hash first", {**base, "proof": [LEAVES[1], *proof]}
    yield "empty first root", {**base, "first_root": b"", "proof": proof}
    yield "empty second root", {**base, "second_root": b"", "proof": proof}
    yield "empty-tree second root", {**base, "second_root": merkle.EMPTY_ROOT, "proof": proof}
    yield (
        "sizes swapped",
        {
            **base,
            "first": second,
            "second": first,
            "first_root": r2,
            "second_root": r1,
            "proof": proof,
        },
    )


def test_every_mutation_of_a_consistency_proof_is_rejected():
    checked = 0
    for second in [*range(2, 34), 64, 100, 255, 256]:
        for first in sorted({1, second // 3 or 1, second // 2, second - 1}):
            proof = merkle.consistency_proof(first, second, SOURCE)
            for label, kwargs in _consistency_mutations(first, second, proof):
                with pytest.raises(ProofInvalid):
                    merkle.verify_consistency(**kwargs)
                checked += 1
                assert label
    assert checked > 1500


def test_equal_sizes_need_an_empty_proof_and_equal_roots():
    merkle.verify_consistency(
        first=5, second=5, first_root=ROOTS[5], second_root=ROOTS[5], proof=[]
    )
    with pytest.raises(ProofInvalid):
        merkle.verify_consistency(
            first=5, second=5, first_root=ROOTS[5], second_root=ROOTS[5], proof=[LEAVES[0]]
        )
    with pytest.raises(ProofInvalid):
        merkle.verify_consistency(
            first=5, second=5, first_root=ROOTS[5], second_root=ROOTS[6], proof=[]
        )


def test_a_proof_for_a_tree_larger_than_the_stored_leaves_is_refused():
    with pytest.raises(IntegrityFailure):
        merkle.inclusion_proof(3, 300, SOURCE)
