"""`farechain demo`: post metro trips through the device API and watch them get sealed.

Talks to a running system over HTTP only (the gates' API and the public ledger API),
like a set of real gates would; each rider shows a fresh ride code from the demo phone
`farechain up` enrolled for it (var/demo-phones.tsv; its certificate starts days back,
so the demo's entries of the last hour lie inside it). Then it waits until the ledger
has grown by the three records (trip, charge, invoice) of every trip.
"""

from __future__ import annotations

import json
import random
import time
import urllib.error
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from ridecodes.demo import read_demo_phones


def _request(url: str, body: object | None = None, token: str | None = None) -> Any:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, headers=headers)
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read() or b"null")


def _tree_size(base_url: str) -> int:
    try:
        blocks = _request(f"{base_url}/v1/ledger/blocks?limit=1")
    except urllib.error.HTTPError:
        return 0
    return int(blocks[0]["tree_size"]) if blocks else 0


def run_demo(base_url: str, credentials_path: Path, trips: int, *, timeout_s: float = 60) -> str:
    credentials = json.loads(credentials_path.read_text())
    gates = [d for d in credentials["devices"] if d["kind"] == "gate"]
    demo_phones = read_demo_phones(credentials_path.with_name("demo-phones.tsv"))
    riders = [r["id"] for r in credentials["riders"] if r["id"] in demo_phones]
    phones = {rider: demo_phones[rider].handset() for rider in riders[:trips]}
    rng = random.Random(2024)
    plans = []
    now = datetime.now(UTC)
    for n in range(trips):
        entry, exit_ = rng.sample(gates, 2)
        ride_min = rng.randint(8, 70)
        plans.append((riders[n % len(riders)], entry, exit_, now - timedelta(minutes=ride_min)))
    before = _tree_size(base_url)
    started = time.monotonic()

    def ride(plan: tuple[str, dict[str, Any], dict[str, Any], datetime]) -> None:
        rider, entry, exit_, entered = plan
        for gate, kind, at in ((entry, "entry", entered), (exit_, "exit", now)):
            body = {
                "event_id": uuid.uuid4().hex,
                # The gate scans the code at the tap; a demo entry in the past was
                # scanned then, so its code was made then.
                "ride_code": phones[rider].code_text(int(at.timestamp())),
                "kind": kind,
                "at": at.isoformat(),
            }
            _request(f"{base_url}/v1/devices/{gate['id']}/taps", body, gate["token"])

    # One thread per rider keeps each rider's entry before its exit.
    by_rider: dict[str, list[Any]] = {}
    for plan in plans:
        by_rider.setdefault(plan[0], []).append(plan)

    def ride_all(own: list[Any]) -> None:
        for plan in own:
            ride(plan)

    with ThreadPoolExecutor(max_workers=16) as pool:
        list(pool.map(ride_all, by_rider.values()))
    posted = time.monotonic() - started
    expected = before + 3 * trips
    while _tree_size(base_url) < expected:
        if time.monotonic() - started > timeout_s:
            return (
                f"timed out: the ledger holds {_tree_size(base_url)} records, expected {expected}"
            )
        time.sleep(0.1)
    sealed = time.monotonic() - started
    return (
        f"posted {2 * trips} taps ({trips} trips) in {posted:.2f} s; all {trips} trips priced, "
        f"charged, invoiced and sealed {sealed:.2f} s after the first tap; "
        f"ledger size {_tree_size(base_url)}"
    )
