"""The public ledger API: blocks, checkpoints, records, proofs, keys and cosignatures.

Everything here is public: the log is meant to be checked by outsiders. Proofs are
RFC 6962 audit paths with hashes in base64, as in C2SP tlog-proof.
"""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel, Field
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from ledger import store
from ledger.errors import BadProofQuery, NotFound
from ledger.exceptions import VerificationError
from ledger.keys import Verifier
from ledger.models import Block, Cosignature
from ledger.note import add_signatures, open_note, parse_signature_line
from plumbing.bounds import NonNegativeInt64, PositiveInt64
from plumbing.deps import SessionDep

router = APIRouter(prefix="/v1/ledger", tags=["ledger"])
_TEXT = PlainTextResponse


class BlockPublic(BaseModel):
    height: int
    first_index: int
    tree_size: int
    root_hex: str
    prev_hash_hex: str
    block_hash_hex: str
    created_at: datetime
    checkpoint: str


class RecordPublic(BaseModel):
    index: int
    type: str
    leaf_hash_hex: str
    body_base64: str
    block_height: int


class InclusionProof(BaseModel):
    index: int
    tree_size: int
    leaf_hash: str
    proof: list[str]


class ConsistencyProof(BaseModel):
    first: int
    second: int
    proof: list[str]


class CosignatureCreate(BaseModel):
    tree_size: PositiveInt64
    signature_line: str = Field(min_length=1, max_length=512)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _public(block: Block) -> BlockPublic:
    return BlockPublic(
        height=block.height,
        first_index=block.first_index,
        tree_size=block.tree_size,
        root_hex=block.root.hex(),
        prev_hash_hex=block.prev_hash.hex(),
        block_hash_hex=block.block_hash.hex(),
        created_at=block.created_at,
        checkpoint=block.checkpoint,
    )


def _latest(session: SessionDep) -> Block:
    block = store.latest_block(session)
    if block is None:
        raise NotFound("the log is empty: no checkpoint yet")
    return block


@router.get("/blocks", response_model=list[BlockPublic])
def list_blocks(
    session: SessionDep,
    before: Annotated[
        NonNegativeInt64 | None, Query(description="height cursor, newest first")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> list[BlockPublic]:
    query = select(Block)
    if before is not None:
        query = query.where(col(Block.height) < before)
    blocks = session.scalars(query.order_by(col(Block.height).desc()).limit(limit))
    return [_public(b) for b in blocks]


@router.get("/blocks/{height}", response_model=BlockPublic)
def read_block(height: NonNegativeInt64, session: SessionDep) -> BlockPublic:
    block = session.get(Block, height)
    if block is None:
        raise NotFound(f"no block at height {height}")
    return _public(block)


@router.get("/key", response_class=_TEXT)
def read_key(request: Request) -> str:
    """The log's verifier keys, C2SP form, one per line; the last is the newest."""
    keys: list[str] = request.app.state.log_verifier_keys
    return "".join(k + "\n" for k in keys)


@router.get("/checkpoint", response_class=_TEXT)
def read_checkpoint(session: SessionDep) -> str:
    """The newest signed checkpoint, with every cosignature collected so far."""
    return store.checkpoint_with_cosignatures(session, _latest(session))


@router.get("/checkpoints/{tree_size}", response_class=_TEXT)
def read_checkpoint_at(tree_size: PositiveInt64, session: SessionDep) -> str:
    block = store.block_at_size(session, tree_size)
    if block is None:
        raise NotFound(f"no checkpoint of size {tree_size}: checkpoints end blocks")
    return store.checkpoint_with_cosignatures(session, block)


@router.get("/records/{index}", response_model=RecordPublic)
def read_record(index: NonNegativeInt64, session: SessionDep) -> RecordPublic:
    record = store.record_at(session, index)
    if record is None:
        raise NotFound(f"no record {index}")
    return RecordPublic(
        index=record.idx,
        type=record.type,
        leaf_hash_hex=record.leaf_hash.hex(),
        body_base64=_b64(record.body),
        block_height=record.block_height,
    )


@router.get(
    "/proofs/inclusion",
    response_model=InclusionProof,
    responses={404: {"description": "no record of that index or leaf hash"}},
)
def read_inclusion_proof(
    session: SessionDep,
    index: NonNegativeInt64 | None = None,
    leaf_hash: Annotated[str | None, Query(description="hex, instead of index")] = None,
    tree_size: Annotated[PositiveInt64 | None, Query(description="default: the newest")] = None,
) -> InclusionProof:
    if (index is None) == (leaf_hash is None):
        raise BadProofQuery("give exactly one of index and leaf_hash")
    if leaf_hash is not None:
        try:
            found = store.index_of_leaf(session, bytes.fromhex(leaf_hash))
        except ValueError:
            raise BadProofQuery(f"leaf_hash is not hex: {leaf_hash!r}") from None
        if found is None:
            raise NotFound(f"no record with leaf hash {leaf_hash}")
        index = found
    assert index is not None
    size = tree_size if tree_size is not None else _latest(session).tree_size
    if store.block_at_size(session, size) is None:
        raise NotFound(f"no checkpoint of size {size}: checkpoints end blocks")
    if not 0 <= index < size:
        raise BadProofQuery(f"index {index} is not in a tree of size {size}")
    record = store.record_at(session, index)
    assert record is not None
    proof = store.inclusion_proof(session, index, size)
    return InclusionProof(
        index=index,
        tree_size=size,
        leaf_hash=_b64(record.leaf_hash),
        proof=[_b64(h) for h in proof],
    )


@router.get(
    "/proofs/consistency",
    response_model=ConsistencyProof,
    responses={404: {"description": "a size that ends no checkpoint"}},
)
def read_consistency_proof(
    first: NonNegativeInt64, second: NonNegativeInt64, session: SessionDep
) -> ConsistencyProof:
    if not 0 < first <= second:
        raise BadProofQuery(f"expected 0 < first <= second, got first={first}, second={second}")
    for size in (first, second):
        if store.block_at_size(session, size) is None:
            raise NotFound(f"no checkpoint of size {size}: checkpoints end blocks")
    proof = store.consistency_proof(session, first, second)
    return ConsistencyProof(first=first, second=second, proof=[_b64(h) for h in proof])


@router.post(
    "/cosignatures",
    status_code=201,
    responses={404: {"description": "no checkpoint of that tree size"}},
)
def post_cosignature(
    body: CosignatureCreate, request: Request, session: SessionDep
) -> dict[str, str]:
    """A witness's cosignature of a checkpoint; kept only if a trusted witness made it."""
    block = store.block_at_size(session, body.tree_size)
    if block is None:
        raise NotFound(f"no checkpoint of size {body.tree_size}")
    witnesses: list[Verifier] = request.app.state.witness_verifiers
    line = body.signature_line.strip("\n")
    try:
        signature = parse_signature_line(line)
        opened = open_note(add_signatures(block.checkpoint, [signature]), witnesses)
    except (VerificationError, ValueError) as error:
        raise BadProofQuery(f"cosignature rejected: {error}") from None
    if signature.name not in {v.name for v in opened.verified}:
        raise BadProofQuery(f"no trusted witness named {signature.name!r} signed this checkpoint")
    session.add(Cosignature(tree_size=body.tree_size, witness=signature.name, signature_line=line))
    try:
        session.commit()
    except IntegrityError:
        session.rollback()  # the witness cosigned this size before: keep the first
    return {"tree_size": str(body.tree_size), "witness": signature.name}
