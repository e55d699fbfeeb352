"""The load test end to end, briefly and slowly: it runs, and its audit catches losses.

Speed is not judged here (the machine running the suite is busy with other things);
what is judged is that a short run against a real system passes its audit, and that
the audit fails loudly when a trip-end is lost, duplicated or left without its invoice.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime
from pathlib import Path

import redis
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from farechain.settings import Settings
from ledger import keyfiles
from ledger.store import LedgerWriter
from loadtest import Line, expect_ledger, read_journals
from loadtest.cli import app
from loadtest.runner import RunOptions, reaudit, run_load_test


def test_a_short_run_passes_its_audit_and_tampering_fails_it(
    engine: Engine, redis_client: redis.Redis, redis_url: str, database_url: str, tmp_path: Path
) -> None:
    summary = run_load_test(
        RunOptions(
            taps_per_s=40,
            duration_s=12,
            compression=300,
            users=8,
            riders=300,
            workers=1,
            block_max_wait_ms=50,
            redis_url=redis_url,
            database_url=database_url,
            out_dir=tmp_path,
            drain_timeout_s=60,
        )
    )
    run_dir = Path(summary.run_dir)
    assert summary.correct, summary.render()
    assert summary.verify_ok and summary.problems == []
    assert summary.taps_accepted > 200 and summary.checked > 100
    assert summary.trips_on_ledger >= summary.checked
    assert summary.lag_commit_p99_ms < 30_000
    for name in ("report.html", "locust_stats.csv", "plot.png", "summary.json"):
        assert (run_dir / name).stat().st_size > 0, name
    assert json.loads((run_dir / "summary.json").read_text())["correct"] is True
    # A run told not to verify says so, rather than "OK"; a failed verify fails the run.
    unverified = dataclasses.replace(summary, verify_ok=None, verify_output="")
    assert unverified.correct
    assert "farechain verify    not run" in unverified.render()
    assert not dataclasses.replace(summary, verify_ok=False).correct

    cli = CliRunner()
    assert cli.invoke(app, ["audit", str(run_dir)]).exit_code == 0

    expected = expect_ledger(read_journals(run_dir))
    with engine.connect() as connection:
        invoiced = {e for (e,) in connection.execute(text("SELECT trip_event_id FROM invoices"))}
    # The victim is a paid trip: a free one (a senior's) has no invoice to lose.
    victim = sorted(expected.exactly_once & invoiced)[0]
    twice = sorted(expected.exactly_once - {victim})[0]

    # An invoice row goes missing (the ledger itself is intact).
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM invoices WHERE trip_event_id = :e"), {"e": victim})
    problems, _ = reaudit(run_dir)
    assert any("without their full set" in p and victim in p for p in problems)

    # A trip-end the generator saw accepted never reaches the ledger.
    ghost = f"{victim.rsplit('-', 1)[0]}-ghost"
    (run_dir / "journal-0.tsv").write_text(
        Line(1, "r0000001", ghost, "board", "n", "recorded", "0", 1).to_text()
    )
    problems, _ = reaudit(run_dir)
    assert any("lost" in p and ghost in p for p in problems)

    # A correctly signed block that repeats a trip: every hash and signature holds.
    settings = Settings(var_dir=tmp_path / "system")
    signers = keyfiles.load_log_signers(settings.ledger_key_path, settings.ledger.origin)
    writer = LedgerWriter(origin=settings.ledger.origin, signers=signers)
    with Session(engine) as session:
        body = session.execute(
            text(
                "SELECT body FROM ledger_records r JOIN trips t ON t.record_index = r.idx "
                "WHERE t.event_id = :e"
            ),
            {"e": twice},
        ).scalar_one()
        writer.append_block(session, writer.lock_head(session), [("trip", body)], datetime.now(UTC))
        session.commit()
    problems, _ = reaudit(run_dir)
    assert any("duplicated" in p and twice in p for p in problems)

    result = cli.invoke(app, ["audit", str(run_dir)])
    assert result.exit_code == 1


def test_a_run_without_payments_charges_trips_and_pays_none(
    engine: Engine, redis_url: str, database_url: str, tmp_path: Path
) -> None:
    """`--no-payments`: the same run (riders, ride codes, audit) with no payments worker."""
    summary = run_load_test(
        RunOptions(
            taps_per_s=40,
            duration_s=8,
            compression=300,
            users=8,
            riders=300,
            workers=1,
            block_max_wait_ms=50,
            redis_url=redis_url,
            database_url=database_url,
            out_dir=tmp_path,
            drain_timeout_s=60,
            payments=False,
        )
    )
    assert summary.correct, summary.render()
    assert not summary.payments.enabled and "payments            off" in summary.render()
    prefix = json.loads((Path(summary.run_dir) / "run.json").read_text())["id_prefix"] + "%"
    with engine.connect() as connection:
        charged, paid = (
            connection.execute(text(sql), {"p": prefix}).scalar_one()
            for sql in (
                "SELECT count(*) FROM charges WHERE trip_event_id LIKE :p AND amount_fen > 0",
                "SELECT count(*) FROM payments WHERE trip_event_id LIKE :p",
            )
        )
    assert charged > 20 and paid == 0
    assert summary.cpu_mean.get("payments", 0.0) == 0.0  # no worker process to measure
