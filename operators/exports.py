"""Downloads: a day's taps as TIDES `fare_transactions` CSV, statements as JSON and CSV.

The TIDES file has the specification's columns in its order, plus `ledger_index`, the
index of the trip record each tap belongs to, so every line can be proven with an
inclusion proof (`/v1/ledger/proofs/inclusion`). Amounts are yuan with two decimals,
as TIDES has them. `stop_id` is the gate's station (a bus validator knows its route, not
the stop, so a bus tap leaves it empty); `fare_capped` is `true` or `false` on the tap
that priced the trip (did a daily or weekly cap lower the fare: the trip's quote on the
ledger says which) and empty on an entry, which is priced by its exit. `fare_media_id`
stays empty: the rider's pseudonym is not the operator's to hold. The journal reader
accepts this file back (`ledger_index` is allowed beside the TIDES columns), so an
operator's own export reconciles cleanly.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterator
from typing import Any

import orjson
from sqlalchemy.orm import Session

from ledger.store import receipt_for
from operators.clearing import day_bounds
from operators.extract import first_index_after, ledger_taps
from operators.journal import TIDES_COLUMNS
from operators.settlement import stored_statement
from operators.statement import statement_csv

__all__ = ["TIDES_EXPORT_COLUMNS", "statement_document", "statement_table", "tides_lines"]

TIDES_EXPORT_COLUMNS = (*TIDES_COLUMNS, "ledger_index")
_ACTION = {"entry": "Enter", "exit": "Exit", "board": "Enter", "trip": "Purchase"}
_JOURNEY_SPAN = dt.timedelta(hours=5)


def _yuan(fen: int) -> str:
    sign = "-" if fen < 0 else ""
    return f"{sign}{abs(fen) // 100}.{abs(fen) % 100:02d}"


def _line(values: tuple[object, ...]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerow(values)
    return out.getvalue()


def tides_lines(
    session: Session, *, operator: str, day: dt.date, cut_min: int, ledger_to: int
) -> Iterator[str]:
    """The header, then one line per tap of the operator's devices on `day`."""
    yield _line(TIDES_EXPORT_COLUMNS)
    start, _ = day_bounds(day, cut_min)
    lo = first_index_after(session, start - _JOURNEY_SPAN)
    for tap in ledger_taps(session, lo, ledger_to, operator=operator, day=day, cut_min=cut_min):
        values: dict[str, Any] = {
            "transaction_id": tap.key,
            "service_date": day.isoformat(),
            "event_timestamp": tap.at.isoformat(),
            "amount": _yuan(tap.amount_fen),
            "currency_type": "CNY",
            "fare_action": _ACTION[tap.action],
            "device_id": tap.device,
            "stop_id": tap.stop,
            "fare_capped": "" if tap.capped is None else str(tap.capped).lower(),
            "ledger_index": tap.index,
        }
        yield _line(tuple(values.get(name, "") for name in TIDES_EXPORT_COLUMNS))


def statement_document(session: Session, operator: str, day: dt.date) -> dict[str, object]:
    """The statement, its ledger index and a receipt proving it against a checkpoint."""
    index, body = stored_statement(session, operator, day)
    return {
        "ledger_index": index,
        "statement": orjson.loads(body),
        "record": body.decode(),
        "receipt": receipt_for(session, index),
    }


def statement_table(session: Session, operator: str, day: dt.date) -> str:
    index, body = stored_statement(session, operator, day)
    return statement_csv(orjson.loads(body), index)
