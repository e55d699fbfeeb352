"""`farechain up`: the whole system in one command.

Starts (or uses) Redis and the database, seeds the demo world, then runs the API
workers, the batcher and the sweeper as child processes. Each child has a session of its
own so Ctrl-C reaches only this supervisor, which stops them in order: the API first
(no new taps), then the sweeper, then the batcher (it finishes its block), Redis last.

A child that dies is restarted (farechain.children: backoff, one log line each), the
embedded Redis too, on the same address with its data; the API answers 503 while Redis
is down and recovers by itself. Pid files in var/run/ name every child.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from pathlib import Path

import redis
from sqlalchemy.orm import Session

import fare
from farechain import ride_codes
from farechain.children import ProcessChild, RedisChild, Supervision
from farechain.migrate import upgrade
from farechain.payments_setup import sign_demo_agreements
from farechain.settings import Settings
from farechain.stream_key import stream_mac_key
from ledger import keyfiles
from operators.seed import add_demo_accounts
from storage.engine import make_engine
from storage.private_files import make_private_dir
from storage.redis_server import EmbeddedRedis, redacted
from trips.seed import seed

TAX_WITNESS = "tax.example/witness"


def run_system(settings: Settings, *, riders: int) -> int:
    # Everything the system and its children write (keys, database, Redis's files,
    # invoices, logs) is its user's alone; ./run sets the same umask for the shell.
    os.umask(0o077)
    var = make_private_dir(settings.var_dir.resolve())
    embedded = None
    redis_url = settings.redis_url
    supervision = Supervision(var / "run")
    if not redis_url:
        embedded = EmbeddedRedis(var / "redis")
        redis_url = embedded.start()
        print(f"embedded Redis (AOF on) at {redacted(redis_url)}, data in {embedded.data_dir}")
    database_url = settings.database_url_or_default
    try:
        engine = make_engine(database_url)
        schema = upgrade(engine)  # before any child starts: they expect the newest schema
        if schema.before != schema.after:
            print(f"database: {schema.describe()}", flush=True)
        keyfiles.ensure_log_key(settings.ledger_key_path, settings.ledger.origin)
        stream_mac_key(settings)  # made once here, before the API and batcher both need it
        witness_key = _ensure_tax_witness(settings)
        client = redis.Redis.from_url(redis_url)
        credentials = var / "demo-credentials.json"
        with Session(engine) as session:
            seed(session, client, fare.load_tariffs(), riders=riders, credentials_path=credentials)
            add_demo_accounts(session, credentials)
            issued = ride_codes.prepare(settings, session, client)
        sign_demo_agreements(settings, engine)
        if issued:
            print(f"issued {issued} demo ride-code certificates (var/{ride_codes.DEMO_PHONES})")
        client.close()
        engine.dispose()
        env = {
            **os.environ,
            "REDIS_URL": redis_url,
            "DATABASE_URL": database_url,
            "FARECHAIN_VAR_DIR": str(var),
            # The payments worker sends the sandbox's webhooks to this API: it must know
            # the address `--port` chose, not the default.
            "FARECHAIN_SERVER__HOST": settings.server.host,
            "FARECHAIN_SERVER__PORT": str(settings.server.port),
        }
        server = settings.server
        base_url = f"http://{server.host}:{server.port}"
        commands = {
            # The demo's tax bureau cosigns from the start; it waits for the API by itself.
            "witness": [
                sys.executable,
                "-m",
                "farechain.cli",
                "witness",
                "--name",
                TAX_WITNESS,
                "--key",
                str(witness_key),
                "--url",
                base_url,
                "--state",
                str(var / "witness" / "tax.json"),
            ],
            "api": [
                sys.executable,
                "-m",
                "uvicorn",
                "farechain.app:create_app",
                "--factory",
                "--host",
                server.host,
                "--port",
                str(server.port),
                "--workers",
                str(server.workers),
                "--no-access-log",
                "--loop",
                "uvloop",
                "--http",
                "farechain.http_protocol:HttpProtocol",
                # No WebSocket upgrades (the API serves none): an upgraded connection
                # would leave the coalescing transport's held writes behind.
                "--ws",
                "none",
            ],
            "sweeper": [sys.executable, "-m", "farechain.cli", "sweeper"],
            "batcher": [sys.executable, "-m", "farechain.cli", "batcher"],
            # Payments after each block; the sandbox provider and its webhooks run in it.
            "payments": [sys.executable, "-m", "farechain.cli", "payments-worker"],
            # Settles each business day once it ends: one signed statement per operator.
            "settler": [sys.executable, "-m", "farechain.cli", "operators", "settler"],
        }
        for name, command in commands.items():
            supervision.start(ProcessChild(name, command, env))
        if embedded is not None and embedded.pid is not None:
            supervision.adopt(RedisChild(embedded), embedded.pid)  # stopped last
        print(
            f"farechain is up on http://{server.host}:{server.port} "
            f"(API docs at /docs); credentials in {credentials}; Ctrl-C stops it",
            flush=True,
        )
        _watch(supervision)
        return 0
    finally:
        supervision.stop_all()
        if embedded is not None:
            embedded.stop()  # when it failed before it was adopted
        print("farechain stopped; state kept in", var)


def _ensure_tax_witness(settings: Settings) -> Path:
    """The tax bureau's witness key, trusted by the log (listed in witnesses.pub)."""
    from farechain.witness import load_or_create_witness_key

    path = settings.var_dir.resolve() / "keys" / "tax-witness.key"
    vkey = load_or_create_witness_key(path, TAX_WITNESS).verifier.vkey
    trusted = settings.witness_keys_path
    if vkey not in keyfiles.load_verifier_keys(trusted):
        with trusted.open("a") as file:
            file.write(vkey + "\n")
    (settings.var_dir / "witness").mkdir(parents=True, exist_ok=True)
    return path


def _watch(supervision: Supervision) -> None:
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    supervision.watch(stop)


def wait_for_http(url: str, timeout_s: float = 30.0) -> None:
    """Block until `url` answers (used by the load test and the smoke test)."""
    import urllib.request

    deadline = time.monotonic() + timeout_s
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
