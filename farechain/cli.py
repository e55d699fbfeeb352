"""The `farechain` command."""

from __future__ import annotations

import logging
import signal
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import redis
import typer
from sqlalchemy.orm import Session

import fare
from farechain import signing
from farechain.settings import Settings

app = typer.Typer(
    help="farechain: transit fares and e-invoices on a verifiable ledger.",
    no_args_is_help=True,
    add_completion=False,
)


def _settings() -> Settings:
    return Settings()


def _stop_on_signals() -> threading.Event:
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    return stop


def _redis_url(settings: Settings) -> str:
    if not settings.redis_url:
        raise typer.BadParameter("REDIS_URL is not set (farechain up sets it for its children)")
    return settings.redis_url


@app.command()
def up(
    riders: Annotated[int, typer.Option(help="demo riders to create on first start")] = 1000,
    workers: Annotated[int | None, typer.Option(help="uvicorn worker processes")] = None,
    port: Annotated[int | None, typer.Option(help="HTTP port")] = None,
) -> None:
    """Run the whole system: Redis, database, API, batcher and sweeper, seeded with a demo."""
    from farechain.supervisor import run_system

    settings = _settings()
    if workers is not None:
        settings.server.workers = workers
    if port is not None:
        settings.server.port = port
    raise typer.Exit(run_system(settings, riders=riders))


@app.command()
def batcher() -> None:
    """Run the batcher (the ledger's single writer) until SIGTERM."""
    from farechain.batcher import Batcher, BatcherLimits
    from farechain.db import create_schema, make_engine
    from farechain.sealing import Sealer
    from ledger.store import LedgerWriter

    logging.basicConfig(level=logging.INFO, format="%(asctime)s batcher %(message)s")
    settings = _settings()
    engine = make_engine(settings.database_url_or_default)
    create_schema(engine)
    signers = signing.load_log_signers(settings.ledger_key_path, settings.ledger.origin)
    sealer = Sealer(
        book=fare.load_tariffs(),
        writer=LedgerWriter(origin=settings.ledger.origin, signers=signers),
    )
    limits = BatcherLimits(
        block_max_events=settings.batcher.block_max_events,
        block_max_wait_ms=settings.batcher.block_max_wait_ms,
        reclaim_idle_ms=settings.batcher.reclaim_idle_ms,
        pause_at=settings.batcher.pause_at,
        pause_file=settings.var_dir / "paused",
    )
    worker = Batcher(
        client=redis.Redis.from_url(_redis_url(settings)),
        engine=engine,
        sealer=sealer,
        limits=limits,
    )
    worker.run(_stop_on_signals())


@app.command()
def sweeper() -> None:
    """Close journeys left open past the timeout as incomplete trip-ends, until SIGTERM."""
    from gates.sweeper import Sweeper

    logging.basicConfig(level=logging.INFO, format="%(asctime)s sweeper %(message)s")
    settings = _settings()
    stop = _stop_on_signals()
    sweeper = Sweeper(
        redis.Redis.from_url(_redis_url(settings)),
        journey_timeout_min=settings.gates.journey_timeout_min,
    )
    while not stop.wait(settings.gates.sweep_interval_s):
        try:
            closed = sweeper.sweep_once()
        except redis.ConnectionError as error:
            logging.warning("sweeper: %s", error)
            continue
        if closed:
            logging.info("swept %d journeys left open", closed)


@app.command()
def verify() -> None:
    """Recompute every record hash, Merkle node, block root, signature and chain link."""
    from farechain.audit import audit
    from farechain.db import make_engine

    settings = _settings()
    engine = make_engine(settings.database_url_or_default)
    verifier_keys = [
        s.verifier.vkey
        for s in signing.load_log_signers(settings.ledger_key_path, settings.ledger.origin)
    ]
    with Session(engine) as session:
        report = audit(session, verifier_keys=verifier_keys, origin=settings.ledger.origin)
    if report.problem is not None:
        typer.echo(f"verify FAILED: {report.problem}", err=True)
        raise typer.Exit(1)
    typer.echo(
        f"verify OK: {report.records} records, {report.blocks} blocks, "
        f"tree size {report.tree_size}, root {report.root_hex}"
    )


@app.command()
def seed(riders: Annotated[int, typer.Option()] = 1000) -> None:
    """Create the demo world (if absent) and publish the device registry to Redis."""
    from farechain.db import create_schema, make_engine
    from farechain.seed import seed as seed_world

    settings = _settings()
    engine = make_engine(settings.database_url_or_default)
    create_schema(engine)
    signing.ensure_log_key(settings.ledger_key_path, settings.ledger.origin)
    client = redis.Redis.from_url(_redis_url(settings))
    path = settings.var_dir / "demo-credentials.json"
    with Session(engine) as session:
        seed_world(session, client, fare.load_tariffs(), riders=riders, credentials_path=path)
    typer.echo(f"seeded; credentials in {path}")


@app.command("now")
def now_command() -> None:
    """Print the current UTC time as the API expects it (handy for curl)."""
    typer.echo(datetime.now(UTC).isoformat())


def main() -> None:
    try:
        from farechain.fare_cli import app as fare_app

        app.add_typer(fare_app, name="fare")
    except ImportError:  # pragma: no cover - the fare CLI is optional wiring
        pass
    app()


if __name__ == "__main__":
    main()

__all__ = ["Path", "app", "main"]
