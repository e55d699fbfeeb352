"""An operator's device journal, read as a stream of rows: our CSV or TIDES.

Two layouts are accepted, told apart by the header line:

- ours: `event_id,device_id,kind,at,amount_fen` (`kind` entry, exit, board or trip;
  `at` RFC 3339 with an offset; `amount_fen` an integer, or empty when the device
  does not know the fare);
- TIDES `fare_transactions` (the Transit ITS Data Exchange Specification): the
  columns `transaction_id`, `event_timestamp`, `amount` (yuan, up to two decimals),
  `fare_action` and `device_id` are required, the others of the table are allowed
  and ignored. `transaction_id` is the tap's `event_id`.

Columns may come in any order; unknown columns are refused, so a file of another
kind fails at its header instead of producing a report of nonsense. The input is
UTF-8 (a byte-order mark is allowed); anything else fails with the line it was found
on. Problems of one row (a time without an offset, an amount that is not money) are
yielded as `RowProblem`s, which become report lines; problems of the file raise
`JournalError`, which the API turns into a 4xx and after which nothing is kept.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

__all__ = [
    "OURS",
    "TIDES_COLUMNS",
    "TIDES_REQUIRED",
    "JournalError",
    "JournalRow",
    "RowProblem",
    "read_journal",
]

OURS = ("event_id", "device_id", "kind", "at", "amount_fen")
# fare_transactions.schema.json of the TIDES specification, in its order.
TIDES_COLUMNS = (
    "transaction_id",
    "service_date",
    "event_timestamp",
    "amount",
    "currency_type",
    "fare_action",
    "trip_id_performed",
    "pattern_id",
    "stop_sequence",
    "vehicle_id",
    "device_id",
    "fare_id",
    "stop_id",
    "group_size",
    "media_type",
    "rider_category",
    "fare_product",
    "fare_period",
    "fare_capped",
    "fare_media_id",
    "fare_media_id_purchased",
    "balance",
)
TIDES_REQUIRED = ("transaction_id", "event_timestamp", "amount", "fare_action", "device_id")
_MONEY = re.compile(r"^(-?)(\d{1,12})(?:\.(\d{1,2}))?$")
_FEN = re.compile(r"^-?\d{1,14}$")


class JournalError(ValueError):
    """The file as a whole cannot be read; `status` is the HTTP status it becomes."""

    def __init__(self, detail: str, *, status: int = 422) -> None:
        super().__init__(detail)
        self.status = status


@dataclass(frozen=True, slots=True)
class JournalRow:
    key: str  # the tap's event_id (TIDES transaction_id)
    device: str
    at: dt.datetime
    action: str
    amount_fen: int | None
    line: int


@dataclass(frozen=True, slots=True)
class RowProblem:
    line: int
    key: str
    reason: str


def _lines(chunks: Iterable[bytes]) -> Iterator[str]:
    decoder = codecs.getincrementaldecoder("utf-8-sig")(errors="strict")
    pending, line = "", 1
    for chunk in chunks:
        try:
            text = decoder.decode(chunk)
        except UnicodeDecodeError as error:
            raise JournalError(
                f"expected UTF-8 text, got byte {chunk[error.start]:#04x} near line {line}"
            ) from None
        parts = (pending + text).split("\n")
        pending = parts.pop()
        for part in parts:
            line += 1
            yield part + "\n"
    try:
        pending += decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        raise JournalError(
            f"expected UTF-8 text, got a truncated character at line {line}"
        ) from None
    if pending:
        yield pending


def _layout(header: list[str]) -> tuple[str, dict[str, int]]:
    names = [name.strip() for name in header]
    where = {name: i for i, name in enumerate(names)}
    if len(where) != len(names):
        raise JournalError(f"expected each column once, got the header {names}")
    if set(OURS) <= set(where):
        known, layout = set(OURS), "ours"
    elif set(TIDES_REQUIRED) <= set(where):
        # ledger_index: our own TIDES export's extra column, so it can be sent back
        known, layout = {*TIDES_COLUMNS, "ledger_index"}, "tides"
    else:
        raise JournalError(
            f"expected the columns {','.join(OURS)} or the TIDES fare_transactions columns "
            f"(at least {','.join(TIDES_REQUIRED)}), got {','.join(names) or 'no header'}"
        )
    unknown = sorted(set(where) - known)
    if unknown:
        raise JournalError(f"expected only {layout} columns, got unknown columns {unknown}")
    return layout, where


def _time(text: str) -> dt.datetime:
    moment = dt.datetime.fromisoformat(text.strip())
    if moment.tzinfo is None:
        raise ValueError(f"expected a time with a UTC offset, got {text!r}")
    return moment


def _yuan(text: str) -> int:
    match = _MONEY.match(text.strip())
    if match is None:
        raise ValueError(f"expected an amount in yuan with at most 2 decimals, got {text!r}")
    sign, whole, cents = match.groups()
    fen = int(whole) * 100 + int((cents or "0").ljust(2, "0"))
    return -fen if sign else fen


def _fen(text: str) -> int | None:
    text = text.strip()
    if not text:
        return None
    if not _FEN.match(text):
        raise ValueError(f"expected amount_fen as an integer, got {text!r}")
    return int(text)


def read_journal(chunks: Iterable[bytes], *, max_rows: int) -> Iterator[JournalRow | RowProblem]:
    """The journal's rows in file order; raises `JournalError` for the file's faults."""
    reader = csv.reader(_lines(chunks), strict=True)
    try:
        header = next(reader, None)
        if header is None:
            raise JournalError("expected a header line, got an empty file")
        layout, where = _layout(header)
        tides = layout == "tides"
        key_col = where["transaction_id" if tides else "event_id"]
        time_col = where["event_timestamp" if tides else "at"]
        action_col = where["fare_action" if tides else "kind"]
        amount_col = where["amount" if tides else "amount_fen"]
        device_col, width, rows = where["device_id"], len(header), 0
        for fields in reader:
            if not fields or fields == [""]:
                continue
            rows += 1
            if rows > max_rows:
                raise JournalError(
                    f"expected at most {max_rows} rows, got more at line {reader.line_num}",
                    status=413,
                )
            line = reader.line_num
            key = fields[key_col].strip() if len(fields) > key_col else ""
            if len(fields) != width:
                yield RowProblem(line, key, f"expected {width} fields, got {len(fields)}")
                continue
            if not key:
                yield RowProblem(line, key, "expected a transaction id, got an empty one")
                continue
            try:
                at = _time(fields[time_col])
                amount = _yuan(fields[amount_col]) if tides else _fen(fields[amount_col])
            except ValueError as error:
                yield RowProblem(line, key, str(error))
                continue
            action = fields[action_col].strip()
            yield JournalRow(key, fields[device_col].strip(), at, action, amount, line)
    except csv.Error as error:
        raise JournalError(f"expected CSV, got {error} at line {reader.line_num}") from None
