"""One load-test run, start to verdict.

Start the system (or use a running one), take the ledger's head, run Locust headless in
a child process while the sampler watches the queue, wait for the batcher to drain,
then audit the ledger against the journal, run `farechain verify`, and write the
summary, the plot and Locust's own report under the run's directory.
"""

from __future__ import annotations

import json
import math
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import redis
from sqlalchemy import Engine

from farechain.db import drop_schema
from gates import keys
from loadtest.audit import LedgerCheck, audit_run
from loadtest.durations import format_duration
from loadtest.journal import Expectations, expect_ledger, read_journals
from loadtest.payments import check_payments, wait_settled
from loadtest.pgserver import server_pid
from loadtest.plot import plot_run
from loadtest.profile import Plan, day_plan, fixed_plan
from loadtest.sampler import Sampler
from loadtest.stats import (
    locust_history,
    locust_totals,
    percentile,
    plan_held,
    steady_rates,
)
from loadtest.summary import PaymentFigures, Summary
from loadtest.system import StartedSystem, free_port, start_system, system_env
from storage.engine import make_engine
from storage.private_files import create_private

_LOCUST_START_S = 2.0  # Locust's start-up; the plan's clock starts after it
# A path, not an import: importing Locust monkey-patches the process for gevent.
LOCUSTFILE = Path(__file__).with_name("locustfile.py")


@dataclass
class RunOptions:
    taps_per_s: float | None = None  # hold this rate for `duration_s` ...
    duration_s: float = 600.0
    day_in_s: float | None = None  # ... or replay a day in this long
    peak_taps_per_s: float = 2000.0
    compression: float = 30.0
    users: int | None = None
    processes: int = 1
    seed: int = 1
    # Against a running system: its URL, with the Redis and database it uses.
    url: str | None = None
    redis_url: str | None = None
    database_url: str | None = None
    var_dir: Path = Path("var")
    # Or start one for the run.
    riders: int = 200_000
    fresh: bool = False  # wipe the started system's directory (ledger, Redis) and database
    verify: bool = True  # run `farechain verify` after the audit (slow on a big ledger)
    workers: int = 2
    port: int | None = None
    block_max_events: int | None = None
    block_max_wait_ms: int | None = None
    out_dir: Path = Path("var/loadtest")
    drain_timeout_s: float = 300.0
    max_error_rate: float = 0.01
    # Stop the batcher (SIGSTOP) while the load runs: the ingest benchmark.
    pause_batcher: bool = False
    # After the batcher drains, wait this long at most for the run's payments to settle.
    payments_timeout_s: float = 120.0

    def plan(self, start: datetime) -> Plan:
        if self.day_in_s:
            return day_plan(self.day_in_s, self.peak_taps_per_s, start)
        if not self.taps_per_s:
            raise ValueError("expected --taps-per-s with --for, or --day-in; got neither")
        return fixed_plan(self.taps_per_s, self.duration_s, start, compression=self.compression)


def run_load_test(options: RunOptions) -> Summary:
    run_id = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ") + "-" + secrets.token_hex(2)
    run_dir = (options.out_dir / run_id).resolve()
    run_dir.mkdir(parents=True)
    system: StartedSystem | None = None
    if options.url is None:
        batcher = {
            k: v
            for k, v in (
                ("block_max_events", options.block_max_events),
                ("block_max_wait_ms", options.block_max_wait_ms),
            )
            if v is not None
        }
        print(f"starting farechain for the run (log: {run_dir / 'system.log'}) ...", flush=True)
        if options.fresh:
            shutil.rmtree(options.out_dir / "system", ignore_errors=True)
            if options.database_url:
                # The log's keys went with the directory: a ledger left in the database
                # would no longer verify, so it goes too.
                engine = make_engine(options.database_url)
                drop_schema(engine)
                engine.dispose()
        system = start_system(
            options.out_dir / "system",
            riders=options.riders,
            workers=options.workers,
            port=options.port or free_port(),
            database_url=options.database_url,
            redis_url=options.redis_url,
            batcher=batcher,
            log_path=run_dir / "system.log",
        )
        url, redis_url, var_dir = system.url, system.redis_url, system.var_dir
        database_url = options.database_url
    else:
        if not options.redis_url:
            raise ValueError("against a running system, give its Redis URL (REDIS_URL)")
        url, redis_url, var_dir = options.url, options.redis_url, options.var_dir.resolve()
        database_url = options.database_url
    try:
        return _run(options, run_id, run_dir, url, redis_url, database_url, var_dir, system)
    finally:
        if system is not None:
            system.stop()


def _run(
    options: RunOptions,
    run_id: str,
    run_dir: Path,
    url: str,
    redis_url: str,
    database_url: str | None,
    var_dir: Path,
    system: StartedSystem | None,
) -> Summary:
    env = system_env(var_dir, redis_url, database_url)
    engine = make_engine(RunMeta("", 0, str(var_dir), redis_url, database_url).engine_url)
    client = redis.Redis.from_url(redis_url)
    credentials = var_dir / "demo-credentials.json"
    riders = len(json.loads(credentials.read_text(encoding="utf-8"))["riders"])
    start_epoch = time.time() + _LOCUST_START_S
    plan = options.plan(datetime.fromtimestamp(start_epoch, UTC))
    users = min(riders // 4, options.users or max(10, min(1000, math.ceil(plan.peak_rate / 4))))
    tag = f"{int(start_epoch):x}{secrets.token_hex(2)}"
    sampler = Sampler(client, engine, roles=system.roles if system else None)
    postmaster = server_pid(engine)
    if postmaster is not None:
        sampler.add_role("postgres", postmaster)
    head = sampler.sample()
    still_open: list[bytes] = client.zrange(keys.OPEN_JOURNEYS, 0, -1)  # type: ignore[assignment]
    exclude = run_dir / "exclude-riders.txt"
    exclude.write_text("".join(f"{r.decode()}\n" for r in still_open), encoding="utf-8")
    (run_dir / "plan.json").write_text(json.dumps({**plan.to_json(), "users": users}))
    meta = RunMeta(f"lt{tag}-", head.height, str(var_dir), redis_url, database_url)
    # 0600: the Redis URL in it carries the password.
    create_private(run_dir / "run.json", json.dumps(asdict(meta)))
    command = [
        sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless",
        "-u", str(users), "-r", str(max(1, users)), "-t", f"{math.ceil(plan.duration_s)}s",
        "--host", url, "--csv", str(run_dir / "locust"), "--csv-full-history",
        "--html", str(run_dir / "report.html"), "--only-summary", "--stop-timeout", "15",
        "--loglevel", "WARNING", "--exit-code-on-error", "0",
        "--credentials", str(credentials), "--journal-dir", str(run_dir),
        "--run-tag", tag, "--start-epoch", f"{start_epoch:.3f}", "--seed", str(options.seed),
        "--compression", str(plan.compression), "--peak-taps-per-s", str(plan.peak_rate),
        "--exclude-riders", str(exclude),
    ]  # fmt: skip
    if plan.fixed_rate is not None:
        command += ["--taps-per-s", str(plan.fixed_rate)]
    else:
        command += ["--day-in", f"{plan.duration_s}s"]
    if options.processes > 1:
        command += ["--processes", str(options.processes)]
    print(f"load test {run_id}: {_describe(plan)}, {users} users; output in {run_dir}", flush=True)
    with (run_dir / "locust.log").open("wb") as log:
        locust = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env)
    sampler.add_role("locust", locust.pid)
    sampler.start()
    paused = system.roles.get("batcher", []) if system and options.pause_batcher else []
    for pid in paused:
        os.kill(pid, signal.SIGSTOP)
    try:
        locust.wait(timeout=plan.duration_s + 180)
    except subprocess.TimeoutExpired:
        locust.kill()
        locust.wait()
    finally:
        for pid in paused:
            os.kill(pid, signal.SIGCONT)
    load_stopped = time.time()
    drained_s = _drain(sampler, options.drain_timeout_s, load_stopped)
    # The sampler keeps watching: payment blocks are seen committed as trip blocks are.
    paid_s = wait_settled(engine, meta.id_prefix, options.payments_timeout_s)
    sampler.stop()
    sampler.save(run_dir / "samples.jsonl")
    (run_dir / "blocks-seen.json").write_text(json.dumps(sampler.block_seen_ms))
    if locust.returncode != 0:
        print(f"locust exited with {locust.returncode}; see {run_dir / 'locust.log'}", flush=True)

    print("auditing the ledger against the journal ...", flush=True)
    expected, check = audit_journal(run_dir, meta, engine, client, sampler.block_seen_ms)
    paid = check_payments(
        engine,
        id_prefix=meta.id_prefix,
        from_height=meta.from_height,
        tap_out_ms=check.tap_out_ms,
        block_seen_ms=sampler.block_seen_ms,
    )
    client.close()
    engine.dispose()
    if system is not None:
        system.stop()  # the batcher has drained; free the cores for the audit
    verify_began = time.time()
    verify = run_verify(env) if options.verify else None
    verify_s = time.time() - verify_began
    samples = sampler.samples
    window = (expected.first_ms or 0) // 1000, (expected.last_ms or 0) // 1000
    # Counted from this run's trip records, not the tree's growth: payment records grow
    # the tree too.
    committed = {s: n for s, n in check.committed_per_s.items() if window[0] <= s <= window[1]}
    in_load = [s for s in samples if s.t <= load_stopped]
    cpu_roles = sorted({r for s in in_load for r in s.cpu})
    summary = Summary(
        run_id=run_id,
        run_dir=str(run_dir),
        plan=_describe(plan),
        users=users,
        taps_accepted=expected.taps_accepted,
        taps=steady_rates(expected.accepted_per_s),
        plan_held=plan_held(plan.rate_at, plan.duration_s, start_epoch, expected.accepted_per_s),
        trip_ends_expected=len(expected.exactly_once),
        trip_ends_committed=steady_rates(committed),
        responses=locust_totals(run_dir / "locust_stats.csv"),
        refused=expected.refused,
        lost=expected.lost,
        stopped=expected.stopped,
        resends=expected.resends,
        resends_replayed=expected.resends_replayed,
        open_at_end=expected.open_at_end,
        lag_block_p50_ms=percentile(check.lag_block_ms, 50),
        lag_block_p99_ms=percentile(check.lag_block_ms, 99),
        lag_commit_p50_ms=percentile(check.lag_commit_ms, 50),
        lag_commit_p99_ms=percentile(check.lag_commit_ms, 99),
        max_queue=max((s.queue for s in samples), default=0),
        max_pending=max((s.pending for s in samples), default=0),
        drained_s=drained_s,
        cpu_mean={
            r: sum(s.cpu.get(r, 0.0) for s in in_load) / max(1, len(in_load)) for r in cpu_roles
        },
        trips_on_ledger=check.trips_on_ledger,
        checked=check.checked,
        problems=expected.problems + check.problems,
        notes=expected.notes,
        verify_ok=None if verify is None else verify.returncode == 0,
        verify_output="" if verify is None else verify.stdout + verify.stderr,
        verify_s=verify_s,
        max_error_rate=options.max_error_rate,
        payments=PaymentFigures(
            charged=paid.charged,
            captured=paid.statuses["captured"],
            declined=paid.statuses["declined"],
            unsettled=paid.unsettled,
            settled_s=paid_s,
            lag_p50_ms=percentile(paid.lag_ms, 50),
            lag_p99_ms=percentile(paid.lag_ms, 99),
            lag_commit_p50_ms=percentile(paid.lag_commit_ms, 50),
            lag_commit_p99_ms=percentile(paid.lag_commit_ms, 99),
        ),
        settings={
            "url": url,
            "database": engine.dialect.name,
            "workers": options.workers if system else None,
            "block_max_events": options.block_max_events,
            "block_max_wait_ms": options.block_max_wait_ms,
            "processes": options.processes,
            "cpu_count": os.cpu_count(),
            "load_average_after": os.getloadavg(),
        },
    )
    (run_dir / "summary.json").write_text(json.dumps(summary.to_json(), indent=2))
    (run_dir / "summary.txt").write_text(summary.render() + "\n")
    plot_run(
        run_dir / "plot.png",
        title=f"farechain load test {run_id}: {_describe(plan)}",
        start_epoch=start_epoch,
        plan=plan,
        accepted_per_s=expected.accepted_per_s,
        samples=samples,
        history=locust_history(run_dir / "locust_stats_history.csv"),
        lag_points=check.lag_points,
    )
    return summary


@dataclass(frozen=True)
class RunMeta:
    """What a later `farechain loadtest audit` needs to audit a finished run again."""

    id_prefix: str
    from_height: int
    var_dir: str
    redis_url: str
    database_url: str | None

    @property
    def engine_url(self) -> str:
        return self.database_url or f"sqlite:///{Path(self.var_dir) / 'farechain.sqlite3'}"


def audit_journal(
    run_dir: Path,
    meta: RunMeta,
    engine: Engine,
    client: redis.Redis | None,
    block_seen_ms: Mapping[int, int],
) -> tuple[Expectations, LedgerCheck]:
    expected = expect_ledger(read_journals(run_dir))
    check = audit_run(
        engine,
        client,
        expected,
        id_prefix=meta.id_prefix,
        from_height=meta.from_height,
        block_seen_ms=block_seen_ms,
    )
    return expected, check


def reaudit(run_dir: Path) -> tuple[list[str], subprocess.CompletedProcess[str]]:
    """Audit a finished run again (the system may be stopped); problems and verify."""
    meta = RunMeta(**json.loads((run_dir / "run.json").read_text(encoding="utf-8")))
    seen_path = run_dir / "blocks-seen.json"
    seen = {int(k): v for k, v in json.loads(seen_path.read_text()).items()}
    engine = make_engine(meta.engine_url)
    try:
        expected, check = audit_journal(run_dir, meta, engine, None, seen)
    finally:
        engine.dispose()
    env = system_env(Path(meta.var_dir), meta.redis_url, meta.database_url)
    return expected.problems + check.problems, run_verify(env)


def run_verify(env: Mapping[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "farechain.cli", "verify"],
        env=dict(env),
        capture_output=True,
        text=True,
        check=False,
    )


def _drain(sampler: Sampler, timeout_s: float, since: float) -> float:
    """Wait until the queue is empty and the head stops moving; seconds it took."""
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        samples = sampler.samples[-3:]
        if (
            len(samples) == 3
            and all(s.t > since for s in samples)
            and all(s.queue == 0 for s in samples)
            and len({s.tree_size for s in samples}) == 1
        ):
            return samples[-1].t - since
        time.sleep(0.25)
    return math.nan


def _describe(plan: Plan) -> str:
    if plan.fixed_rate is not None:
        return f"{plan.fixed_rate:,.0f} taps/s for {format_duration(plan.duration_s)}"
    return (
        f"a day in {format_duration(plan.duration_s)} "
        f"(peak {plan.peak_rate:,.0f} taps/s, x{plan.compression:.0f})"
    )
