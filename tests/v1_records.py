"""The batcher as it was before record version 2: personal fields in clear, no openings.

Ledgers written then must still verify, and still upgrade. `SealerV1` is today's sealer
with only its record step as it was (the same fields, `"v": 1`, encoded as they are and
no opening stored), so the rows and blocks around the records are the real ones.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import redis
from sqlalchemy import Engine

import fare
from farechain.settings import Settings
from farechain.stream_key import stream_mac_key
from invoicing.issue import INDIVIDUAL, Buyer, invoice_fields, invoice_row, invoiceable
from ledger import keyfiles
from ledger.records import encode_record
from ledger.store import BlockAppender, LedgerWriter
from trips.batcher import Batcher, BatcherLimits
from trips.projections import charge_record, charge_row, trip_record, trip_row
from trips.sealer import Sealer, _Priced, _Rows

__all__ = ["SealerV1", "make_v1_batcher"]


class SealerV1(Sealer):
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
            trip = {**trip_record(e, quote_record), "v": 1}
            trip_index, trip_leaf = block.add("trip", encode_record(trip))
            balances[e.rider] -= amount
            rows.debits[e.rider] += amount
            charge = {**charge_record(e, amount, balances[e.rider], now), "v": 1}
            charge_index, _ = block.add("charge", encode_record(charge))
            row = trip_row(e, p.trip, p.quote, quote_record, p.history)
            row.update(record_index=trip_index, block_height=block.height)
            rows.trips.append(row)
            rows.charges.append({**charge_row(charge), "record_index": charge_index})
            if not invoiceable(amount):  # as today's sealer: the v1 era's 0-yuan invoices aside
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
            invoice["v"] = 1
            invoice_index, _ = block.add("invoice", encode_record(invoice))
            rows.invoices.append(invoice_row(invoice, invoice_index))
        return rows


def make_v1_batcher(engine: Engine, client: redis.Redis, settings: Settings) -> Batcher:
    signers = keyfiles.load_log_signers(settings.ledger_key_path, settings.ledger.origin)
    sealer = SealerV1(
        book=fare.load_tariffs(),
        writer=LedgerWriter(origin=settings.ledger.origin, signers=signers),
    )
    return Batcher(
        client=client,
        engine=engine,
        sealer=sealer,
        limits=BatcherLimits(block_max_events=10, block_max_wait_ms=20, reclaim_idle_ms=60_000),
        stream_key=stream_mac_key(settings),
    )
