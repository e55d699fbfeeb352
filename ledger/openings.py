"""The private table of openings: reading records whole, and erasing a person.

A version-2 record on the public log carries only a commitment to its personal fields
(`ledger.commitment`); the block writer stores each opening in `ledger_openings` in the
same transaction (`ledger.store.BlockAppender.add`). Code that needs a record whole (the
audit, credit notes, the tax bureau's checks) reads it through `open_body`/`open_bodies`.

`erase_subject` deletes a rider's openings. The public log is untouched and still
verifies; what it said about the rider can no longer be tied to anyone. A record whose
opening is gone reads as its public fields with `erased` set.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import delete
from sqlalchemy.orm import Session
from sqlmodel import col, select

from ledger.commitment import Opening, open_record
from ledger.models import LedgerOpening
from storage.types import among

__all__ = [
    "OpenedRecord",
    "erase_subject",
    "load_openings",
    "open_bodies",
    "open_body",
    "whole_record",
]


@dataclass(frozen=True, slots=True)
class OpenedRecord:
    fields: dict[str, object]  # the whole record, or its public fields when erased
    erased: bool = False  # a committed record whose opening was deleted


def load_openings(session: Session, indices: Iterable[int]) -> dict[int, Opening]:
    rows = session.execute(
        select(
            col(LedgerOpening.idx),
            col(LedgerOpening.subject),
            col(LedgerOpening.salt),
            col(LedgerOpening.personal),
        ).where(among(session, col(LedgerOpening.idx), list(indices)))
    )
    return {idx: Opening(subject, salt, personal) for idx, subject, salt, personal in rows}


def open_body(session: Session, index: int, body: bytes) -> OpenedRecord:
    """Record `index` whole; raises `RecordError` when its opening does not match."""
    public = orjson.loads(body)
    if "personal" not in public:
        return OpenedRecord(public)  # a record before version 2, or one with no person
    row = session.get(LedgerOpening, index)
    if row is None:
        return OpenedRecord(public, erased=True)
    return OpenedRecord(open_record(public, Opening(row.subject, row.salt, row.personal)))


def open_bodies(
    session: Session, rows: Iterable[tuple[int, bytes]], *, batch: int = 2_000
) -> Iterator[tuple[int, OpenedRecord]]:
    """`open_body` over many records, reading their openings a batch at a time."""
    chunk: list[tuple[int, bytes]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= batch:
            yield from _open_chunk(session, chunk)
            chunk = []
    if chunk:
        yield from _open_chunk(session, chunk)


def _open_chunk(
    session: Session, chunk: list[tuple[int, bytes]]
) -> Iterator[tuple[int, OpenedRecord]]:
    parsed = [(index, orjson.loads(body)) for index, body in chunk]
    openings = load_openings(session, [i for i, public in parsed if "personal" in public])
    for index, public in parsed:
        if "personal" not in public:
            yield index, OpenedRecord(public)
        elif index not in openings:
            yield index, OpenedRecord(public, erased=True)
        else:
            yield index, OpenedRecord(open_record(public, openings[index]))


def whole_record(body: bytes, salt: bytes | None, personal: bytes | None) -> dict[str, Any] | None:
    """A record whole from its body and its opening's columns (an outer join's row);
    None for a committed record whose opening was erased. `RecordError` on a mismatch."""
    public: dict[str, Any] = orjson.loads(body)
    if "personal" not in public:
        return public  # before version 2 (or no person in it): all in clear
    if salt is None or personal is None:
        return None
    return open_record(public, Opening("", salt, personal))


def erase_subject(session: Session, subject: str) -> int:
    """Delete every opening about `subject` (a rider id); returns how many. No commit."""
    result = session.execute(delete(LedgerOpening).where(col(LedgerOpening.subject) == subject))
    return int(getattr(result, "rowcount", 0) or 0)
