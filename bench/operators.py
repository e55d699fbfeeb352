"""Benchmarks of the operators' back office.

- `bench_reconcile`: a generated journal of N rows (our CSV, in a temporary file) read,
  screened, sorted with spilling and joined with N ledger taps: rows/s and the
  process's peak RSS before and after (memory must stay flat as N grows).
- `bench_settle`: a business day of N trips written straight into the `trips` table
  (priced quotes, two operators sharing the cross-line trips; COPY, not the batcher),
  then `settle_day`: the time to clear them and append the signed statements.
"""

from __future__ import annotations

import datetime as dt
import resource
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import orjson
from sqlalchemy.orm import Session

from farechain.db import create_schema
from ledger.keys import Signer
from ledger.models import Block, LedgerHead
from ledger.store import LedgerWriter
from operators.clearing import day_bounds
from operators.journal import read_journal
from operators.matcher import LedgerTap, Line, MatchCounts, match
from operators.reconcile import _screen  # the same screening the service does
from operators.settlement import settle_day
from operators.spill import sorted_stream
from storage.bulk import insert_rows
from storage.engine import make_engine
from storage.types import core_table
from trips.models import Operator, Trip

__all__ = ["bench_reconcile", "bench_settle"]

DAY = dt.date(2026, 11, 2)
_CUT = 270


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _journal(path: Path, rows: int, start: dt.datetime) -> None:
    with path.open("w", encoding="utf-8") as out:
        out.write("event_id,device_id,kind,at,amount_fen\n")
        for n in range(rows):
            at = (start + dt.timedelta(milliseconds=50 * n)).isoformat()
            # every 1,000th row differs in amount, so the report has lines of each kind
            amount = 301 if n % 1000 == 1 else 300
            key = (n * 7919) % rows  # the journal's order is not the ledger's
            out.write(f"t{key:08d},gate-{key % 50},exit,{at},{amount}\n")


def _taps(rows: int, start: dt.datetime) -> Iterator[LedgerTap]:
    for n in range(rows):
        if n % 500 == 0:
            continue  # a tap the ledger never got
        at = start + dt.timedelta(milliseconds=50 * n)
        yield LedgerTap(f"t{n:08d}", f"gate-{n % 50}", at, "exit", 300, n)


def bench_reconcile(rows: int, chunk_rows: int = 50_000) -> dict[str, float]:
    start, _ = day_bounds(DAY, _CUT)
    with tempfile.TemporaryDirectory(prefix="farechain-reconcile-") as workdir:
        path = Path(workdir) / "journal.csv"
        _journal(path, rows, start)
        rss_before = _rss_mb()

        def chunks() -> Iterator[bytes]:
            with path.open("rb") as handle:
                while chunk := handle.read(1 << 16):
                    yield chunk

        counts, screened = MatchCounts(), list[Line]()
        began = time.perf_counter()
        journal = _screen(
            read_journal(chunks(), max_rows=rows + 1),
            devices={f"gate-{n}" for n in range(50)},
            day=DAY,
            cut_min=_CUT,
            screened=screened,
            progress=None,
            every=100_000,
        )
        ordered = sorted_stream(journal, key=lambda r: r.key, chunk_rows=chunk_rows)
        ledger = sorted_stream(_taps(rows, start), key=lambda t: t.key, chunk_rows=chunk_rows)
        lines = sum(1 for _ in match(ordered, ledger, counts))
        seconds = time.perf_counter() - began
    figures = counts.as_dict()
    return {
        "rows": float(rows),
        "seconds": seconds,
        "rows_per_s": rows / seconds,
        "lines": float(lines),
        "matched": float(figures["matched"]),
        "peak_rss_mb_before": rss_before,
        "peak_rss_mb_after": _rss_mb(),
    }


def _quote(fare: int, shares: list[list[object]]) -> str:
    record = {
        "amount_fen": fare,
        "lines": [{"rule_id": "metro.distance", "text": "distance fare", "amount_fen": fare}],
        "shares": shares,
        "tariff_version": "bench",
        "incomplete": False,
        "cap_saved_fen": 0,
        "mode": "metro",
        "category": "adult",
    }
    return orjson.dumps(record, option=orjson.OPT_SORT_KEYS).decode()


def _fill(session: Session, trips: int) -> None:
    start, _ = day_bounds(DAY, _CUT)
    for op in ("szmc", "mtr-sz"):
        session.add(
            Operator(
                id=op,
                name=op,
                tax_id="x",
                regime="general",
                rate_bp=900,
                numbering_code="0301",
                mode="metro",
            )
        )
    session.flush()
    quotes = [
        _quote(500, [["mtr-sz", 272], ["szmc", 228]]),
        _quote(300, [["szmc", 300]]),
        _quote(400, [["mtr-sz", 400]]),
    ]
    batch = []
    for n in range(trips):
        ended = start + dt.timedelta(milliseconds=80 * n)
        kind = n % 3
        batch.append(
            {
                "event_id": f"e{n:08d}",
                "rider_id": f"r{n % 50_000:07d}",
                "mode": "metro",
                "operator_id": "mtr-sz" if kind != 1 else "szmc",
                "started_at": ended - dt.timedelta(minutes=20),
                "ended_at": ended,
                "fare_fen": (500, 300, 400)[kind],
                "incomplete": False,
                "quote_json": quotes[kind],
                "history_json": "{}",
                "record_index": n * 3,
                "block_height": n // 1000,
            }
        )
        if len(batch) == 20_000:
            insert_rows(session, core_table(Trip), batch)
            batch = []
    insert_rows(session, core_table(Trip), batch)
    session.add(
        Block(
            height=0,
            first_index=0,
            tree_size=trips * 3,
            root=bytes(32),
            prev_hash=bytes(32),
            block_hash=bytes(32),
            created_at=start,
            checkpoint="bench",
        )
    )
    session.add(LedgerHead(id=1, tree_size=trips * 3, height=0, block_hash=bytes(32)))
    session.commit()


def bench_settle(database_url: str, trips: int) -> dict[str, float]:
    engine = make_engine(database_url)
    create_schema(engine)
    with Session(engine) as session:
        began = time.perf_counter()
        _fill(session, trips)
        filled = time.perf_counter() - began
    # The frontier of a tree whose records were never written cannot be loaded: start
    # the writer's memory at the head, as if it had written it.
    writer = LedgerWriter(
        origin="bench.example/ledger", signers=[Signer.generate("bench.example/ledger")]
    )
    writer._size, writer._head_hash = trips * 3, bytes(32)
    writer._frontier = [bytes(32)] * bin(trips * 3).count("1")
    _, end = day_bounds(DAY, _CUT)
    with Session(engine) as session:
        began = time.perf_counter()
        outcome = settle_day(
            session, writer, day=DAY, cut_min=_CUT, now=end + dt.timedelta(hours=1)
        )
        seconds = time.perf_counter() - began
    engine.dispose()
    return {
        "trips": float(trips),
        "fill_s": filled,
        "settle_s": seconds,
        "trips_per_s": trips / seconds,
        "items": float(outcome.items),
        "statements": float(len(outcome.statements)),
    }
