"""Reading what clearing and reconciliation need from the ledger's projections.

Every read is a record-index range, never a scan of all trips: a business day's trips
all sit in blocks sealed after the day began (less the gates' clock skew, with an hour
to spare), and before the settlement's tree size. Rows stream (`yield_per`), so a day
of a million trips is never held in memory at once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import orjson
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlmodel import col

from invoicing.models import Invoice, InvoiceEvent
from ledger.models import Block, LedgerOpening, LedgerRecord
from ledger.openings import whole_record
from operators.clearing import Item, business_day
from operators.matcher import LedgerTap
from trips.models import Trip

__all__ = ["first_index_after", "ledger_taps", "refund_items", "trip_items"]

_MARGIN = dt.timedelta(hours=1)
_STREAM_ROWS = 5_000


def first_index_after(session: Session, moment: dt.datetime) -> int:
    """The first ledger index sealed at or after `moment` less the margin."""
    found = session.scalar(
        select(func.min(col(Block.first_index))).where(col(Block.created_at) >= moment - _MARGIN)
    )
    if found is not None:
        return int(found)
    size = session.scalar(select(func.max(col(Block.tree_size))))
    return int(size or 0)


def _quote_item(index: int, day: dt.date, seller: str, fare_fen: int, quote: Any) -> Item:
    discount = -sum(line["amount_fen"] for line in quote["lines"] if line["amount_fen"] < 0)
    return Item(
        index,
        day,
        seller,
        fare_fen,
        tuple((str(op), int(fen)) for op, fen in quote["shares"]),
        incomplete=bool(quote["incomplete"]),
        cap_saved_fen=int(quote["cap_saved_fen"]),
        discount_fen=discount,
    )


def trip_items(session: Session, lo: int, hi: int, *, cut_min: int) -> Iterator[Item]:
    """Every trip with a ledger index in [lo, hi), as a clearing item."""
    rows = session.execute(
        select(
            col(Trip.record_index),
            col(Trip.operator_id),
            col(Trip.fare_fen),
            col(Trip.ended_at),
            col(Trip.started_at),
            col(Trip.quote_json),
        )
        .where(col(Trip.record_index) >= lo, col(Trip.record_index) < hi)
        .order_by(col(Trip.record_index))
        .execution_options(yield_per=_STREAM_ROWS)
    )
    for index, seller, fare_fen, ended, started, quote_json in rows:
        moment = ended or started
        assert moment is not None, f"trip record {index} has neither start nor end"
        day = business_day(moment, cut_min)
        yield _quote_item(index, day, seller, fare_fen, orjson.loads(quote_json))


def refund_items(session: Session, lo: int, hi: int, *, cut_min: int) -> Iterator[Item]:
    """Credit notes given as refunds (not re-titles) with an index in [lo, hi)."""
    rows = session.execute(
        select(
            col(Invoice.record_index),
            col(Invoice.seller_id),
            col(Invoice.total_fen),
            col(Invoice.issued_at),
            col(Trip.quote_json),
        )
        .join(InvoiceEvent, col(InvoiceEvent.credit_note_number) == col(Invoice.number))
        .join(Trip, col(Trip.event_id) == col(Invoice.trip_event_id))
        .where(
            col(Invoice.kind) == "credit_note",
            col(InvoiceEvent.action) == "credit",
            col(Invoice.record_index) >= lo,
            col(Invoice.record_index) < hi,
        )
        .order_by(col(Invoice.record_index))
    )
    for index, seller, total_fen, issued_at, quote_json in rows:
        item = _quote_item(
            index, business_day(issued_at, cut_min), seller, total_fen, orjson.loads(quote_json)
        )
        yield Item(item.index, item.day, item.seller, item.amount_fen, item.shares, refund=True)


_ACTIONS = {("metro", "start"): "entry", ("metro", "end"): "exit", ("bus", "end"): "board"}


def ledger_taps(
    session: Session, lo: int, hi: int, *, operator: str, day: dt.date, cut_min: int
) -> Iterator[LedgerTap]:
    """The operator's taps on its own devices, on `day` by the tap's time, in [lo, hi).

    A tap's amount is the trip's fare on the tap that ended the trip (whose id is the
    trip's), and 0 on an entry it did not end; that tap also says whether a cap lowered
    the fare (the quote's `cap_saved_fen`), an entry says nothing of it.
    """
    rows = session.execute(
        select(
            col(Trip.record_index),
            col(Trip.event_id),
            col(Trip.fare_fen),
            col(LedgerRecord.body),
            col(LedgerOpening.salt),
            col(LedgerOpening.personal),
        )
        .join(LedgerRecord, col(LedgerRecord.idx) == col(Trip.record_index))
        .join(LedgerOpening, col(LedgerOpening.idx) == col(Trip.record_index), isouter=True)
        .where(col(Trip.record_index) >= lo, col(Trip.record_index) < hi)
        .order_by(col(Trip.record_index))
        .execution_options(yield_per=_STREAM_ROWS)
    )
    for index, event_id, fare_fen, body, salt, personal in rows:
        # The taps are personal fields (record version 2): read from the opening. An
        # erased rider's trip has none left to match with the operator's journal.
        record = whole_record(body, salt, personal)
        if record is None:
            continue
        mode = record["mode"]
        for end in ("start", "end"):
            tap = record[end]
            if tap is None or tap["operator"] != operator:
                continue
            at = dt.datetime.fromisoformat(tap["at"])
            if business_day(at, cut_min) != day:
                continue
            priced = tap["event_id"] == event_id
            action = _ACTIONS.get((mode, end), "trip")
            yield LedgerTap(
                tap["event_id"],
                str(tap.get("device", "")),
                at,
                action,
                fare_fen if priced else 0,
                index,
                stop=str(tap.get("station") or ""),
                capped=int(record["quote"].get("cap_saved_fen", 0)) > 0 if priced else None,
            )
