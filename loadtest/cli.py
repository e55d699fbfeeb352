"""`farechain loadtest`: run the Locust load test headless, audit the ledger, report.

    farechain loadtest run --taps-per-s 2000 --for 10m
    farechain loadtest run --day-in 15m --peak-taps-per-s 2000
    farechain loadtest run --url http://127.0.0.1:8000 --taps-per-s 500 --for 2m
    farechain loadtest run --taps-per-s 800 --for 2m --fresh --no-payments

Without `--url` it starts a system for the run (`farechain up` under
`var/loadtest/system`, seeded once with `--riders`). Everything lands under
`var/loadtest/<run id>/`: Locust's HTML report and CSVs, the journal, the samples,
`summary.txt`/`summary.json` and `plot.png`. The exit status is 1 when the audit finds
a trip lost or duplicated, a resend not deduplicated, `farechain verify` fails, or
errors exceed `--max-error-rate`, whatever the speed; with `--strict-goals` a missed
speed goal fails the run too.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from farechain.settings import Settings

app = typer.Typer(help="Load test: Locust riders and devices against the whole system.")


@app.command()
def run(
    taps_per_s: Annotated[
        float | None, typer.Option("--taps-per-s", help="hold this many taps/s")
    ] = None,
    for_: Annotated[str, typer.Option("--for", help="how long to hold it: 90s, 10m, 1h")] = "10m",
    day_in: Annotated[
        str | None, typer.Option(help="replay a whole day compressed into this long, e.g. 15m")
    ] = None,
    peak_taps_per_s: Annotated[float, typer.Option(help="the day's busiest rate")] = 2000.0,
    compression: Annotated[
        float, typer.Option(help="simulated seconds per real second at a fixed rate")
    ] = 30.0,
    users: Annotated[int | None, typer.Option(help="Locust users (default: peak / 4)")] = None,
    processes: Annotated[int, typer.Option(help="Locust processes")] = 1,
    url: Annotated[
        str | None, typer.Option(help="test this running system instead of starting one")
    ] = None,
    riders: Annotated[int, typer.Option(help="riders to seed when starting a system")] = 200_000,
    fresh: Annotated[
        bool,
        typer.Option(
            help="start from an empty ledger (re-seeds; verify stays fast); with DATABASE_URL"
            " set, drops farechain's tables in that database first"
        ),
    ] = False,
    workers: Annotated[int, typer.Option(help="uvicorn workers of a started system")] = 2,
    port: Annotated[int | None, typer.Option(help="port of a started system")] = None,
    block_max_events: Annotated[int | None, typer.Option(help="batcher block size")] = None,
    block_max_wait_ms: Annotated[int | None, typer.Option(help="batcher block wait")] = None,
    out_dir: Annotated[Path, typer.Option(help="where runs are written")] = Path("var/loadtest"),
    drain_timeout: Annotated[str, typer.Option(help="how long to wait for the batcher")] = "5m",
    max_error_rate: Annotated[float, typer.Option(help="failed requests allowed")] = 0.01,
    strict_goals: Annotated[bool, typer.Option(help="fail when a speed goal is missed")] = False,
    verify: Annotated[bool, typer.Option(help="run farechain verify after the audit")] = True,
    seed: Annotated[int, typer.Option(help="random seed of the riders' behaviour")] = 1,
    payments: Annotated[
        bool,
        typer.Option(
            "--payments/--no-payments",
            help="run the started system's payments worker; off, the same run without it",
        ),
    ] = True,
) -> None:
    """Run the load test headless and print the summary; exit 1 on a failed audit."""
    from loadtest.durations import parse_duration_s
    from loadtest.runner import RunOptions, run_load_test

    if (taps_per_s is None) == (day_in is None):
        raise typer.BadParameter("give either --taps-per-s (with --for) or --day-in")
    settings = Settings()
    options = RunOptions(
        taps_per_s=taps_per_s,
        duration_s=parse_duration_s(for_),
        day_in_s=parse_duration_s(day_in) if day_in else None,
        peak_taps_per_s=peak_taps_per_s,
        compression=compression,
        users=users,
        processes=processes,
        seed=seed,
        url=url,
        redis_url=settings.redis_url,
        database_url=settings.database_url,
        var_dir=settings.var_dir,
        riders=riders,
        fresh=fresh,
        workers=workers,
        port=port,
        block_max_events=block_max_events,
        block_max_wait_ms=block_max_wait_ms,
        out_dir=out_dir,
        drain_timeout_s=parse_duration_s(drain_timeout),
        max_error_rate=max_error_rate,
        verify=verify,
        payments=payments,
    )
    summary = run_load_test(options)
    typer.echo(summary.render())
    typer.echo(f"report: {summary.run_dir}/report.html, plot: {summary.run_dir}/plot.png")
    passed = summary.correct and summary.error_rate <= max_error_rate
    if strict_goals:
        passed = passed and all(met for _, _, met in summary.goals())
    if not passed:
        raise typer.Exit(1)


@app.command()
def show(run_dir: Annotated[Path, typer.Argument(help="a run's directory")]) -> None:
    """Print a finished run's summary again."""
    typer.echo((run_dir / "summary.txt").read_text(encoding="utf-8").rstrip())


@app.command()
def audit(run_dir: Annotated[Path, typer.Argument(help="a run's directory")]) -> None:
    """Audit a finished run's journal against the ledger again; exit 1 on a problem."""
    from loadtest.runner import reaudit

    problems, verify = reaudit(run_dir)
    typer.echo(f"farechain verify: {(verify.stdout + verify.stderr).strip()}")
    for problem in problems:
        typer.echo(f"PROBLEM: {problem}", err=True)
    if problems or verify.returncode != 0:
        raise typer.Exit(1)
    typer.echo("audit OK: every accepted trip-end is on the ledger once, with its invoice")


def main() -> None:  # pragma: no cover - `python -m loadtest.cli`
    app()


if __name__ == "__main__":
    main()
