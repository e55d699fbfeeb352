"""The Locust suite: riders and devices of the demo world, paced by a traffic plan.

Run it through `farechain loadtest run` (which starts the system, samples the queue and
audits the ledger afterwards), or directly:

    locust -f loadtest/locustfile.py --headless -u 500 -r 100 -t 10m \
        --host http://127.0.0.1:8000 --credentials var/demo-credentials.json \
        --taps-per-s 2000 --journal-dir var/loadtest/manual

Each simulated user owns a slice of the riders (see travel.py) and paces its requests so
that all users together follow the plan's rate: constant-throughput pacing whose target
moves with the day profile (profile.py). A user that falls behind catches up at most one
second of backlog, then drops the rest instead of bursting. A request without an answer
(connection error, 5xx) is sent again with the same event_id, as a device would; every
finished request is one journal line (journal.py) that the audit replays.
"""

from __future__ import annotations

import json
import os
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import gevent
import orjson
from locust import User, events, task

import fare
from loadtest.durations import parse_duration_s
from loadtest.journal import JournalWriter, Line
from loadtest.profile import Plan, day_plan, fixed_plan
from loadtest.travel import Request, Traveller, World
from loadtest.wire import Link, WireError, header_lines
from ridecodes.demo import DemoPhone, read_demo_phones
from ridecodes.phone import Phone

_ATTEMPTS = 4  # a device gives up on a request after this many tries without an answer
_STARVED_S = 0.05  # every rider of a user is mid-journey: look again this much later


def _add_options(parser: Any) -> None:
    group = parser.add_argument_group("farechain")
    group.add_argument("--credentials", default="var/demo-credentials.json")
    group.add_argument(
        "--phones", default="", help="the demo riders' phones (default: demo-phones.tsv beside)"
    )
    group.add_argument("--taps-per-s", type=float, default=0.0, help="hold this rate")
    group.add_argument("--day-in", default="", help="replay a day in this long, e.g. 15m")
    group.add_argument("--peak-taps-per-s", type=float, default=2000.0)
    group.add_argument("--compression", type=float, default=30.0)
    group.add_argument("--journal-dir", default="var/loadtest/journal")
    group.add_argument("--run-tag", default="")
    group.add_argument("--start-epoch", type=float, default=0.0)
    group.add_argument("--seed", type=int, default=1)
    group.add_argument(
        "--exclude-riders", default="", help="file of rider ids to leave alone, one a line"
    )


@dataclass
class _Shared:
    """One per Locust process: the plan, the world and the journal."""

    plan: Plan
    world: World
    journal: JournalWriter
    start_epoch: float
    users_total: int
    stride: int
    worker_index: int
    workers: int
    tag: str
    seed: int
    phones: dict[str, DemoPhone]
    next_local: int = 0
    handsets: dict[str, Phone] | None = None

    def code(self, rider: str, at: datetime) -> str:
        """The rider's phone shows a fresh code at the scan's (simulated) time."""
        if self.handsets is None:
            self.handsets = {}
        handset = self.handsets.get(rider)
        if handset is None:
            handset = self.handsets[rider] = self.phones[rider].handset()
        return handset.code_text(int(at.timestamp()))


_shared: _Shared | None = None


def _metro_distance_m() -> Callable[[str, str], int]:
    """Metres between two stations on the network in force now (the demo's tariffs)."""
    network = fare.load_tariffs().network_at(datetime.now(UTC))
    return lambda entry, exit_: network.path(entry, exit_).distance_m


def _setup(environment: Any) -> _Shared:
    global _shared
    if _shared is not None:
        return _shared
    options = environment.parsed_options
    start_epoch = options.start_epoch or time.time()
    start = datetime.fromtimestamp(start_epoch, UTC)
    if options.day_in:
        plan = day_plan(parse_duration_s(options.day_in), options.peak_taps_per_s, start)
    else:
        if options.taps_per_s <= 0:
            raise ValueError("expected --taps-per-s > 0 or --day-in, got neither")
        duration = float(options.run_time or 600)
        plan = fixed_plan(options.taps_per_s, duration, start, compression=options.compression)
    credentials = json.loads(Path(options.credentials).read_text(encoding="utf-8"))
    if options.exclude_riders:
        # Riders with a journey left open by an earlier run: their entry's time may be
        # later than this run's simulated clock, so an exit would end before it began.
        skip = set(Path(options.exclude_riders).read_text(encoding="utf-8").split())
        credentials["riders"] = [r for r in credentials["riders"] if r["id"] not in skip]
    phones_path = Path(options.phones or Path(options.credentials).with_name("demo-phones.tsv"))
    phones = read_demo_phones(phones_path)
    if not phones:
        raise ValueError(f"expected the demo riders' phones in {phones_path}; run farechain up")
    credentials["riders"] = [r for r in credentials["riders"] if r["id"] in phones]
    workers = options.processes if options.processes and options.processes > 0 else 1
    if options.processes == -1:
        workers = os.cpu_count() or 1
    users = max(1, int(options.num_users or 1))
    _shared = _Shared(
        plan=plan,
        world=World.from_credentials(credentials, _metro_distance_m()),
        journal=JournalWriter(Path(options.journal_dir) / f"journal-{os.getpid()}.tsv"),
        start_epoch=start_epoch,
        users_total=users,
        stride=users + workers,
        worker_index=int(getattr(environment.runner, "worker_index", 0) or 0),
        workers=workers,
        tag=options.run_tag or format(int(start_epoch), "x"),
        seed=options.seed,
        phones=phones,
    )
    return _shared


def _close_journal(**_: Any) -> None:
    if _shared is not None:
        _shared.journal.close()


events.init_command_line_parser.add_listener(_add_options)  # type: ignore[no-untyped-call]
events.test_stop.add_listener(_close_journal)  # type: ignore[no-untyped-call]
events.quitting.add_listener(_close_journal)  # type: ignore[no-untyped-call]


class NotDeduplicated(Exception):
    """A deliberate resend was answered as new: the edge's idempotency failed."""


class HttpFailure(Exception):
    """An answer other than 202 Accepted."""


class Rider(User):
    """A slice of the riders with the gates, validators and meters they use.

    Each user speaks HTTP over one kept-alive connection of its own (`loadtest.wire`:
    Locust's CPU per request fell from 0.46 ms with FastHttpUser's client to 0.27) and
    reports every request to Locust's statistics as FastHttpUser would.
    """

    network_timeout = 10.0
    connection_timeout = 5.0

    def on_start(self) -> None:
        shared = self.shared = _setup(self.environment)
        local = shared.next_local
        shared.next_local += 1
        slot = local * shared.workers + shared.worker_index
        riders = shared.world.riders[slot % shared.stride :: shared.stride]
        self.traveller = Traveller(
            shared.world,
            riders or shared.world.riders[:1],
            id_prefix=f"lt{shared.tag}-{slot:x}-",
            compression=shared.plan.compression,
            rng=random.Random(f"{shared.seed}-{slot}"),
            codes=shared.code,
        )
        self.link = Link(
            self.host or "",
            connect_timeout_s=self.connection_timeout,
            read_timeout_s=self.network_timeout,
        )
        self._headers = {
            d.id: header_lines(
                {"Authorization": f"Bearer {d.token}", "Content-Type": "application/json"}
            )
            for d in (*shared.world.gates, *shared.world.validators, *shared.world.meters)
        }
        self._report = self.environment.events.request.fire
        self._starved = False
        self._in_flight: Request | None = None
        now = time.time()
        self._last = now - random.random() * self._interval(now)

    def on_stop(self) -> None:
        if self._in_flight is not None:  # stopped mid-request: its fate is unknown
            self._journal(self._in_flight, "stopped", "-", 1)
            self._in_flight = None
        self.link.close()

    def wait_time(self) -> float:
        if self._starved:
            return _STARVED_S
        now = time.time()
        # Wake at least once a second, so a rising rate is noticed within a second.
        return min(1.0, max(0.0, self._last + self._interval(now) - now))

    @task
    def tap(self) -> None:
        now = time.time()
        due = self._last + self._interval(now)
        if now < due:
            return
        elapsed = now - self.shared.start_epoch
        sim_now = min(self.shared.plan.sim_at(elapsed), datetime.now(UTC) - timedelta(seconds=1))
        request = self.traveller.next_request(elapsed, sim_now)
        self._starved = request is None
        if request is None:
            return
        self._last = max(due, now - 1.0)
        self._send(request)

    def _interval(self, now: float) -> float:
        rate = self.shared.plan.rate_at(now - self.shared.start_epoch)
        return self.shared.users_total / max(rate, 1e-3)

    def _send(self, request: Request) -> None:
        self._in_flight = request
        body = orjson.dumps(request.body)
        headers = self._headers[request.device.id]
        for attempt in range(1, _ATTEMPTS + 1):
            began = time.perf_counter()
            try:
                reply = self.link.post(request.path, body, headers)
            except WireError as error:
                self._record(request, (time.perf_counter() - began) * 1000, 0, error)
                gevent.sleep(0.2 * attempt)
                continue
            took_ms = (time.perf_counter() - began) * 1000
            code = reply.status
            if code == 202:
                status = str(orjson.loads(reply.body)["status"])
                replayed = reply.headers.get("idempotent-replayed") == "true"
                failure = None
                if request.retry and not replayed:
                    failure = NotDeduplicated("a resend was not deduplicated")
                self._record(request, took_ms, len(reply.body), failure)
                self._journal(request, status, "1" if replayed else "0", attempt)
                self.traveller.answered(request, status, time.time() - self.shared.start_epoch)
                return
            text = reply.body.decode("utf-8", "replace")
            self._record(
                request, took_ms, len(reply.body), HttpFailure(f"HTTP {code}: {text}"[:300])
            )
            if 400 <= code < 500:
                self._journal(request, f"refused:{code}", "-", attempt)
                self.traveller.refused(request)
                return
            gevent.sleep(0.2 * attempt)
        self._journal(request, "lost", "-", _ATTEMPTS)
        self.traveller.lost(request)

    def _record(
        self, request: Request, took_ms: float, length: int, failure: Exception | None
    ) -> None:
        self._report(
            request_type="POST",
            name=request.name,
            response_time=took_ms,
            response_length=length,
            response=None,
            context={},
            exception=failure,
            url=request.path,
        )

    def _journal(self, request: Request, outcome: str, replayed: str, attempts: int) -> None:
        self._in_flight = None
        self.shared.journal.write(
            Line(
                answered_ms=int(time.time() * 1000),
                rider=request.rider,
                event_id=request.event_id,
                kind=request.kind,
                flag="r" if request.retry else "n",
                outcome=outcome,
                replayed=replayed,
                attempts=attempts,
                expected=request.expect_status or "-",
            )
        )
