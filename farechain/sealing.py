"""Sealing one block: price, charge and invoice a batch of trip-ends, in one transaction.

For each event, in stream order: drop it if its event_id is already on the ledger (a
replay after a crash), price it, charge the rider, issue the invoice, and turn trip,
charge and invoice into ledger records. The records, the Merkle nodes, the signed
checkpoint and every projection row are written in the caller's transaction; the caller
commits once and only then acknowledges the events.
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import bindparam, insert, update
from sqlalchemy.orm import Session
from sqlmodel import SQLModel, col, select

import fare
from farechain.events import TripEndEvent
from farechain.history import RiderHistories
from farechain.models import Charge, Operator, Rider, Trip
from invoicing.issue import (
    INDIVIDUAL_BUYER,
    SHANGHAI,
    Buyer,
    SellerInfo,
    default_buyers,
    invoice_fields,
    invoice_row,
    number_for,
    reserve_numbers,
)
from invoicing.models import Invoice
from invoicing.tax import TaxRegime
from ledger import merkle, records
from ledger.store import LedgerWriter, SealedBlock, utc_text

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
                    col(Rider.id).in_({e.rider for e in fresh})
                )
            )
        }
        self.histories.ensure_loaded(session, list(riders), now)
        priced = self._price(session, fresh, riders, result)
        if not priced:
            return result
        bodies, rows = self._records(session, priced, riders, now)
        block = self.writer.append_block(session, head, bodies, now)
        self._write_projections(session, rows, block)
        result.block, result.trips = block, len(priced)
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
                    col(Trip.event_id).in_([e.event_id for e in unique])
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
            except (fare.FareError, LookupError, ValueError) as error:
                result.rejected.append((event, str(error)))
                continue
            self.histories.add(event.rider, fare.PricedTrip.from_quote(trip, quote))
            priced.append(_Priced(event, trip, quote, seller))
        return priced

    def _records(
        self,
        session: Session,
        priced: list[_Priced],
        riders: dict[str, tuple[str, int]],
        now: datetime,
    ) -> tuple[list[tuple[str, bytes]], list[tuple[str, dict[str, object]]]]:
        buyers = default_buyers(session, list({p.event.rider for p in priced}))
        by_seller: dict[str, int] = defaultdict(int)
        for p in priced:
            by_seller[p.seller.id] += 1
        next_seq = {
            seller: reserve_numbers(session, seller, _local_year(now), count)
            for seller, count in by_seller.items()
        }
        balances = {rid: balance for rid, (_, balance) in riders.items()}
        bodies: list[tuple[str, bytes]] = []
        rows: list[tuple[str, dict[str, object]]] = []
        issued_at = utc_text(now)
        for p in priced:
            e, amount = p.event, p.quote.amount_fen
            trip_body = records.encode_record(
                {
                    "type": "trip",
                    "v": 1,
                    "event_id": e.event_id,
                    "rider": e.rider,
                    "mode": e.mode,
                    "operator": e.operator,
                    "start": e.start,
                    "end": e.end,
                    "quote": p.quote.to_record(),
                }
            )
            balances[e.rider] -= amount
            charge = {
                "type": "charge",
                "v": 1,
                "trip_event_id": e.event_id,
                "rider": e.rider,
                "amount_fen": amount,
                "balance_after_fen": balances[e.rider],
                "at": issued_at,
            }
            number = number_for(p.seller, now, next_seq[p.seller.id])
            next_seq[p.seller.id] += 1
            invoice = invoice_fields(
                number=number,
                seller=p.seller,
                buyer=buyers.get(e.rider, Buyer("individual", INDIVIDUAL_BUYER)),
                rider_id=e.rider,
                trip_event_id=e.event_id,
                total_fen=amount,
                issued_at=now,
                trip_leaf_hash=merkle.leaf_hash(trip_body),
            )
            bodies += [
                ("trip", trip_body),
                ("charge", records.encode_record(charge)),
                ("invoice", records.encode_record(invoice)),
            ]
            rows += [("trip", _trip_row(p)), ("charge", charge), ("invoice", invoice)]
        return bodies, rows

    def _write_projections(
        self, session: Session, rows: list[tuple[str, dict[str, object]]], block: SealedBlock
    ) -> None:
        trips, charges, invoices = [], [], []
        for offset, (kind, data) in enumerate(rows):
            index = block.first_index + offset
            if kind == "trip":
                trips.append({**data, "record_index": index, "block_height": block.height})
            elif kind == "charge":
                charges.append(
                    {
                        "record_index": index,
                        "trip_event_id": data["trip_event_id"],
                        "rider_id": data["rider"],
                        "amount_fen": data["amount_fen"],
                        "balance_after_fen": data["balance_after_fen"],
                        "charged_at": datetime.fromisoformat(str(data["at"])),
                    }
                )
            else:
                invoices.append(invoice_row(data, index))
        session.execute(insert(Trip), trips)
        session.execute(insert(Charge), charges)
        session.execute(insert(Invoice), invoices)
        debits: dict[str, int] = defaultdict(int)
        for charge in charges:
            debits[str(charge["rider_id"])] += int(str(charge["amount_fen"]))
        riders = SQLModel.metadata.tables[Rider.__tablename__]
        session.execute(
            update(riders)
            .where(riders.c.id == bindparam("rid"))
            .values(balance_fen=riders.c.balance_fen - bindparam("debit")),
            [{"rid": rider, "debit": fen} for rider, fen in debits.items()],
        )

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


def _trip_row(p: _Priced) -> dict[str, object]:
    t, q = p.trip, p.quote
    return {
        "event_id": p.event.event_id,
        "rider_id": p.event.rider,
        "mode": t.mode,
        "operator_id": p.event.operator,
        "entry_station": t.entry_station,
        "exit_station": t.exit_station,
        "route_id": t.route,
        "started_at": t.started_at,
        "ended_at": t.ended_at,
        "distance_m": q.distance_m,
        "fare_fen": q.amount_fen,
        "incomplete": q.incomplete,
        "quote_json": json.dumps(q.to_record(), sort_keys=True),
        "history_json": json.dumps(fare.PricedTrip.from_quote(t, q).to_record(), sort_keys=True),
    }


def _local_year(now: datetime) -> int:
    return now.astimezone(SHANGHAI).year
