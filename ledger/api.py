"""The public ledger API: blocks, checkpoints and the log's verifier key."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Query, Request
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel
from sqlmodel import col, select

from farechain.deps import SessionDep
from ledger import store
from ledger.errors import NotFound
from ledger.models import Block

router = APIRouter(prefix="/v1/ledger", tags=["ledger"])


class BlockPublic(BaseModel):
    height: int
    first_index: int
    tree_size: int
    root_hex: str
    prev_hash_hex: str
    block_hash_hex: str
    created_at: datetime
    checkpoint: str


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


@router.get("/blocks", response_model=list[BlockPublic])
def list_blocks(
    session: SessionDep,
    before: int | None = Query(default=None, description="height cursor, newest first"),
    limit: int = Query(default=50, ge=1, le=500),
) -> list[BlockPublic]:
    query = select(Block)
    if before is not None:
        query = query.where(col(Block.height) < before)
    blocks = session.scalars(query.order_by(col(Block.height).desc()).limit(limit))
    return [_public(b) for b in blocks]


@router.get("/blocks/{height}", response_model=BlockPublic)
def read_block(height: int, session: SessionDep) -> BlockPublic:
    block = session.get(Block, height)
    if block is None:
        raise NotFound(f"no block at height {height}")
    return _public(block)


@router.get("/key", response_class=PlainTextResponse)
def read_key(request: Request) -> str:
    """The log's public key as C2SP verifier keys, one per line (several during rotation)."""
    keys: list[str] = request.app.state.log_verifier_keys
    return "\n".join(keys) + "\n"


@router.get("/checkpoint", response_class=PlainTextResponse)
def read_checkpoint(session: SessionDep) -> str:
    block = store.latest_block(session)
    if block is None:
        raise NotFound("the log is empty: no checkpoint yet")
    return block.checkpoint + "".join(store.cosignature_lines(session, block.tree_size))
