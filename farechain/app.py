"""The FastAPI application factory.

The lifespan owns the database engine and the Redis client; nothing connects at import
time. Run it with `uvicorn farechain.app:create_app --factory` (settings from the
environment) or through `farechain up`.
"""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime

import redis.asyncio as aioredis
from fastapi import FastAPI
from starlette.types import Receive, Scope, Send

import fare
import webclient
from farechain import ride_codes
from farechain.payments_setup import make_policy, make_provider
from farechain.settings import Settings
from farechain.stream_key import stream_mac_key
from gates import api as gates_api
from gates.edge import DeviceEdge
from gates.script_runner import ScriptRunner
from gates.service import TAPS_SCRIPT, TapDesk, TapLimits
from invoicing.api import routers as invoicing_routers
from invoicing.ratelimit import VerifyLimits
from ledger import api as ledger_api
from ledger.keyfiles import load_log_signers, load_verifier_keys
from ledger.keys import Verifier
from ledger.store import LedgerWriter
from operators import api as operators_api
from operators import console as operators_console
from operators.api import OperatorsConfig
from operators.reconcile import ReconcileLimits
from payments import api as payments_api
from plumbing import problems
from ridecodes import api as ridecodes_api
from storage.engine import make_engine
from trips import api as trips_api
from trips import signup_api
from trips.documents import TRIP_SALES


def make_tap_desk(
    settings: Settings, client: aioredis.Redis, network: fare.Network, *, script: str = TAPS_SCRIPT
) -> TapDesk:
    """The device edge's service for one API process (the lifespan's, or a test's)."""
    return TapDesk(
        client,
        taps_script=ScriptRunner(settings.redis_url or "", script),
        limits=TapLimits(
            max_clock_skew_s=settings.gates.max_clock_skew_s,
            max_event_age_h=settings.gates.max_event_age_h,
            idempotency_ttl_h=settings.gates.idempotency_ttl_h,
        ),
        station_operators={s.id: s.operators for s in network.stations.values()},
        ride_codes=ride_codes.verifier_source(settings),
        stream_key=stream_mac_key(settings),
    )


class FarechainAPI(FastAPI):
    """FastAPI, with the device posts answered before FastAPI's per-request work.

    Device posts therefore pass neither FastAPI's own telemetry (spans and metrics when
    OpenTelemetry is configured) nor middleware added with `add_middleware`; the other
    routes and the lifespan go to FastAPI as before.
    """

    _edge: DeviceEdge | None = None

    def serve_devices_first(self) -> None:
        self._edge = DeviceEdge(functools.partial(FastAPI.__call__, self))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and _holds_nul(scope):
            # SQLite would search for it and PostgreSQL refuse it: refuse it on both.
            refusal = problems.problem(422, "Invalid request", "expected no NUL character")
            await refusal(scope, receive, send)
            return
        if self._edge is None:
            await super().__call__(scope, receive, send)
            return
        scope["app"] = self  # as Starlette sets it; the edge finds the TapDesk there
        await self._edge(scope, receive, send)


def _holds_nul(scope: Scope) -> bool:
    return "\x00" in scope["path"] or b"%00" in scope["query_string"]


def create_app(settings: Settings | None = None, *, device_edge: bool = True) -> FastAPI:
    """`device_edge=False` leaves the device routes to FastAPI (same answers, more CPU)."""
    settings = settings or Settings()
    if not settings.redis_url:
        raise RuntimeError("set REDIS_URL (farechain up does this for its API workers)")

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = make_engine(settings.database_url_or_default)
        # One connection per request in flight. A plain pool costs ~10 us less CPU per
        # call than a blocking one; past the cap a request fails with 503 and the
        # device resends it with the same event_id.
        pool = aioredis.ConnectionPool.from_url(settings.redis_url or "", max_connections=1024)
        client = aioredis.Redis.from_pool(pool)  # the client owns the pool and closes it
        book = fare.load_tariffs()
        network = book.network_at(datetime.now(UTC))
        app.state.engine = engine
        app.state.verify_limits = VerifyLimits(**settings.verify.model_dump())
        app.state.var_dir = settings.var_dir  # invoice exports are written under it
        app.state.sale_context = TRIP_SALES  # what invoice documents say of each trip
        app.state.redis = client
        app.state.ride_code_issuing = ride_codes.issuing(settings)
        app.state.tap_desk = make_tap_desk(settings, client, network)
        # API handlers that change an invoice's status append ledger records themselves;
        # the ledger head lock orders them with the batcher's blocks.
        app.state.ledger_writer = LedgerWriter(
            origin=settings.ledger.origin,
            signers=load_log_signers(settings.ledger_key_path, settings.ledger.origin),
        )
        app.state.payment_provider = make_provider(settings, engine)
        app.state.payment_policy = make_policy(settings)
        app.state.log_verifier_keys = load_verifier_keys(settings.ledger_public_keys_path)
        app.state.operators_config = OperatorsConfig(
            cut_min=settings.operators.day_cut_min,
            limits=ReconcileLimits(
                max_rows=settings.operators.reconcile_max_rows,
                chunk_rows=settings.operators.reconcile_sort_rows,
            ),
        )
        app.state.witness_verifiers = [
            Verifier.parse(k) for k in load_verifier_keys(settings.witness_keys_path)
        ]
        try:
            yield
        finally:
            await app.state.tap_desk.aclose()
            await client.aclose()
            engine.dispose()

    app = FarechainAPI(title="farechain", version="0.1.0", lifespan=lifespan)
    problems.install(app)
    if device_edge:
        app.serve_devices_first()
    for router in (
        gates_api.router,
        *invoicing_routers,
        trips_api.router,
        signup_api.router,
        ridecodes_api.router,
        ledger_api.router,
        payments_api.me_router,
        payments_api.webhook_router,
        webclient.router,  # last: its /app/{path} matches broadly
    ):
        app.include_router(router)
    app.include_router(operators_api.router)
    app.include_router(operators_console.router)
    return app
