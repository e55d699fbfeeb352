"""A steady, light tap load that keeps a journal, for the chaos checks.

A few threads, each a `loadtest.travel.Traveller` over its own slice of the demo riders
and its own kept-alive `loadtest.wire.Link`, post taps at a fixed rate and write every
answer to a `loadtest.journal` file; the exactly-once audit (`loadtest.audit`) then
reads the journals against the ledger. A request with no answer or a 5xx is sent again
with the same event_id a few times (as a gate does) before it counts as lost. Each
thread also notes when its taps were accepted, so the chaos checks can tell when the
system took taps again after a kill.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson

from loadtest.journal import JournalWriter, Line
from loadtest.travel import Mix, Request, Traveller, World
from loadtest.wire import Link, WireError, header_lines
from ridecodes.demo import read_demo_phones

__all__ = ["TapLoad"]

_ATTEMPTS = 6
_COMPRESSION = 60.0  # simulated seconds per real second: exits follow entries in ~30 s
_SIM_SPAN_S = 6 * 3600.0  # the load's simulated clock starts this far in the past


class TapLoad:
    """`threads` travellers at `taps_per_s` in all, until `stop()`."""

    def __init__(
        self,
        base_url: str,
        credentials: Mapping[str, Any],
        phones_path: Path,
        journal_dir: Path,
        *,
        taps_per_s: float = 12.0,
        threads: int = 3,
        id_prefix: str = "sa",
        seed: int = 7,
    ) -> None:
        phones = read_demo_phones(phones_path)
        riders = [r for r in credentials["riders"] if r["id"] in phones]
        world = World.from_credentials({**credentials, "riders": riders})
        self._handsets = {rider: phones[rider].handset() for rider in world.riders}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._base_url = base_url
        self._interval_s = threads / taps_per_s
        self._started = time.time()
        self._sim_start = datetime.now(UTC) - timedelta(seconds=_SIM_SPAN_S)
        self.accepted_at: list[float] = []  # wall times of accepted new taps
        self.journal_dir = journal_dir
        self.id_prefix = f"{id_prefix}{int(self._started):x}-"
        self._threads = []
        mix = Mix(missing_exit=0.0, missing_entry=0.0, retry=0.02, overstay=0.0)
        for n in range(threads):
            traveller = Traveller(
                world,
                world.riders[n::threads],
                id_prefix=f"{self.id_prefix}{n}-",
                compression=_COMPRESSION,
                rng=random.Random(seed + n),
                codes=self._code,
                mix=mix,
            )
            journal = JournalWriter(journal_dir / f"journal-{n}.tsv")
            self._threads.append(
                threading.Thread(target=self._drive, args=(traveller, journal), daemon=True)
            )

    def start(self) -> TapLoad:
        for thread in self._threads:
            thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=60)

    def accepted_since(self, moment: float) -> int:
        with self._lock:
            return sum(1 for t in self.accepted_at if t >= moment)

    def _code(self, rider: str, at: datetime) -> str:
        with self._lock:
            return self._handsets[rider].code_text(int(at.timestamp()))

    def _sim_now(self) -> datetime:
        elapsed = time.time() - self._started
        sim = self._sim_start + timedelta(seconds=elapsed * _COMPRESSION)
        return min(sim, datetime.now(UTC) - timedelta(seconds=1))

    def _drive(self, traveller: Traveller, journal: JournalWriter) -> None:
        headers = {
            d.id: header_lines(
                {"Authorization": f"Bearer {d.token}", "Content-Type": "application/json"}
            )
            for d in (*traveller.world.gates, *traveller.world.validators, *traveller.world.meters)
        }
        with Link(self._base_url, connect_timeout_s=2, read_timeout_s=10) as link:
            while not self._stop.wait(self._interval_s):
                request = traveller.next_request(time.time() - self._started, self._sim_now())
                if request is not None:
                    self._send(link, traveller, journal, request, headers[request.device.id])
        journal.close()

    def _send(
        self,
        link: Link,
        traveller: Traveller,
        journal: JournalWriter,
        request: Request,
        headers: bytes,
    ) -> None:
        body = orjson.dumps(request.body)
        outcome, replayed, attempts = "lost", "-", _ATTEMPTS
        for attempt in range(1, _ATTEMPTS + 1):
            try:
                reply = link.post(request.path, body, headers)
            except WireError:
                time.sleep(0.5 * attempt)
                continue
            if reply.status == 202:
                outcome = str(orjson.loads(reply.body)["status"])
                replayed = "1" if reply.headers.get("idempotent-replayed") == "true" else "0"
                attempts = attempt
                break
            if 400 <= reply.status < 500:
                outcome, attempts = f"refused:{reply.status}", attempt
                break
            time.sleep(0.5 * attempt)
        journal.write(
            Line(
                int(time.time() * 1000),
                request.rider,
                request.event_id,
                request.kind,
                "r" if request.retry else "n",
                outcome,
                replayed,
                attempts,
                request.expect_status or "-",
            )
        )
        now = time.time()
        if outcome == "lost":
            traveller.lost(request)
        elif outcome.startswith("refused"):
            traveller.refused(request)
        else:
            if not request.retry:
                with self._lock:
                    self.accepted_at.append(now)
            traveller.answered(request, outcome, now - self._started)
