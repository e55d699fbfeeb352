"""`farechain operators ...`: settle a day, run the settler, reconcile a journal file.

farechain operators settle --day 2026-12-03     # settle (or show) one ended day
farechain operators settler                      # settle each day once it ends (./run)
farechain operators reconcile --operator szmc --day 2026-12-03 journal.csv
"""

from __future__ import annotations

import datetime as dt
import logging
import signal
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy.orm import Session

from farechain.settings import Settings
from ledger import keyfiles
from ledger.store import LedgerWriter
from operators.errors import OperatorsError
from operators.reconcile import ReconcileLimits, reconcile
from operators.settlement import recompute, settle_day, stored_statement, unsettled_days
from storage.engine import make_engine

app = typer.Typer(help="The operators' back office: settlement and reconciliation.")
log = logging.getLogger("farechain.settler")


def _writer(settings: Settings) -> LedgerWriter:
    signers = keyfiles.load_log_signers(settings.ledger_key_path, settings.ledger.origin)
    return LedgerWriter(origin=settings.ledger.origin, signers=signers)


def _day(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(f"expected YYYY-MM-DD, got {text!r}") from None


@app.command()
def settle(day: Annotated[str, typer.Option(help="business day, YYYY-MM-DD")]) -> None:
    """Settle an ended day: one signed statement per operator on the ledger (once)."""
    from farechain.migrate import upgrade

    settings = Settings()
    engine = make_engine(settings.database_url_or_default)
    upgrade(engine)
    writer, when = _writer(settings), _day(day)
    with Session(engine) as session:
        try:
            outcome = settle_day(
                session,
                writer,
                day=when,
                cut_min=settings.operators.day_cut_min,
                now=dt.datetime.now(dt.UTC),
            )
        except OperatorsError as error:
            typer.echo(f"settle: {error}", err=True)
            raise typer.Exit(1) from None
        verb = "settled" if outcome.created else "already settled"
        typer.echo(
            f"{verb} {when}: ledger [{outcome.ledger_from}, {outcome.ledger_to}), "
            f"{len(outcome.statements)} statements"
            + (f", {outcome.items} items cleared" if outcome.created else "")
        )
        again = recompute(session, when, writer.signers[0])
        for operator, index in sorted(outcome.statements.items()):
            _, stored = stored_statement(session, operator, when)
            same = "same bytes on recompute" if again.get(operator) == stored else "DIFFERS"
            typer.echo(f"  {operator:16} statement at ledger index {index} ({same})")
        if any(again.get(op) != stored_statement(session, op, when)[1] for op in again):
            raise typer.Exit(1)


@app.command()
def settler() -> None:
    """Settle each business day once it has ended (and the grace period passed)."""
    # The schema is `farechain db upgrade`'s, which `farechain up` runs before this starts.
    logging.basicConfig(level=logging.INFO, format="%(asctime)s settler %(message)s")
    settings = Settings()
    engine = make_engine(settings.database_url_or_default)
    writer, config = _writer(settings), settings.operators
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    while True:
        grace = dt.timedelta(minutes=config.settle_grace_min)
        now = dt.datetime.now(dt.UTC)
        try:
            with Session(engine) as session:
                for day in unsettled_days(
                    session, now=now - grace, cut_min=config.day_cut_min, first=None
                ):
                    outcome = settle_day(
                        session, writer, day=day, cut_min=config.day_cut_min, now=now
                    )
                    log.info("settled %s: %d items", day, outcome.items)
        except Exception:  # one failed round must not stop the schedule
            log.exception("settling failed; retrying at the next round")
        if stop.wait(config.settle_interval_s):
            return


def _chunks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 16):
            yield chunk


@app.command("reconcile")
def reconcile_command(
    file: Annotated[Path, typer.Argument(help="the device journal (CSV or TIDES)")],
    operator: Annotated[str, typer.Option(help="operator id, e.g. szmc")],
    day: Annotated[str, typer.Option(help="business day, YYYY-MM-DD")],
) -> None:
    """Reconcile a journal file with the ledger; progress on stderr, report on stdout."""
    import json

    from operators.views import report_with_payments

    settings = Settings()
    engine = make_engine(settings.database_url_or_default)
    config = settings.operators

    def progress(rows: int) -> None:
        print(f"\r  {rows:,} rows read", end="", file=sys.stderr, flush=True)

    with Session(engine) as session:
        try:
            report = reconcile(
                session,
                operator=operator,
                day=_day(day),
                chunks=_chunks(file),
                cut_min=config.day_cut_min,
                now=dt.datetime.now(dt.UTC),
                limits=ReconcileLimits(
                    max_rows=config.reconcile_max_rows, chunk_rows=config.reconcile_sort_rows
                ),
                progress=progress,
            )
        except OperatorsError as error:
            typer.echo(f"\nreconcile: {error}", err=True)
            raise typer.Exit(1) from None
        print(file=sys.stderr)
        typer.echo(json.dumps(report_with_payments(session, report), indent=2))
