"""Conformance against the public RFC 6962 vectors in ../shared/conformance/rfc6962/.

* transparency-dev/merkle testdata: every inclusion and consistency case, each
  through our verifier; ``wantErr`` says which must fail.
* C2SP CCTV: the tree hashes, and valid and invalid inclusion and consistency proofs.

Our verifier must agree with every case, and our stored-node tree (ledger.tree)
must produce the same roots and proofs as every valid case.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from ledger.exceptions import ProofError
from ledger.merkle import leaf_hash, verify_consistency, verify_inclusion
from ledger.tree import NodeAddr, append, consistency_proof, inclusion_proof, root_at

REPO = Path(__file__).resolve().parents[2]
VECTORS = REPO.parent / "shared" / "conformance" / "rfc6962"

pytestmark = pytest.mark.skipif(
    not VECTORS.is_dir(), reason=f"public RFC 6962 vectors not found at {VECTORS}"
)

TD_LEAVES = [
    bytes.fromhex(h)
    for h in ["", "00", "10", "2021", "3031", "40414243", "5051525354555657",
              "606162636465666768696a6b6c6d6e6f"]
]  # fmt: skip


def _cases(kind: str) -> list[Any]:
    if not VECTORS.is_dir():
        return []
    files = sorted((VECTORS / kind).rglob("*.json"))
    return [pytest.param(path, id=str(path.relative_to(VECTORS))) for path in files]


def _cctv(name: str) -> list[Any]:
    if not VECTORS.is_dir():
        return []
    cases = json.loads((VECTORS / "cctv" / name).read_text())
    return [pytest.param(case, id=f"{name}[{i}]") for i, case in enumerate(cases)]


def _b64(text: str) -> bytes:
    return base64.b64decode(text)


def _store(leaves: list[bytes]) -> dict[NodeAddr, bytes]:
    # Append one leaf per block so every intermediate frontier is exercised.
    nodes: dict[NodeAddr, bytes] = {}
    frontier: tuple[bytes, ...] = ()
    for size, leaf in enumerate(leaves):
        result = append(frontier, size, [leaf])
        nodes.update(result.nodes)
        frontier = result.frontier
    return nodes


def test_the_corpus_is_complete() -> None:
    assert len(_cases("inclusion")) == 98
    assert len(_cases("consistency")) == 98
    assert [len(_cctv(n)) for n in ("inclusion-valid.json", "inclusion-invalid.json")] == [4, 4]
    assert [len(_cctv(n)) for n in ("consistency-valid.json", "consistency-invalid.json")] == [
        4,
        16,
    ]


@pytest.mark.parametrize("path", _cases("inclusion"))
def test_transparency_dev_inclusion(path: Path) -> None:
    case = json.loads(path.read_text())
    args = (
        _b64(case["leafHash"]),
        case["leafIdx"],
        case["treeSize"],
        [_b64(p) for p in case["proof"] or []],
        _b64(case["root"]),
    )
    if case["wantErr"]:
        with pytest.raises(ProofError):
            verify_inclusion(*args)
    else:
        verify_inclusion(*args)


@pytest.mark.parametrize("path", _cases("consistency"))
def test_transparency_dev_consistency(path: Path) -> None:
    case = json.loads(path.read_text())
    args = (
        case["size1"],
        case["size2"],
        [_b64(p) for p in case["proof"] or []],
        _b64(case["root1"]),
        _b64(case["root2"]),
    )
    if case["wantErr"]:
        with pytest.raises(ProofError):
            verify_consistency(*args)
    else:
        verify_consistency(*args)


@pytest.mark.parametrize("path", [p for p in _cases("inclusion") if "happy-path" in str(p.id)])
def test_our_tree_reproduces_transparency_dev_inclusion(path: Path) -> None:
    case = json.loads(path.read_text())
    index, size = case["leafIdx"], case["treeSize"]
    nodes = _store([leaf_hash(x) for x in TD_LEAVES])
    assert nodes[NodeAddr(0, index)] == _b64(case["leafHash"])
    assert root_at(size, nodes) == _b64(case["root"])
    assert inclusion_proof(index, size, nodes) == [_b64(p) for p in case["proof"] or []]


@pytest.mark.parametrize("path", [p for p in _cases("consistency") if "happy-path" in str(p.id)])
def test_our_tree_reproduces_transparency_dev_consistency(path: Path) -> None:
    case = json.loads(path.read_text())
    size1, size2 = case["size1"], case["size2"]
    nodes = _store([leaf_hash(x) for x in TD_LEAVES])
    assert root_at(size1, nodes) == _b64(case["root1"])
    assert root_at(size2, nodes) == _b64(case["root2"])
    assert consistency_proof(size1, size2, nodes) == [_b64(p) for p in case["proof"] or []]


def _cctv_nodes() -> dict[NodeAddr, bytes]:
    tree = json.loads((VECTORS / "cctv" / "merkle_tree.json").read_text())
    return _store([leaf_hash(entry["leaf_data"].encode()) for entry in tree])


def test_cctv_merkle_tree_roots() -> None:
    tree = json.loads((VECTORS / "cctv" / "merkle_tree.json").read_text())
    nodes = _cctv_nodes()
    for size, entry in enumerate(tree, start=1):
        assert leaf_hash(entry["leaf_data"].encode()) == _b64(entry["leaf_hash"])
        assert root_at(size, nodes) == _b64(entry["root_hash"])


def _cctv_inclusion_args(case: dict[str, Any]) -> tuple[bytes, int, int, list[bytes], bytes]:
    return (
        _b64(case["leaf_hash"]),
        case["leaf_index"],
        case["tree_size"],
        [_b64(p) for p in case["inclusion_path"]],
        _b64(case["root_hash"]),
    )


@pytest.mark.parametrize("case", _cctv("inclusion-valid.json"))
def test_cctv_valid_inclusion(case: dict[str, Any]) -> None:
    leaf, index, size, path, root = _cctv_inclusion_args(case)
    verify_inclusion(leaf, index, size, path, root)
    nodes = _cctv_nodes()
    assert root_at(size, nodes) == root
    assert inclusion_proof(index, size, nodes) == path


@pytest.mark.parametrize("case", _cctv("inclusion-invalid.json"))
def test_cctv_invalid_inclusion(case: dict[str, Any]) -> None:
    with pytest.raises(ProofError):
        verify_inclusion(*_cctv_inclusion_args(case))


def _cctv_consistency_args(case: dict[str, Any]) -> tuple[int, int, list[bytes], bytes, bytes]:
    return (
        case["old_size"],
        case["new_size"],
        [_b64(p) for p in case["consistency_path"]],
        _b64(case["old_root"]),
        _b64(case["new_root"]),
    )


@pytest.mark.parametrize("case", _cctv("consistency-valid.json"))
def test_cctv_valid_consistency(case: dict[str, Any]) -> None:
    size1, size2, path, root1, root2 = _cctv_consistency_args(case)
    verify_consistency(size1, size2, path, root1, root2)
    nodes = _cctv_nodes()
    assert root_at(size2, nodes) == root2
    assert consistency_proof(size1, size2, nodes) == path


@pytest.mark.parametrize("case", _cctv("consistency-invalid.json"))
def test_cctv_invalid_consistency(case: dict[str, Any]) -> None:
    with pytest.raises(ProofError):
        verify_consistency(*_cctv_consistency_args(case))
