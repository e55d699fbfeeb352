"""A real farechain for the browser: uvicorn on a free port, the batcher and the tax
bureau's witness, over the test Redis and database (tests/conftest.py).

The server runs in a thread of the test process (so a test reads its log with caplog);
the batcher seals trips and the payments worker collects them in threads of their own,
as `farechain up` runs them in processes. The sandbox payment provider is made
deterministic here: no declines, losses or duplicate webhooks, short delays.
"""

from __future__ import annotations

import socket
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx2
import redis
import uvicorn
from sqlalchemy import Engine

from farechain.app import create_app
from farechain.payments_setup import http_deliver, make_policy, make_sandbox, webhook_url
from farechain.settings import Settings
from farechain.witness import LogClient, load_or_create_witness_key, witness_round
from ledger import keyfiles
from ledger.keys import Signer, Verifier
from ledger.store import LedgerWriter
from payments.worker import PaymentWorker, WorkerLimits
from tests import builders
from tests.builders import make_batcher, make_settings, make_world

WITNESS_NAME = "tax.example/witness"


@dataclass
class Live:
    base_url: str
    settings: Settings
    credentials: dict[str, Any]
    engine: Engine
    witness: Signer
    payments: threading.Thread | None = None
    payments_stop: threading.Event = field(default_factory=threading.Event)
    http: httpx2.Client = field(init=False)

    def __post_init__(self) -> None:
        self.http = httpx2.Client(base_url=self.base_url, timeout=10)

    def rider_token(self, rider_id: str) -> str:
        return str(next(r["token"] for r in self.credentials["riders"] if r["id"] == rider_id))

    def device_headers(self, device_id: str) -> dict[str, str]:
        token = next(d["token"] for d in self.credentials["devices"] if d["id"] == device_id)
        return {"Authorization": f"Bearer {token}"}

    def has_route(self, path: str) -> bool:
        """Whether the running app serves `path` (ride codes and payments land separately)."""
        spec = self.http.get("/openapi.json").json()
        return path in spec["paths"]

    def tap(self, device_id: str, kind: str, at: datetime, **who: str) -> dict[str, Any]:
        """Post the tap a gate would, with `ride_code=...`, or `rider=...`: once ride codes
        are in the build, the rider's test phone (tests.builders.ride_code) shows a code."""
        if "rider" in who and self.has_route("/v1/me/phones"):
            make_code = getattr(builders, "ride_code")  # noqa: B009 (only with ride codes)
            who = {"ride_code": make_code(who["rider"], at)}
        body = {"event_id": uuid.uuid4().hex, "kind": kind, "at": at.isoformat(), **who}
        answer = self.http.post(
            f"/v1/devices/{device_id}/taps", json=body, headers=self.device_headers(device_id)
        )
        assert answer.status_code == 202, answer.text
        result: dict[str, Any] = answer.json()
        return result

    def ride(self, entry: str, exit_: str, minutes: int = 25, **who: str) -> None:
        """A metro trip between two stations of Shenzhen Metro Group, ended a minute ago."""
        end = datetime.now(UTC) - timedelta(minutes=1)
        self.tap(f"gate-szmc-{entry}", "entry", end - timedelta(minutes=minutes), **who)
        self.tap(f"gate-szmc-{exit_}", "exit", end, **who)

    def stop_payments(self) -> None:
        """Stop the payments worker, so no block follows (a receipt names the newest)."""
        self.payments_stop.set()
        if self.payments is not None:
            self.payments.join(15)

    def cosign(self) -> None:
        """One witness round: the tax bureau cosigns the newest checkpoint.

        First the ledger must be quiet (the payments worker appends blocks of its own
        after a trip's), since a receipt is made against the newest checkpoint.
        """
        last, quiet_since = "", time.monotonic()
        deadline = time.monotonic() + 15
        while time.monotonic() - quiet_since < 0.8 and time.monotonic() < deadline:
            head = self.http.get("/v1/ledger/checkpoint").text
            if head != last:
                last, quiet_since = head, time.monotonic()
            time.sleep(0.1)
        log_keys = [
            Verifier.parse(k)
            for k in keyfiles.load_verifier_keys(self.settings.ledger_public_keys_path)
        ]
        state = self.settings.var_dir / "witness" / "tax.json"
        witness_round(LogClient(self.base_url), self.witness, log_keys, state)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _trust_witness(settings: Settings) -> Signer:
    key = load_or_create_witness_key(settings.var_dir / "keys" / "tax-witness.key", WITNESS_NAME)
    settings.witness_keys_path.parent.mkdir(parents=True, exist_ok=True)
    settings.witness_keys_path.write_text(key.verifier.vkey + "\n")
    (settings.var_dir / "witness").mkdir(exist_ok=True)
    return key


def _payment_worker(settings: Settings, engine: Engine, client: redis.Redis) -> PaymentWorker:
    """The worker `farechain payments-worker` runs, over the test's own engine and Redis."""
    sandbox = make_sandbox(settings, engine)
    deliver = http_deliver(webhook_url(settings))
    signers = keyfiles.load_log_signers(settings.ledger_key_path, settings.ledger.origin)
    return PaymentWorker(
        engine,
        LedgerWriter(origin=settings.ledger.origin, signers=signers),
        sandbox,
        make_policy(settings),
        redis_client=client,
        limits=WorkerLimits(
            batch=settings.payments.batch,
            query_after_s=settings.payments.query_after_s,
            poll_interval_s=settings.payments.poll_interval_ms / 1000,
            pause_file=None,
        ),
        pump=lambda: sandbox.pump(deliver),
    )


@contextmanager
def live_system(
    engine: Engine, client: redis.Redis, var_dir: Path, database_url: str, redis_url: str
) -> Iterator[Live]:
    port = _free_port()
    settings = make_settings(var_dir, database_url, redis_url)
    settings.payments = settings.payments.model_copy(
        update={
            "webhook_url": f"http://127.0.0.1:{port}/v1/payments/webhooks/sandbox",
            "sandbox_decline_rate": 0.0,
            "sandbox_duplicate_rate": 0.0,
            "sandbox_loss_rate": 0.0,
            "sandbox_latency_ms": 10,
            "sandbox_webhook_delay_ms": 50,
        }
    )
    credentials = make_world(engine, client, settings, riders=8)
    witness = _trust_witness(settings)
    config = uvicorn.Config(
        create_app(settings), host="127.0.0.1", port=port, log_level="warning", lifespan="on"
    )
    server = uvicorn.Server(config)
    serving = threading.Thread(target=server.run, name="uvicorn", daemon=True)
    serving.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not serving.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    stop = threading.Event()
    batcher = make_batcher(engine, client, settings, block_max_wait_ms=20)
    sealing = threading.Thread(target=batcher.run, args=(stop,), name="batcher", daemon=True)
    sealing.start()
    live = Live(f"http://127.0.0.1:{port}", settings, credentials, engine, witness)
    worker = _payment_worker(settings, engine, client)
    live.payments = threading.Thread(
        target=worker.run, args=(live.payments_stop,), name="payments", daemon=True
    )
    live.payments.start()
    try:
        yield live
    finally:
        stop.set()
        sealing.join(10)
        live.stop_payments()
        server.should_exit = True
        serving.join(10)
        live.http.close()
