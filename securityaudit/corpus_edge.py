"""The bad-input corpus below the HTTP edge: Redis, files on disk, the public log.

- The embedded Redis must not answer a client without its password on loopback TCP,
  and a trip-end put on the stream directly (not through the edge, so without its MAC)
  must never be sealed: a forged 900 km taxi trip is XADDed and looked for on the
  rider's trips.
- State files are private to the user: var/ and its directories 0700; ledger.key, the
  SQLite files, the AOF and redis.log 0600.
- The public log must not show a rider id or an individual buyer's name in clear: the
  newest public records are read as anyone can, after one of the rider's invoices was
  re-titled to an individual.
"""

from __future__ import annotations

import base64
import contextlib
import json
import time
import uuid
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import psutil
import redis

from gates import keys
from gates.stream import FIELD
from securityaudit.http import call
from securityaudit.judges import clear_personal_data, private_mode
from securityaudit.outcome import GroupResult

__all__ = ["INDIVIDUAL_NAME", "check_file_modes", "check_public_log", "check_redis"]

INDIVIDUAL_NAME = "张三丰"  # the buyer name of the finding
_RECENT_RECORDS = 60


def check_redis(
    base_url: str,
    redis_url: str | None,
    redis_pids: list[int],
    rider: dict[str, Any],
    meter: dict[str, Any],
    result: GroupResult,
) -> None:
    ports = sorted({port for pid in redis_pids for port in _tcp_ports(pid)})
    for port in ports:
        client = redis.Redis(host="127.0.0.1", port=port, socket_timeout=3)
        with client:
            try:
                answered = bool(client.ping())
            except redis.AuthenticationError:
                answered = False
            except redis.ResponseError as error:
                answered = "NOAUTH" not in str(error)
            except redis.ConnectionError:
                answered = False
        result.check(
            not answered,
            f"Redis on 127.0.0.1:{port} answered PING without a password; expected NOAUTH",
        )
    if not ports:
        result.note("the embedded Redis listens on no TCP port")
    _forge_trip_end(base_url, redis_url, rider, meter, result)


def _tcp_ports(pid: int) -> list[int]:
    with contextlib.suppress(psutil.Error):
        return [
            c.laddr.port
            for c in psutil.Process(pid).net_connections(kind="inet")
            if c.status == psutil.CONN_LISTEN
        ]
    return []


def _forge_trip_end(
    base_url: str,
    redis_url: str | None,
    rider: dict[str, Any],
    meter: dict[str, Any],
    result: GroupResult,
) -> None:
    """XADD a 900 km taxi trip as the edge would, minus any MAC; it must not be sealed."""
    if redis_url is None:
        result.fail("forged XADD: the supervisor announced no Redis URL to write to")
        return
    ended = datetime.now(UTC) - timedelta(minutes=2)
    event_id = "audit-forged-" + uuid.uuid4().hex[:16]
    tap = {
        "event_id": event_id,
        "device": meter["id"],
        "operator": meter["operator"],
        "started_at": (ended - timedelta(minutes=40)).isoformat(),
        "at": ended.isoformat(),
        "distance_m": 900_000,
        "waiting_s": 0,
        "received_ms": int(time.time() * 1000),
    }
    event = {"rider": rider["id"], "mode": "taxi", "start": None, "end": tap}
    try:
        with redis.Redis.from_url(redis_url, socket_timeout=3) as client:
            client.xadd(keys.STREAM, {FIELD: orjson.dumps(event)})
    except redis.AuthenticationError:
        result.check(True, "")
        result.note("forged XADD: refused by Redis (no password)")
        return
    except redis.RedisError as error:
        result.fail(f"forged XADD: expected NOAUTH or a refusal by the batcher, got {error}")
        return
    deadline = time.monotonic() + 10
    sealed = False
    while time.monotonic() < deadline and not sealed:
        time.sleep(1)
        trips = call("GET", f"{base_url}/v1/me/trips?limit=50", token=rider["token"])
        sealed = trips.status == 200 and any(t["event_id"] == event_id for t in trips.json())
    result.check(
        not sealed,
        f"a taxi trip of 900 km XADDed to {keys.STREAM} without the edge was sealed and "
        f"charged to {rider['id']} (event {event_id}); expected the batcher to refuse it",
    )


def check_file_modes(var_dir: Path, result: GroupResult) -> None:
    files = [
        var_dir / "keys" / "ledger.key",
        var_dir / "farechain.sqlite3",
        var_dir / "farechain.sqlite3-wal",
        var_dir / "redis" / "redis.log",
        *sorted((var_dir / "redis").rglob("*.aof")),
        *sorted((var_dir / "redis").rglob("*.rdb")),
    ]
    directories = [var_dir, var_dir / "keys", var_dir / "redis"]
    for path in directories:
        if path.exists():
            verdict = private_mode(str(path), path.stat().st_mode, directory=True)
            result.check(verdict is None, verdict or "")
    for path in files:
        if path.exists():
            verdict = private_mode(str(path), path.stat().st_mode, directory=False)
            result.check(verdict is None, verdict or "")


def retitle_to_individual(base_url: str, rider: dict[str, Any]) -> str | None:
    """Re-title the rider's newest invoice to an individual; its number, if it worked."""
    invoices = call("GET", f"{base_url}/v1/me/invoices?limit=5", token=rider["token"])
    for invoice in invoices.json() if invoices.status == 200 else []:
        answer = call(
            "POST",
            f"{base_url}/v1/me/invoices/{invoice['number']}/retitle",
            token=rider["token"],
            json_body={"title": {"kind": "individual", "name": INDIVIDUAL_NAME}},
        )
        if answer.status == 200:
            return str(invoice["number"])
    return None


def check_public_log(base_url: str, rider_ids: list[str], result: GroupResult) -> None:
    """The newest public records, read without a login, name no rider and no buyer."""
    blocks = call("GET", f"{base_url}/v1/ledger/blocks?limit=1")
    if blocks.status != 200 or not blocks.json():
        result.fail(f"public log: expected a block to read, got {blocks.brief()}")
        return
    size = int(blocks.json()[0]["tree_size"])
    leaks: dict[str, set[str]] = defaultdict(set)
    read: dict[str, int] = defaultdict(int)
    secrets = [*rider_ids, INDIVIDUAL_NAME]
    for index in range(max(0, size - _RECENT_RECORDS), size):
        record = call("GET", f"{base_url}/v1/ledger/records/{index}")
        if record.status != 200:
            continue
        document = record.json()
        raw = base64.b64decode(document["body_base64"])
        # Re-encoded without escapes, so a name stored as \\uXXXX is seen too.
        with contextlib.suppress(ValueError):
            raw = json.dumps(json.loads(raw), ensure_ascii=False).encode()
        body = raw.decode("utf-8", "replace")
        read[document["type"]] += 1
        leaks[document["type"]].update(clear_personal_data(body, secrets))
    for kind in sorted(read):
        shown = sorted(leaks[kind])
        result.check(
            not shown,
            f"public {kind} records show personal data in clear: {', '.join(shown[:3])}"
            f"{' ...' if len(shown) > 3 else ''} (GET /v1/ledger/records/{{i}}, no login)",
        )
