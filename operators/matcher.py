"""Matching an operator's journal with the ledger's taps: a streaming merge join.

Both sides arrive sorted by the tap's id (the journal through `operators.spill`, the
ledger side likewise), so one pass with O(1) state per side finds, for each id:

- `matched`: one journal row and one ledger tap, same device, same amount (a journal
  row with no amount is not compared);
- `amount_difference`: same tap, the journal's amount differs from the ledger's (the
  fare on the tap that ended the trip, 0 on an entry that did not end it);
- `device_difference`: same tap id at another device of the operator;
- `missing_on_ledger`: a tap the operator logged that we never received;
- `missing_in_journal`: a tap on the ledger the operator has no row for;
- `duplicate`: a second (third, ...) journal row with an id already seen; the first
  row is the one matched.

Rows the caller screened out before the join (unknown device, time outside the day,
unreadable row) are reported by the caller with the same `Line` shape. Lines come out
in id order, so the same inputs always give the same report.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from operators.journal import JournalRow

__all__ = ["KINDS", "LedgerTap", "Line", "MatchCounts", "match"]

KINDS = (
    "matched",
    "amount_difference",
    "device_difference",
    "missing_on_ledger",
    "missing_in_journal",
    "duplicate",
    "unknown_device",
    "outside_day",
    "bad_row",
)


@dataclass(frozen=True, slots=True)
class LedgerTap:
    key: str  # the tap's event_id
    device: str
    at: dt.datetime
    action: str  # entry | exit | board | trip
    amount_fen: int
    index: int  # the trip record's ledger index
    stop: str = ""  # the station of a gate's tap; a bus validator records only its route
    capped: bool | None = None  # on the tap that priced the trip: did a fare cap lower it


@dataclass(frozen=True, slots=True)
class Line:
    kind: str
    key: str
    device: str = ""
    journal_line: int | None = None
    journal_fen: int | None = None
    ledger_fen: int | None = None
    ledger_index: int | None = None
    detail: str = ""


@dataclass(slots=True)
class MatchCounts:
    counts: Counter[str] = field(default_factory=Counter)
    journal_fen: int = 0
    ledger_fen: int = 0

    def as_dict(self) -> dict[str, int]:
        out = {kind: self.counts.get(kind, 0) for kind in KINDS}
        out["journal_fen"] = self.journal_fen
        out["ledger_fen"] = self.ledger_fen
        return out


_END = object()


def _pair(row: JournalRow, tap: LedgerTap) -> Line:
    common = {
        "key": tap.key,
        "journal_line": row.line,
        "journal_fen": row.amount_fen,
        "ledger_fen": tap.amount_fen,
        "ledger_index": tap.index,
    }
    if row.device != tap.device:
        detail = f"journal device {row.device}, ledger device {tap.device}"
        return Line("device_difference", device=row.device, detail=detail, **common)  # type: ignore[arg-type]
    if row.amount_fen is not None and row.amount_fen != tap.amount_fen:
        detail = f"journal {row.amount_fen} fen, ledger {tap.amount_fen} fen"
        return Line("amount_difference", device=tap.device, detail=detail, **common)  # type: ignore[arg-type]
    return Line("matched", device=tap.device, **common)  # type: ignore[arg-type]


def match(
    journal: Iterable[JournalRow], ledger: Iterable[LedgerTap], counts: MatchCounts
) -> Iterator[Line]:
    """Join two id-sorted streams; `counts` is filled as the lines are consumed."""
    rows, taps = iter(journal), iter(ledger)
    row: JournalRow | None = next(rows, None)
    tap: LedgerTap | None = next(taps, None)
    last_key: str | None = None
    while row is not None or tap is not None:
        if row is not None and row.key == last_key:
            line = Line("duplicate", row.key, row.device, row.line, row.amount_fen)
            row = next(rows, None)
        elif tap is None or (row is not None and row.key < tap.key):
            assert row is not None
            line = Line("missing_on_ledger", row.key, row.device, row.line, row.amount_fen)
            last_key, row = row.key, next(rows, None)
        elif row is None or tap.key < row.key:
            line = Line(
                "missing_in_journal",
                tap.key,
                tap.device,
                ledger_fen=tap.amount_fen,
                ledger_index=tap.index,
            )
            counts.ledger_fen += tap.amount_fen
            tap = next(taps, None)
        else:
            line = _pair(row, tap)
            counts.ledger_fen += tap.amount_fen
            last_key, row, tap = row.key, next(rows, None), next(taps, None)
        if line.kind != "missing_in_journal" and line.journal_fen is not None:
            counts.journal_fen += line.journal_fen
        counts.counts[line.kind] += 1
        yield line
