"""The `farechain` command.

`farechain bench ...` and `farechain loadtest ...` are plugins: the `bench` and
`loadtest` packages stand above the wiring (they start and measure the system it
builds), so they register their command groups under the `farechain.commands` entry
point (pyproject.toml) instead of being imported from here.
"""

from __future__ import annotations

import logging
import signal
import threading
from datetime import UTC, datetime
from importlib.metadata import entry_points
from pathlib import Path
from typing import Annotated

import redis
import typer
from sqlalchemy.orm import Session

import fare
from farechain import ride_codes
from farechain.db_cli import app as db_app
from farechain.fare_cli import app as fare_app
from farechain.operators_cli import app as operators_app
from farechain.settings import Settings
from ledger import keyfiles

app = typer.Typer(
    help="farechain: transit fares and e-invoices on a verifiable ledger.",
    no_args_is_help=True,
    add_completion=False,
)
app.add_typer(fare_app, name="fare")
app.add_typer(db_app, name="db")
app.add_typer(operators_app, name="operators")


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
    from farechain.stream_key import stream_mac_key
    from ledger.store import LedgerWriter
    from storage.engine import make_engine
    from trips.batcher import Batcher, BatcherLimits
    from trips.sealer import Sealer

    logging.basicConfig(level=logging.INFO, format="%(asctime)s batcher %(message)s")
    settings = _settings()
    # The schema is `farechain db upgrade`'s, which `farechain up` runs before this starts.
    engine = make_engine(settings.database_url_or_default)
    signers = keyfiles.load_log_signers(settings.ledger_key_path, settings.ledger.origin)
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
        stream_key=stream_mac_key(settings),
    )
    worker.run(_stop_on_signals())


@app.command("payments-worker")
def payments_worker() -> None:
    """Run the payments worker (payments after each block, webhooks, retries) until SIGTERM."""
    from farechain.payments_setup import run_worker

    logging.basicConfig(level=logging.INFO, format="%(asctime)s payments %(message)s")
    run_worker(_settings(), _stop_on_signals())


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
        except redis.RedisError as error:
            logging.warning("sweeper: %s", error)
            continue
        if closed:
            logging.info("swept %d journeys left open", closed)


@app.command()
def verify() -> None:
    """Recompute every record hash, Merkle node, block root, signature and chain link."""
    from payments.records import balance_delta
    from storage.engine import make_engine, snapshot_session
    from trips.audit import audit

    settings = _settings()
    engine = make_engine(settings.database_url_or_default)
    # One snapshot: the batcher commits blocks meanwhile, and a block committed between
    # two of the audit's reads would look like records without a block or rows.
    with snapshot_session(engine) as session:
        report = audit(
            session,
            verifier_keys=keyfiles.load_verifier_keys(settings.ledger_public_keys_path),
            witness_keys=keyfiles.load_verifier_keys(settings.witness_keys_path),
            origin=settings.ledger.origin,
            balance_moves={"payment": balance_delta, "refund": balance_delta},
        )
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
    from farechain.migrate import upgrade
    from operators.seed import add_demo_accounts
    from storage.engine import make_engine
    from trips.seed import seed as seed_world

    settings = _settings()
    engine = make_engine(settings.database_url_or_default)
    upgrade(engine)
    keyfiles.ensure_log_key(settings.ledger_key_path, settings.ledger.origin)
    client = redis.Redis.from_url(_redis_url(settings))
    path = settings.var_dir / "demo-credentials.json"
    with Session(engine) as session:
        seed_world(session, client, fare.load_tariffs(), riders=riders, credentials_path=path)
        add_demo_accounts(session, path)
        ride_codes.prepare(settings, session, client)
    typer.echo(f"seeded; credentials in {path}")


@app.command("verify-receipt")
def verify_receipt_command(
    file: Annotated[Path, typer.Argument(help="a .tlog-proof receipt")],
    log_key: Annotated[list[str], typer.Option(help="the log's verifier key (repeatable)")],
    witness_key: Annotated[
        list[str] | None, typer.Option(help="a trusted witness's verifier key (repeatable)")
    ] = None,
    quorum: Annotated[int, typer.Option(help="cosignatures required")] = 0,
    max_age_s: Annotated[
        int | None, typer.Option(help="refuse cosignatures older than this (staleness)")
    ] = None,
) -> None:
    """Check a receipt offline with public keys only: exit 0 valid, 1 invalid."""
    import time

    from ledger.exceptions import ReceiptError
    from ledger.receipt import verify_receipt

    try:
        verified = verify_receipt(file.read_bytes(), log_key, witness_key or [], quorum)
    except ReceiptError as error:
        typer.echo(f"invalid: {error}", err=True)
        raise typer.Exit(1) from None
    except (ValueError, OSError) as error:
        typer.echo(f"usage: {error}", err=True)
        raise typer.Exit(2) from None
    if max_age_s is not None:
        fresh = [c for c in verified.cosignatures if (c.timestamp or 0) >= time.time() - max_age_s]
        if len(fresh) < quorum:
            typer.echo(
                f"invalid: checkpoint: stale, {len(fresh)} cosignatures younger than "
                f"{max_age_s} s, expected at least {quorum}",
                err=True,
            )
            raise typer.Exit(1)
    record = verified.record
    typer.echo(
        f"valid: {record.get('type')} record {verified.index} in the log "
        f"{verified.checkpoint.origin} at size {verified.checkpoint.size}, signed by "
        f"{', '.join(s.name for s in verified.log_signatures)}; "
        f"{len(verified.cosignatures)} cosignature(s)"
        + "".join(f"\n  cosigned by {c.name} at {c.timestamp}" for c in verified.cosignatures)
    )


@app.command("rotate-key")
def rotate_key(
    finish: Annotated[bool, typer.Option(help="retire every key but the newest")] = False,
) -> None:
    """Start a log key rotation (a second key signs too), or finish it."""
    settings = _settings()
    path, origin = settings.ledger_key_path, settings.ledger.origin
    if finish:
        kept = keyfiles.finish_rotation(path, origin)
        typer.echo(f"signing with {kept.verifier.vkey} only; restart the batcher and the API")
    else:
        new = keyfiles.start_rotation(path, origin)
        typer.echo(f"added {new.verifier.vkey}; restart the batcher and the API to use it")


@app.command("rotate-ride-code-key")
def rotate_ride_code_key() -> None:
    """A new ride-code issuer key signs from now on; certificates of the old stay valid."""
    import time

    from ridecodes.keyfiles import rotate_issuer_key

    settings = _settings()
    new = rotate_issuer_key(
        settings.ride_issuer_key_path,
        settings.ride_issuer_set_path,
        now=int(time.time()),
        max_span_s=settings.ride_codes.max_certificate_span_days * 86_400,
    )
    typer.echo(
        f"issuing with key {new.key_id.hex()}; gates accept the old keys' certificates"
        " until they expire (API processes notice within seconds)"
    )


@app.command()
def witness(
    name: Annotated[str, typer.Option(help="the witness's name, e.g. tax.example/witness")],
    key: Annotated[Path, typer.Option(help="its private key file (created if absent)")],
    url: Annotated[str, typer.Option(help="the log's base URL")] = "http://127.0.0.1:8000",
    state: Annotated[Path | None, typer.Option(help="state file")] = None,
    log_key: Annotated[
        list[str] | None, typer.Option(help="the log's verifier key (default: ledger.pub)")
    ] = None,
    once: Annotated[bool, typer.Option(help="one round, then exit")] = False,
    interval_s: Annotated[float, typer.Option(help="seconds between rounds")] = 5.0,
) -> None:
    """Cosign the log's checkpoints after checking each is consistent with the last."""
    from farechain.witness import load_or_create_witness_key, run_witness
    from ledger.keys import Verifier

    logging.basicConfig(level=logging.INFO, format="%(asctime)s witness %(message)s")
    settings = _settings()
    signer = load_or_create_witness_key(key, name)
    typer.echo(f"witness key: {signer.verifier.vkey}")
    keys = log_key or keyfiles.load_verifier_keys(settings.ledger_public_keys_path)
    if not keys:
        raise typer.BadParameter("no log key: pass --log-key or run beside the log's var/")
    state_path = state or key.with_suffix(".state.json")
    code = run_witness(
        url,
        signer,
        [Verifier.parse(k) for k in keys],
        state_path,
        once=once,
        interval_s=interval_s,
        stop=None if once else _stop_on_signals(),
    )
    raise typer.Exit(code)


@app.command()
def demo(
    trips: Annotated[int, typer.Option(help="metro trips to post")] = 1000,
    url: Annotated[str, typer.Option(help="the running system")] = "http://127.0.0.1:8000",
) -> None:
    """Post trips through the device API of a running system and wait until sealed."""
    from farechain.demo import run_demo

    settings = _settings()
    typer.echo(run_demo(url, settings.var_dir / "demo-credentials.json", trips))


@app.command("now")
def now_command() -> None:
    """Print the current UTC time as the API expects it (handy for curl)."""
    typer.echo(datetime.now(UTC).isoformat())


def main() -> None:
    for plugin in entry_points(group="farechain.commands"):
        app.add_typer(plugin.load(), name=plugin.name)
    app()


if __name__ == "__main__":
    main()
