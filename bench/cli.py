"""`farechain bench`: each stage alone, with figures to compare from run to run.

    farechain bench all                      # every stage at modest sizes
    farechain bench batcher --events 50000 --db sqlite --db postgresql
    farechain bench takeover --events 200 --rounds 3
    farechain bench proofs --sizes 10000,100000,1000000
    farechain bench pricing | merkle | invoice | ridecodes
    farechain bench ingest --taps-per-s 4000 --for 30s --workers 2
    farechain bench reconcile --rows 1000000 | settle --trips 1000000 --db postgresql

Each prints `stage  figure  value` lines; `--json FILE` appends them, with the time, the
load average and the commit, so runs can be compared. Load from other programs skews
every figure: note the load average printed with them.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(help="Benchmarks of each stage alone (batcher, pricing, proofs, ingest).")

Figures = dict[str, float]
JsonOption = Annotated[Path | None, typer.Option("--json", help="append the figures here")]
DbOption = Annotated[
    list[str] | None, typer.Option("--db", help="sqlite and/or postgresql (repeatable)")
]
PostgresOption = Annotated[
    str, typer.Option(help="PostgreSQL server to create throw-away databases on")
]


def _report(stage: str, figures: Figures, json_path: Path | None) -> None:
    for name, value in figures.items():
        typer.echo(f"{stage:28} {name:36} {value:14,.2f}")
    if json_path is not None:
        entry = {
            "stage": stage,
            "at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "commit": _commit(),
            "load_average": os.getloadavg(),
            "figures": figures,
        }
        with json_path.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(entry) + "\n")


def _commit() -> str:
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def _with_workdir(run: Callable[[Path], None]) -> None:
    with tempfile.TemporaryDirectory(prefix="farechain-bench-") as workdir:
        run(Path(workdir))


@app.command()
def batcher(
    events: Annotated[int, typer.Option(help="trip-end events pre-filled")] = 20_000,
    db: DbOption = None,
    postgres: PostgresOption = "postgresql://postgres@127.0.0.1:5432/postgres",
    block_max_events: Annotated[int, typer.Option()] = 1000,
    riders: Annotated[int, typer.Option(help="seeded riders the events cycle over")] = 20_000,
    json_path: JsonOption = None,
) -> None:
    """The batcher draining a pre-filled stream: trip-ends/s into signed blocks."""
    from bench.batcher import bench_batcher
    from bench.databases import bench_database, bench_redis

    def run(workdir: Path) -> None:
        for kind in db or ["sqlite"]:
            with bench_database(kind, workdir, postgres) as url, bench_redis(workdir) as redis_url:
                figures = bench_batcher(
                    url,
                    redis_url,
                    workdir / kind,
                    events=events,
                    riders=riders,
                    block_max_events=block_max_events,
                )
            _report(f"batcher[{kind}]", figures, json_path)

    _with_workdir(run)


@app.command()
def takeover(
    events: Annotated[int, typer.Option(help="trip-ends the killed batcher had read")] = 200,
    rounds: Annotated[int, typer.Option(help="kills per successor kind")] = 3,
    db: DbOption = None,
    postgres: PostgresOption = "postgresql://postgres@127.0.0.1:5432/postgres",
    json_path: JsonOption = None,
) -> None:
    """A batcher killed with trip-ends read: seconds until a successor holds the lease and
    has sealed them (in this process, and as a restarted `farechain batcher`)."""
    from bench.databases import bench_database, bench_redis
    from bench.takeover import bench_takeover

    def run(workdir: Path) -> None:
        for kind in db or ["sqlite"]:
            with bench_database(kind, workdir, postgres) as url, bench_redis(workdir) as redis_url:
                figures = bench_takeover(
                    url, redis_url, workdir / kind, events=events, rounds=rounds
                )
            _report(f"takeover[{kind}]", figures, json_path)

    _with_workdir(run)


@app.command()
def payments(
    count: Annotated[int, typer.Option("--payments", help="committed charges to pay")] = 5_000,
    riders: Annotated[int, typer.Option()] = 1_000,
    batch: Annotated[int, typer.Option(help="payments per worker round")] = 500,
    db: DbOption = None,
    postgres: PostgresOption = "postgresql://postgres@127.0.0.1:5432/postgres",
    json_path: JsonOption = None,
) -> None:
    """The payments worker settling committed charges: payments/s captured and recorded."""
    from bench.databases import bench_database, bench_redis
    from bench.payments import bench_payments

    def run(workdir: Path) -> None:
        for kind in db or ["sqlite"]:
            with bench_redis(workdir) as redis_url, bench_database(kind, workdir, postgres) as url:
                figures = bench_payments(
                    workdir,
                    database_url=url,
                    redis_url=redis_url,
                    payments=count,
                    riders=riders,
                    batch=batch,
                )
            _report(f"payments ({kind})", figures, json_path)

    _with_workdir(run)


@app.command("payment-latency")
def payment_latency(
    rate: Annotated[float, typer.Option(help="committed charges per second")] = 1_100.0,
    duration: Annotated[float, typer.Option("--for", help="seconds of feeding")] = 30.0,
    riders: Annotated[int, typer.Option()] = 20_000,
    batch: Annotated[int, typer.Option(help="payments per worker round")] = 2_000,
    db: DbOption = None,
    postgres: PostgresOption = "postgresql://postgres@127.0.0.1:5432/postgres",
    json_path: JsonOption = None,
) -> None:
    """The payments worker under a steady rate: charge committed -> payment captured."""
    from bench.databases import bench_database, bench_redis
    from bench.payment_latency import bench_payment_latency

    def run(workdir: Path) -> None:
        for kind in db or ["postgresql"]:
            with bench_redis(workdir) as redis_url, bench_database(kind, workdir, postgres) as url:
                figures = bench_payment_latency(
                    workdir,
                    database_url=url,
                    redis_url=redis_url,
                    rate_per_s=rate,
                    duration_s=duration,
                    riders=riders,
                    batch=batch,
                )
            _report(f"payment latency ({kind})", figures, json_path)

    _with_workdir(run)


@app.command()
def proofs(
    sizes: Annotated[str, typer.Option(help="comma-separated record counts")] = (
        "10000,100000,1000000"
    ),
    db: DbOption = None,
    postgres: PostgresOption = "postgresql://postgres@127.0.0.1:5432/postgres",
    samples: Annotated[int, typer.Option()] = 500,
    json_path: JsonOption = None,
) -> None:
    """Inclusion proofs read from the database (fetch_nodes + inclusion_proof)."""
    from bench.databases import bench_database
    from bench.proofs import bench_proofs

    def run(workdir: Path) -> None:
        for kind in db or ["sqlite"]:
            for size in (int(s) for s in sizes.split(",")):
                with bench_database(kind, workdir, postgres) as url:
                    figures = bench_proofs(url, size, samples=samples)
                _report(f"proofs[{kind}]@{size}", figures, json_path)

    _with_workdir(run)


@app.command()
def pricing(
    n: Annotated[int, typer.Option(help="quotes per figure")] = 50_000,
    json_path: JsonOption = None,
) -> None:
    """Fare quotes per second (fare.bench)."""
    from bench.fare import run_bench

    _report("pricing", run_bench(n), json_path)


@app.command()
def merkle(
    sizes: Annotated[str, typer.Option(help="comma-separated leaf counts")] = (
        "10000,100000,1000000"
    ),
    json_path: JsonOption = None,
) -> None:
    """Merkle append and proofs in memory (ledger.bench)."""
    from bench.ledger import run_bench

    _report("merkle", run_bench(tuple(int(s) for s in sizes.split(","))), json_path)


@app.command()
def invoice(
    n: Annotated[int, typer.Option(help="invoices")] = 2000,
    json_path: JsonOption = None,
) -> None:
    """Invoice tax split, numbering, check codes, XML and PDF (invoicing.bench)."""
    from bench.invoicing import run_bench

    _report("invoice", run_bench(n), json_path)


@app.command()
def ridecodes(
    n: Annotated[int, typer.Option(help="codes per figure")] = 5_000,
    json_path: JsonOption = None,
) -> None:
    """Ride-code verifications per second on one core, and the QR payload's size."""
    from bench.ridecodes import run_bench

    _report("ridecodes", run_bench(n), json_path)


@app.command()
def ingest(
    taps_per_s: Annotated[float, typer.Option(help="offered rate (more than it can take)")] = 4000,
    for_: Annotated[str, typer.Option("--for")] = "30s",
    workers: Annotated[int, typer.Option(help="uvicorn workers")] = 2,
    users: Annotated[int | None, typer.Option(help="Locust users")] = None,
    riders: Annotated[int, typer.Option()] = 200_000,
    out_dir: Annotated[Path, typer.Option()] = Path("var/bench/ingest"),
    json_path: JsonOption = None,
) -> None:
    """Tap ingest over HTTP into Redis with the batcher idle (stopped during the load)."""
    from loadtest.durations import parse_duration_s
    from loadtest.runner import RunOptions, run_load_test

    summary = run_load_test(
        RunOptions(
            taps_per_s=taps_per_s,
            duration_s=parse_duration_s(for_),
            users=users,
            riders=riders,
            workers=workers,
            out_dir=out_dir,
            pause_batcher=True,
            # Its own system under out_dir (not the load test's), emptied each run: runs
            # compare, and the stream the batcher never drains does not pile up.
            fresh=True,
            verify=False,  # the figure is ingest speed; the journal audit still runs
            max_error_rate=1.0,
        )
    )
    r = summary.responses
    figures = {
        "offered_taps_per_s": taps_per_s,
        "taps_per_s": summary.taps.mean,
        "taps_per_s_best_minute": summary.taps.best_60s,
        "response_p50_ms": r.p50_ms,
        "response_p95_ms": r.p95_ms,
        "response_p99_ms": r.p99_ms,
        "error_rate": summary.error_rate,
        "workers": float(workers),
        **{f"cpu_{role}_pct": v for role, v in summary.cpu_mean.items()},
    }
    _report("ingest", figures, json_path)
    if not summary.correct:
        typer.echo(summary.render(), err=True)
        raise typer.Exit(1)


@app.command()
def reconcile(
    rows: Annotated[int, typer.Option(help="journal rows (and as many ledger taps)")] = 1_000_000,
    chunk_rows: Annotated[int, typer.Option(help="rows sorted in memory at once")] = 50_000,
    json_path: JsonOption = None,
) -> None:
    """Reconciliation of a generated journal: rows/s and peak memory (no database)."""
    from bench.operators import bench_reconcile

    _report("reconcile", bench_reconcile(rows, chunk_rows), json_path)


@app.command()
def settle(
    trips: Annotated[int, typer.Option(help="trips in the business day")] = 1_000_000,
    db: DbOption = None,
    postgres: PostgresOption = "postgresql://postgres@127.0.0.1:5432/postgres",
    json_path: JsonOption = None,
) -> None:
    """Settling a business day of N trips: clearing and the signed statements."""
    from bench.databases import bench_database
    from bench.operators import bench_settle

    def run(workdir: Path) -> None:
        for kind in db or ["postgresql"]:
            with bench_database(kind, workdir, postgres) as url:
                _report(f"settle[{kind}]", bench_settle(url, trips), json_path)

    _with_workdir(run)


@app.command("all")
def all_stages(
    json_path: JsonOption = None,
    postgres: PostgresOption = "postgresql://postgres@127.0.0.1:5432/postgres",
    with_postgres: Annotated[bool, typer.Option(help="also bench on PostgreSQL")] = True,
) -> None:
    """Every stage (about 15 minutes on two cores, most of it filling 10^6-node trees)."""
    dbs = ["sqlite", "postgresql"] if with_postgres else ["sqlite"]
    pricing(n=20_000, json_path=json_path)
    merkle(sizes="10000,100000", json_path=json_path)
    invoice(n=500, json_path=json_path)
    ridecodes(n=5_000, json_path=json_path)
    proofs(sizes="10000,100000,1000000", db=dbs, postgres=postgres, json_path=json_path)
    batcher(events=20_000, db=dbs, postgres=postgres, json_path=json_path)
    ingest(for_="30s", json_path=json_path)


def main() -> None:  # pragma: no cover - `python -m bench.cli`
    app()


if __name__ == "__main__":
    main()
