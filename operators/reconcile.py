"""Reconciling an operator's device journal for a settled day with the ledger.

The journal streams in (`operators.journal`), each row screened (a row that cannot be
read, a device that is not the operator's, a time outside the business day: a report
line each), the rest sorted by tap id with bounded memory (`operators.spill`) and
joined with the operator's taps on the ledger (`operators.matcher`), sorted the same
way. The ledger side is fixed by the latest settlement (`ledger_to`): the day must be
settled, and the report names the bound it used.

The report's id comes from the operator, the day, that bound and the SHA-256 of the
uploaded bytes, so the same upload gives the same report: the second time the stored
one is returned. The report and all its lines are written in one transaction at the
end; a fault of the file (columns, encoding, size) rolls back everything.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func
from sqlalchemy.orm import Session
from sqlmodel import col, select

from operators.clearing import business_day, day_bounds
from operators.errors import DayNotClosed, InvalidJournal
from operators.extract import first_index_after, ledger_taps
from operators.journal import JournalError, JournalRow, RowProblem, read_journal
from operators.matcher import Line, MatchCounts, match
from operators.models import ReconciliationLine, ReconciliationReport, Settlement
from operators.spill import sorted_stream
from storage.bulk import insert_rows
from storage.types import core_table
from trips.models import Device

__all__ = ["ReconcileLimits", "reconcile"]

_JOURNEY_SPAN = dt.timedelta(hours=5)  # a trip's entry may precede its day's start
_INSERT_ROWS = 5_000
_SCREENED = frozenset({"bad_row", "unknown_device", "outside_day"})


@dataclass(frozen=True, slots=True)
class ReconcileLimits:
    max_rows: int = 2_000_000
    chunk_rows: int = 50_000
    progress_every: int = 100_000


class _Hashing:
    """Passes chunks through while hashing them and counting bytes."""

    def __init__(self, chunks: Iterable[bytes]) -> None:
        self._chunks = chunks
        self.digest = hashlib.sha256()

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self._chunks:
            self.digest.update(chunk)
            yield chunk


def _screen(
    rows: Iterable[JournalRow | RowProblem],
    *,
    devices: set[str],
    day: dt.date,
    cut_min: int,
    screened: list[Line],
    progress: Callable[[int], None] | None,
    every: int,
) -> Iterator[JournalRow]:
    count = 0
    for row in rows:
        count += 1
        if progress is not None and count % every == 0:
            progress(count)
        if isinstance(row, RowProblem):
            screened.append(Line("bad_row", row.key, journal_line=row.line, detail=row.reason))
        elif row.device not in devices:
            detail = f"device {row.device!r} is not one of this operator's"
            screened.append(
                Line("unknown_device", row.key, row.device, row.line, row.amount_fen, detail=detail)
            )
        elif business_day(row.at, cut_min) != day:
            detail = f"time {row.at.isoformat()} is outside business day {day}"
            screened.append(
                Line("outside_day", row.key, row.device, row.line, row.amount_fen, detail=detail)
            )
        else:
            yield row
    if progress is not None:
        progress(count)


def _as_dict(line: Line) -> dict[str, Any]:
    return {name: getattr(line, name) for name in Line.__slots__}


def _row(report_id: str, seq: int, line: Line) -> dict[str, Any]:
    return {"report_id": report_id, "seq": seq, **_as_dict(line)}


def reconcile(
    session: Session,
    *,
    operator: str,
    day: dt.date,
    chunks: Iterable[bytes],
    cut_min: int,
    now: dt.datetime,
    limits: ReconcileLimits = ReconcileLimits(),
    progress: Callable[[int], None] | None = None,
) -> ReconciliationReport:
    """The report of this upload; commits it (or returns the one stored before)."""
    bound = session.scalar(select(func.max(col(Settlement.ledger_to))))
    if session.get(Settlement, day.isoformat()) is None or bound is None:
        raise DayNotClosed(f"expected a settled day, got {day}: settle it first")
    devices = set(
        session.scalars(select(col(Device.id)).where(col(Device.operator_id) == operator))
    )
    start, _ = day_bounds(day, cut_min)
    lo = first_index_after(session, start - _JOURNEY_SPAN)
    upload = _Hashing(chunks)
    screened: list[Line] = []
    counts = MatchCounts()
    try:
        journal = _screen(
            read_journal(upload, max_rows=limits.max_rows),
            devices=devices,
            day=day,
            cut_min=cut_min,
            screened=screened,
            progress=progress,
            every=limits.progress_every,
        )
        ordered = sorted_stream(journal, key=lambda r: r.key, chunk_rows=limits.chunk_rows)
        taps = ledger_taps(session, lo, bound, operator=operator, day=day, cut_min=cut_min)
        ledger = sorted_stream(taps, key=lambda t: t.key, chunk_rows=limits.chunk_rows)
        joined = match(ordered, ledger, counts)
        # Sorting reads both inputs to the end before the first line comes out: the
        # upload's hash is known then, and the ledger's rows are all read, so the
        # inserts below never interleave with the streaming read on the connection.
        first = next(joined, None)
        report_id = hashlib.sha256(
            f"{operator}|{day}|{bound}|{upload.digest.hexdigest()}".encode()
        ).hexdigest()[:32]
        existing = session.get(ReconciliationReport, report_id)
        if existing is not None:
            session.rollback()
            return existing
        batch: list[dict[str, Any]] = []
        lines = itertools.chain([] if first is None else [first], joined, screened)
        for seq, line in enumerate(lines, start=1):
            if line.kind in _SCREENED:
                counts.counts[line.kind] += 1
            batch.append(_row(report_id, seq, line))
            if len(batch) >= _INSERT_ROWS:
                insert_rows(session, core_table(ReconciliationLine), batch)
                batch = []
        insert_rows(session, core_table(ReconciliationLine), batch)
    except JournalError as error:
        session.rollback()
        raise InvalidJournal(str(error), status=error.status) from None
    except BaseException:
        session.rollback()
        raise
    rows = sum(counts.counts.values()) - counts.counts["missing_in_journal"]
    report = ReconciliationReport(
        id=report_id,
        operator_id=operator,
        day=day.isoformat(),
        upload_sha256=upload.digest.hexdigest(),
        ledger_to=bound,
        rows=rows,
        counts_json=json.dumps(counts.as_dict(), sort_keys=True),
        created_at=now,
    )
    session.add(report)
    session.commit()
    session.refresh(report)
    return report
