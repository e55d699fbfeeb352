"""Sealing one block: price, charge and invoice a batch of trip-ends, in one transaction.

For each event, in stream order: drop it if its event_id is already on the ledger (a
replay after a crash), price it, charge the rider, issue the invoice, and turn trip,
charge and invoice into ledger records (their personal fields committed, the openings
kept in the private table: `ledger.commitment`). The records, the Merkle nodes, the signed
checkpoint and every projection row are written in the caller's transaction; the caller
commits once and only then acknowledges the events.

A trip that costs nothing (a senior's free ride, a trip under a fare cap) is recorded
with its zero charge and gets no invoice: there is no sale to invoice, and no invoice
number is reserved for it, so the numbers stay gap-free.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session
from sqlmodel import col, select

import fare
from fare.localtime import SHANGHAI
from fare.plausibility import TripFacts, impossibility
from gates.stream import TripEndEvent
from invoicing.issue import (
    INDIVIDUAL,
    Buyer,
    SellerInfo,
    default_buyers,
    invoice_fields,
    invoice_row,
    invoiceable,
    numbers_for,
    reserve_numbers,
)
from invoicing.models import Invoice
from invoicing.tax import TaxRegime
from ledger.commitment import commit_record
from ledger.store import BlockAppender, LedgerWriter, SealedBlock
from storage.bulk import insert_rows, subtract_by_key
from storage.types import among, core_table
from trips.history import RiderHistories
from trips.models import Charge, Operator, Rider, Trip
from trips.projections import charge_record, charge_row, trip_record, trip_row

log = logging.getLogger(__name__)


@dataclass
class SealResult:
    block: SealedBlock | None
    trips: int = 0
    duplicates: int = 0
    rejected: list[tuple[TripEndEvent, str]] = field(default_factory=list)


@dataclass
class _Priced:
    event: TripEndEvent
    trip: fare.TripEnd
    quote: fare.Quote
    seller: SellerInfo
    history: fare.PricedTrip


@dataclass
class _Rows:
    trips: list[dict[str, Any]] = field(default_factory=list)
    charges: list[dict[str, Any]] = field(default_factory=list)
    invoices: list[dict[str, Any]] = field(default_factory=list)
    debits: dict[str, int] = field(default_factory=lambda: defaultdict(int))


class Sealer:
    """Turns batches of trip-end events into blocks; the batcher's unit of work."""

    def __init__(self, *, book: fare.TariffBook, writer: LedgerWriter) -> None:
        self.book = book
        self.writer = writer
        self.histories = RiderHistories()
        self._sellers: dict[str, SellerInfo] = {}

    def seal(self, session: Session, events: Sequence[TripEndEvent], now: datetime) -> SealResult:
        head = self.writer.lock_head(session)
        fresh = self._drop_duplicates(session, events)
        result = SealResult(block=None, duplicates=len(events) - len(fresh))
        if not fresh:
            return result
        riders = {
            rid: (category, balance)
            for rid, category, balance in session.execute(
                select(col(Rider.id), col(Rider.category), col(Rider.balance_fen)).where(
                    among(session, col(Rider.id), {e.rider for e in fresh})
                )
            )
        }
        self.histories.ensure_loaded(session, list(riders), now)
        priced = self._price(session, fresh, riders, result)
        if not priced:
            return result
        buyers, numbers = self._invoice_inputs(session, priced, now)
        with self.writer.open_block(session, head, now) as block:
            rows = self._records(block, priced, riders, buyers, numbers, now)
        self._write_projections(session, rows)
        result.block, result.trips = block.sealed, len(priced)
        return result

    def forget(self) -> None:
        """After a failed transaction, drop what memory believed about the ledger."""
        self.writer.forget()
        self.histories.clear()

    def _drop_duplicates(
        self, session: Session, events: Sequence[TripEndEvent]
    ) -> list[TripEndEvent]:
        unique = list({e.event_id: e for e in reversed(events)}.values())[::-1]
        seen = set(
            session.scalars(
                select(col(Trip.event_id)).where(
                    among(session, col(Trip.event_id), [e.event_id for e in unique])
                )
            )
        )
        return [e for e in unique if e.event_id not in seen]

    def _price(
        self,
        session: Session,
        events: list[TripEndEvent],
        riders: dict[str, tuple[str, int]],
        result: SealResult,
    ) -> list[_Priced]:
        priced = []
        for event in events:
            if event.rider not in riders:
                result.rejected.append((event, f"unknown rider {event.rider!r}"))
                continue
            try:
                seller = self._seller(session, event.operator)
                trip = event.to_fare_trip(riders[event.rider][0])
                quote = self.book.price(trip, self.histories.of(event.rider))
                why = impossibility(_facts(event, quote))
            except Exception as error:
                # One event the engine cannot price must not stop the ledger: it goes to
                # the dead letters with the reason, and the block goes on without it.
                log.exception("trip-end %s cannot be priced", event.event_id)
                result.rejected.append((event, f"{type(error).__name__}: {error}"))
                continue
            if why is not None:
                # The edge refuses these; one that got through (an older edge, a stream
                # written by hand) is no fare to charge.
                log.warning("trip-end %s is impossible: %s", event.event_id, why)
                result.rejected.append((event, f"impossible trip: {why}"))
                continue
            history = fare.PricedTrip.from_quote(trip, quote)
            self.histories.add(event.rider, history)
            priced.append(_Priced(event, trip, quote, seller, history))
        return priced

    def _invoice_inputs(
        self, session: Session, priced: list[_Priced], now: datetime
    ) -> tuple[dict[str, Buyer], dict[str, Iterator[str]]]:
        """Each rider's buyer title, and each seller's next invoice numbers for the block."""
        buyers = default_buyers(session, list({p.event.rider for p in priced}))
        by_seller: dict[SellerInfo, int] = defaultdict(int)
        for p in priced:
            if invoiceable(p.quote.amount_fen):
                by_seller[p.seller] += 1
        year = now.astimezone(SHANGHAI).year
        numbers: dict[str, Iterator[str]] = {}
        for seller, count in by_seller.items():
            first = reserve_numbers(session, seller.id, year, count)
            numbers[seller.id] = iter(numbers_for(seller, now, first, count))
        return buyers, numbers

    def _records(
        self,
        block: BlockAppender,
        priced: list[_Priced],
        riders: dict[str, tuple[str, int]],
        buyers: dict[str, Buyer],
        numbers: dict[str, Iterator[str]],
        now: datetime,
    ) -> _Rows:
        balances = {rid: balance for rid, (_, balance) in riders.items()}
        rows = _Rows()
        for p in priced:
            e, amount = p.event, p.quote.amount_fen
            quote_record = p.quote.to_record()
            trip_index, trip_leaf = block.add(*commit_record(trip_record(e, quote_record)))
            balances[e.rider] -= amount
            rows.debits[e.rider] += amount
            charge = charge_record(e, amount, balances[e.rider], now)
            charge_index, _ = block.add(*commit_record(charge))
            trip = trip_row(e, p.trip, p.quote, quote_record, p.history)
            trip.update(record_index=trip_index, block_height=block.height)
            rows.trips.append(trip)
            rows.charges.append({**charge_row(charge), "record_index": charge_index})
            if not invoiceable(amount):
                continue
            invoice = invoice_fields(
                number=next(numbers[p.seller.id]),
                seller=p.seller,
                buyer=buyers.get(e.rider, INDIVIDUAL),
                rider_id=e.rider,
                trip_event_id=e.event_id,
                total_fen=amount,
                issued_at=now,
                trip_leaf_hash=trip_leaf,
            )
            invoice_index, _ = block.add(*commit_record(invoice))
            rows.invoices.append(invoice_row(invoice, invoice_index))
        return rows

    def _write_projections(self, session: Session, rows: _Rows) -> None:
        insert_rows(session, core_table(Trip), rows.trips)
        insert_rows(session, core_table(Charge), rows.charges)
        insert_rows(session, core_table(Invoice), rows.invoices)
        subtract_by_key(session, core_table(Rider), "id", "balance_fen", rows.debits)

    def _seller(self, session: Session, operator_id: str) -> SellerInfo:
        seller = self._sellers.get(operator_id)
        if seller is None:
            row = session.get(Operator, operator_id)
            if row is None:
                raise LookupError(f"no operator {operator_id!r}")
            seller = SellerInfo(
                id=row.id,
                name=row.name,
                tax_id=row.tax_id,
                regime=TaxRegime(row.regime, row.rate_bp, row.exemption_reason),  # type: ignore[arg-type]
                numbering_code=row.numbering_code,
            )
            self._sellers[operator_id] = seller
        return seller


def _facts(event: TripEndEvent, quote: fare.Quote) -> TripFacts:
    """The trip as its taps claim it, before `to_fare_trip` clamps an exit before entry."""
    start, end = event.start, event.end
    if event.mode == "taxi" and end is not None:
        return TripFacts(
            "taxi",
            datetime.fromisoformat(end["started_at"]),
            datetime.fromisoformat(end["at"]),
            int(end["distance_m"]),
            int(end["waiting_s"]),
        )
    return TripFacts(
        event.mode,
        datetime.fromisoformat(start["at"]) if start else None,
        datetime.fromisoformat(end["at"]) if end else None,
        quote.distance_m if event.mode == "metro" else None,
    )
