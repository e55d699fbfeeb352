"""The run's audit: the ledger holds what the journal says was accepted, once each.

It reads the ledger records appended since the run began (trip, charge and invoice
records, the truth) and the projection rows riders and the tax bureau read (trips,
invoices), and checks them against `journal.Expectations`:
- every trip-end the generator saw accepted has exactly one trip record, one charge
  record, one trip row and one first invoice, each with its row; after that first
  invoice a trip may carry a chain of credit notes each followed by the invoice that
  re-titles it (original -> credit note -> new invoice -> ...), each with its row, so
  that at most one invoice is live. Two invoices without a credit note between them
  are a double;
- a trip-end whose fate the generator does not know has at most one of each;
- a refused request left nothing, and no other trip of this run appears.
It also measures each trip's lag: from the tap's arrival at the API (`received_ms`, kept
in the trip record) to its block's time, and to the moment the sampler first saw that
block committed.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

import orjson
import redis
from sqlalchemy import Engine, text

from gates import keys
from loadtest.journal import Expectations

_SHOWN = 10


@dataclass
class LedgerCheck:
    trips_on_ledger: int = 0  # trip records of this run
    checked: int = 0  # trip-ends that had to be there exactly once
    lost: list[str] = field(default_factory=list)
    duplicated: list[str] = field(default_factory=list)
    incomplete_records: list[str] = field(default_factory=list)  # no invoice, charge or row
    unexpected: list[str] = field(default_factory=list)
    refused_but_present: list[str] = field(default_factory=list)
    dead_letters: list[str] = field(default_factory=list)  # "event_id: reason"
    lag_block_ms: list[float] = field(default_factory=list)
    lag_commit_ms: list[float] = field(default_factory=list)
    lag_points: list[tuple[int, float]] = field(default_factory=list)  # (seen ms, lag ms)
    tap_out_ms: dict[str, int] = field(default_factory=dict)  # event id -> its last tap

    @property
    def committed_per_s(self) -> dict[int, int]:
        """This run's trip-ends committed in each wall-clock second (as first seen)."""
        return dict(Counter(seen // 1000 for seen, _ in self.lag_points))

    @property
    def problems(self) -> list[str]:
        found = []
        for label, ids in (
            ("lost (accepted, not on the ledger)", self.lost),
            ("duplicated on the ledger", self.duplicated),
            ("without their full set of records and rows", self.incomplete_records),
            ("on the ledger but never accepted", self.unexpected),
            ("refused but on the ledger", self.refused_but_present),
        ):
            if ids:
                shown = ", ".join(ids[:_SHOWN])
                found.append(f"{len(ids)} trip-ends {label}: {shown}")
        if self.dead_letters and self.lost:
            found.append("dead letters of this run: " + "; ".join(self.dead_letters[:_SHOWN]))
        return found


def audit_run(
    engine: Engine,
    client: redis.Redis | None,
    expected: Expectations,
    *,
    id_prefix: str,
    from_height: int,
    block_seen_ms: Mapping[int, int],
) -> LedgerCheck:
    """Check the blocks above `from_height` against `expected` (ids start with id_prefix)."""
    check = LedgerCheck()
    # "invoice" counts first invoices only; re-titles' invoices are "reissue".
    records: dict[str, Counter[str]] = {
        k: Counter() for k in ("trip", "charge", "invoice", "credit_note", "reissue")
    }
    rows: dict[str, Counter[str]] = {
        "trips": Counter(),
        "invoices": Counter(),
        "credit_notes": Counter(),
    }
    with engine.connect() as connection:
        blocks = connection.execute(
            text("SELECT height, created_at, first_index FROM blocks WHERE height > :h"),
            {"h": from_height},
        ).all()
        block_ms = {int(h): epoch_ms(created) for h, created, _ in blocks}
        # The blocks above `from_height` hold the records from the first one's
        # first_index on: an index range, not a scan of the whole ledger. With no such
        # block it is None (NULL), and `>= NULL` selects nothing.
        first_index = min((first for _, _, first in blocks), default=None)
        result = connection.execution_options(yield_per=5_000).execute(
            text(
                "SELECT type, body, block_height FROM ledger_records "
                "WHERE idx >= :i AND type IN ('trip', 'charge', 'invoice', 'credit_note')"
            ),
            {"i": first_index},
        )
        for kind, body, height in result:
            record = orjson.loads(body)
            event_id = record["event_id"] if kind == "trip" else record["trip_event_id"]
            if not event_id.startswith(id_prefix):
                continue
            if kind == "invoice" and record.get("replaces"):
                kind = "reissue"
            records[kind][event_id] += 1
            if kind == "trip":
                tap = record["end"] or record["start"]
                received = int(tap["received_ms"])
                check.tap_out_ms[event_id] = received
                check.lag_block_ms.append(block_ms[int(height)] - received)
                seen = block_seen_ms.get(int(height))
                if seen is not None:
                    check.lag_commit_ms.append(seen - received)
                    check.lag_points.append((seen, seen - received))
        sql = "SELECT event_id FROM trips WHERE record_index >= :i"
        for (event_id,) in connection.execute(text(sql), {"i": first_index}):
            if event_id.startswith(id_prefix):
                rows["trips"][event_id] += 1
        sql = "SELECT trip_event_id, kind FROM invoices WHERE record_index >= :i"
        for event_id, kind in connection.execute(text(sql), {"i": first_index}):
            if event_id.startswith(id_prefix):
                rows["credit_notes" if kind == "credit_note" else "invoices"][event_id] += 1
    check.trips_on_ledger = sum(records["trip"].values())
    _compare(check, expected, records, rows)
    if check.lost and client is not None:
        check.dead_letters = _dead_letters(client, id_prefix)
    return check


def _compare(
    check: LedgerCheck,
    expected: Expectations,
    records: Mapping[str, Counter[str]],
    rows: Mapping[str, Counter[str]],
) -> None:
    # One each: the re-title chain's records and rows are judged by _chain.
    once = [records["trip"], records["charge"], records["invoice"], rows["trips"]]
    trips = records["trip"]
    for event_id in sorted(expected.exactly_once):
        check.checked += 1
        n = trips[event_id]
        chain = _chain(event_id, records, rows)
        if n == 0:
            check.lost.append(event_id)
        elif n > 1 or chain == "double" or any(c[event_id] > 1 for c in once):
            check.duplicated.append(event_id)
        elif chain == "broken" or any(c[event_id] != 1 for c in once):
            check.incomplete_records.append(event_id)
    for event_id in sorted(expected.at_most_once):
        counts = {c[event_id] for c in once}
        chain = _chain(event_id, records, rows)
        if max(counts) > 1 or chain == "double":
            check.duplicated.append(event_id)
        elif len(counts) > 1 or chain == "broken":
            check.incomplete_records.append(event_id)
    everything = [*records.values(), *rows.values()]
    for event_id in sorted(expected.absent):
        if any(c[event_id] for c in everything):
            check.refused_but_present.append(event_id)
    known = expected.exactly_once | expected.at_most_once
    check.unexpected = sorted(_ids(everything) - known - expected.absent)


def _chain(
    event_id: str, records: Mapping[str, Counter[str]], rows: Mapping[str, Counter[str]]
) -> str:
    """A trip's invoices after its first: "ok", "double" (two live invoices) or "broken".

    Each re-title writes a credit note, then the new invoice; a credit note alone (a
    refund) leaves none live. So the credit notes number the re-issues or one more, and
    each record has its row.
    """
    credits, reissues = records["credit_note"][event_id], records["reissue"][event_id]
    if reissues > credits:
        return "double"
    issued = records["invoice"][event_id] + reissues
    if credits > reissues + 1 or credits > issued:
        return "broken"
    if rows["invoices"][event_id] != issued or rows["credit_notes"][event_id] != credits:
        return "broken"
    return "ok"


def _ids(counters: Iterable[Counter[str]]) -> set[str]:
    found: set[str] = set()
    for counter in counters:
        found.update(counter)
    return found


def _dead_letters(client: redis.Redis, id_prefix: str) -> list[str]:
    letters = []
    entries: list[tuple[bytes, dict[bytes, bytes]]] = client.xrange(keys.DEAD_LETTERS)  # type: ignore[assignment]
    for _, fields in entries:
        event_id = fields.get(b"event_id", b"").decode()
        if event_id.startswith(id_prefix):
            letters.append(f"{event_id}: {fields.get(b'reason', b'').decode()}")
    return letters


def epoch_ms(created: object) -> int:
    """A block's `created_at` as read back (aware, or SQLite's naive UTC), in unix ms."""
    moment = created if isinstance(created, datetime) else datetime.fromisoformat(str(created))
    if moment.tzinfo is None:  # SQLite hands back naive times; they are UTC
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp() * 1000)
