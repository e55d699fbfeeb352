"""RFC 6962 hashing and proof verification: inline known answers and properties.

The known answers below run everywhere; the full public corpus is exercised in
test_ledger_vectors.py when ../shared is present.
"""

from __future__ import annotations

import base64

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.exceptions import ProofError
from ledger.merkle import (
    EMPTY_ROOT,
    leaf_hash,
    node_hash,
    reference_consistency_proof,
    reference_inclusion_proof,
    root_of,
    verify_consistency,
    verify_inclusion,
)


def b64(text: str) -> bytes:
    return base64.b64decode(text)


# The eight leaf inputs behind the transparency-dev/merkle corpus, and its roots.
TD_LEAVES = [
    bytes.fromhex(h)
    for h in ["", "00", "10", "2021", "3031", "40414243", "5051525354555657",
              "606162636465666768696a6b6c6d6e6f"]
]  # fmt: skip
TD_ROOTS = {
    1: "bjQLnP+zepicpUTmu3gKLHiQHT+zNzh2hRGjBhevoB0=",
    2: "+sVCA+fMaWzw38tCySodnbr3CtnmIfS9jZhmLwDjwSU=",
    3: "rra8/idLcKFPsGel5VeCZNsPqbUa9eC6FZFY8yngbnc=",
    4: "037kGJdt2VdTwcc4Yrk5j6Kiz5tP8P3+izDNlSCWFLc=",
    5: "Tju7H3tHjc/nH7YxYxUZo7yhLJrvyhYSv85ME6hiZNQ=",
    8: "XcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=",
}
# C2SP CCTV: leaves "a", "b", ...; roots at sizes 1, 2 and 10.
CCTV_ROOTS = {
    1: "Aippeebat6pa5MPl5F9+l3ESp+Y1k4INvsHsc4ok+Tw=",
    2: "sTeYX/SE+2ANuTEHx3sDZcgNePW0Kd7Q/Zc2HQd5mes=",
    10: "X61aoZjC9sMP0iZaieElFosOH2CCZBO0W4EKIglQvSU=",
}


def test_empty_tree_hash_is_sha256_of_nothing() -> None:
    assert EMPTY_ROOT.hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert root_of([]) == EMPTY_ROOT


def test_leaf_and_node_hashes_are_domain_separated() -> None:
    assert (
        leaf_hash(b"").hex() == "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"
    )
    a, b = leaf_hash(b"a"), leaf_hash(b"b")
    assert node_hash(a, b) != leaf_hash(a + b)
    assert node_hash(a, b) == b64(CCTV_ROOTS[2])


@pytest.mark.parametrize("size", sorted(TD_ROOTS))
def test_roots_of_the_transparency_dev_tree(size: int) -> None:
    assert root_of([leaf_hash(x) for x in TD_LEAVES[:size]]) == b64(TD_ROOTS[size])


@pytest.mark.parametrize("size", sorted(CCTV_ROOTS))
def test_roots_of_the_cctv_tree(size: int) -> None:
    leaves = [leaf_hash(chr(ord("a") + i).encode()) for i in range(size)]
    assert root_of(leaves) == b64(CCTV_ROOTS[size])


def test_known_inclusion_proof_for_leaf_5_of_8() -> None:
    leaves = [leaf_hash(x) for x in TD_LEAVES]
    proof = reference_inclusion_proof(leaves, 5)
    assert proof == [
        b64("vBoGQ7EuTS18d5GPROD095qDi2z57FtcKD4fTYhZnms="),
        b64("yoVOoSjtBQtBs1/8G4e46yveRh6eO1WW7Oa51ZdaCuA="),
        b64("037kGJdt2VdTwcc4Yrk5j6Kiz5tP8P3+izDNlSCWFLc="),
    ]
    verify_inclusion(leaves[5], 5, 8, proof, b64(TD_ROOTS[8]))


def test_known_consistency_proof_from_2_to_5() -> None:
    leaves = [leaf_hash(x) for x in TD_LEAVES[:5]]
    proof = reference_consistency_proof(leaves, 2)
    assert proof == [
        b64("Xwg/ChozygdqlSeYMlgNs+DvRYS9/x9UyKNg9Q3jAx4="),
        b64("vBoGQ7EuTS18d5GPROD095qDi2z57FtcKD4fTYhZnms="),
    ]
    verify_consistency(2, 5, proof, b64(TD_ROOTS[2]), b64(TD_ROOTS[5]))


def test_failures_say_what_was_expected() -> None:
    leaves = [leaf_hash(x) for x in TD_LEAVES]
    proof = reference_inclusion_proof(leaves, 3)
    with pytest.raises(ProofError, match=f"expected root {b64(TD_ROOTS[8]).hex()}, got "):
        verify_inclusion(leaves[2], 3, 8, proof, b64(TD_ROOTS[8]))
    with pytest.raises(ProofError, match="index < size"):
        verify_inclusion(leaves[0], 8, 8, proof, b64(TD_ROOTS[8]))
    with pytest.raises(ProofError, match="32 bytes"):
        verify_inclusion(leaves[3], 3, 8, [*proof[:2], b"short"], b64(TD_ROOTS[8]))


def test_consistency_edge_cases() -> None:
    root = b64(CCTV_ROOTS[1])
    verify_consistency(0, 0, [], EMPTY_ROOT, EMPTY_ROOT)
    verify_consistency(0, 1, [], EMPTY_ROOT, root)
    verify_consistency(1, 1, [], root, root)
    with pytest.raises(ProofError, match="size1 <= size2"):
        verify_consistency(2, 1, [], root, root)
    with pytest.raises(ProofError, match="empty tree"):
        verify_consistency(0, 1, [], root, root)
    with pytest.raises(ProofError, match="expected an empty proof"):
        verify_consistency(1, 1, [root], root, root)
    with pytest.raises(ProofError, match="non-empty proof"):
        verify_consistency(1, 2, [], root, b64(CCTV_ROOTS[2]))


_sizes = st.integers(1, 70)


def _leaves(size: int) -> list[bytes]:
    return [leaf_hash(i.to_bytes(4, "big")) for i in range(size)]


@given(_sizes, st.data())
@settings(deadline=None)
def test_every_inclusion_proof_verifies_and_any_flipped_bit_fails(
    size: int, data: st.DataObject
) -> None:
    leaves = _leaves(size)
    root = root_of(leaves)
    index = data.draw(st.integers(0, size - 1))
    proof = reference_inclusion_proof(leaves, index)
    verify_inclusion(leaves[index], index, size, proof, root)
    if proof:
        which = data.draw(st.integers(0, len(proof) - 1))
        bit = data.draw(st.integers(0, 8 * 32 - 1))
        flipped = bytearray(proof[which])
        flipped[bit // 8] ^= 1 << (bit % 8)
        bad = [*proof[:which], bytes(flipped), *proof[which + 1 :]]
        with pytest.raises(ProofError):
            verify_inclusion(leaves[index], index, size, bad, root)
    bit = data.draw(st.integers(0, 8 * 32 - 1))
    leaf = bytearray(leaves[index])
    leaf[bit // 8] ^= 1 << (bit % 8)
    with pytest.raises(ProofError):
        verify_inclusion(bytes(leaf), index, size, proof, root)


@given(_sizes, st.data())
@settings(deadline=None)
def test_an_inclusion_proof_proves_only_its_own_index(size: int, data: st.DataObject) -> None:
    leaves = _leaves(size)
    index = data.draw(st.integers(0, size - 1))
    other = data.draw(st.integers(0, size).filter(lambda i: i != index))
    proof = reference_inclusion_proof(leaves, index)
    with pytest.raises(ProofError):
        verify_inclusion(leaves[index], other, size, proof, root_of(leaves))


@given(_sizes, st.data())
@settings(deadline=None)
def test_every_consistency_proof_verifies_and_any_flipped_bit_fails(
    size2: int, data: st.DataObject
) -> None:
    leaves = _leaves(size2)
    size1 = data.draw(st.integers(0, size2))
    root1, root2 = root_of(leaves[:size1]), root_of(leaves)
    proof = reference_consistency_proof(leaves, size1)
    verify_consistency(size1, size2, proof, root1, root2)
    if proof:
        which = data.draw(st.integers(0, len(proof) - 1))
        bit = data.draw(st.integers(0, 8 * 32 - 1))
        flipped = bytearray(proof[which])
        flipped[bit // 8] ^= 1 << (bit % 8)
        bad = [*proof[:which], bytes(flipped), *proof[which + 1 :]]
        with pytest.raises(ProofError):
            verify_consistency(size1, size2, bad, root1, root2)
    if 0 < size1 < size2:
        with pytest.raises(ProofError):
            verify_consistency(size1, size2, proof, root2, root1)


def test_proofs_of_the_wrong_length_say_so() -> None:
    leaves = [leaf_hash(x) for x in TD_LEAVES]
    root = b64(TD_ROOTS[8])
    proof = reference_inclusion_proof(leaves, 5)
    with pytest.raises(ProofError, match="shorter proof"):
        verify_inclusion(leaves[5], 5, 8, [*proof, root], root)
    with pytest.raises(ProofError, match="longer proof"):
        verify_inclusion(leaves[5], 5, 8, proof[:-1], root)
    consistency = reference_consistency_proof(leaves[:5], 2)
    roots = (b64(TD_ROOTS[2]), b64(TD_ROOTS[5]))
    with pytest.raises(ProofError, match="shorter proof"):
        verify_consistency(2, 5, [*consistency, root], *roots)
    with pytest.raises(ProofError, match="longer proof"):
        verify_consistency(2, 5, consistency[:-1], *roots)
