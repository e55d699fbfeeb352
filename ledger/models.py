"""Tables of the ledger: the records, the Merkle tree's interior, the blocks and their head.

`ledger_records.body` holds the canonical record bytes, the truth every other table is a
projection of. `merkle_nodes` keeps the perfect subtree hashes of level 4 and up; with
the leaf hashes in `ledger_records`, a proof is two indexed reads (ledger.store).
`ledger_head` is a single row that block writers lock, so two batchers can never append
at the same tree size.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Column, Integer, LargeBinary, Text
from sqlmodel import Field, SQLModel

from storage.types import UtcDateTime


class LedgerRecord(SQLModel, table=True):
    __tablename__ = "ledger_records"

    idx: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    type: str
    body: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    leaf_hash: bytes = Field(sa_column=Column(LargeBinary, nullable=False, index=True))
    block_height: int  # not indexed: a block's records are an idx range (blocks table)


class MerkleNode(SQLModel, table=True):
    __tablename__ = "merkle_nodes"

    level: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))
    idx: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    hash: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class Block(SQLModel, table=True):
    __tablename__ = "blocks"

    height: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    first_index: int = Field(sa_column=Column(BigInteger, nullable=False))
    tree_size: int = Field(sa_column=Column(BigInteger, nullable=False, unique=True))
    root: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    prev_hash: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    block_hash: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    created_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    checkpoint: str = Field(sa_column=Column(Text, nullable=False))


class Cosignature(SQLModel, table=True):
    __tablename__ = "cosignatures"

    tree_size: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    witness: str = Field(primary_key=True)
    signature_line: str = Field(sa_column=Column(Text, nullable=False))


class LedgerHead(SQLModel, table=True):
    __tablename__ = "ledger_head"

    id: int = Field(default=1, primary_key=True)
    tree_size: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    height: int = Field(default=-1, sa_column=Column(BigInteger, nullable=False))
    block_hash: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class LedgerOpening(SQLModel, table=True):
    """The private half of a version-2 record: what opens its personal commitment.

    Never served by the public API; its owner gets it in a receipt. Deleting a rider's
    rows (`ledger.openings.erase_subject`) erases the person and leaves the log valid.
    """

    __tablename__ = "ledger_openings"

    idx: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    subject: str = Field(sa_column=Column(Text, nullable=False, index=True))
    salt: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    personal: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
