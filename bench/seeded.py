"""A seeded demo world for the stage benchmarks, and a batcher that seals into it.

The batcher and takeover benchmarks both start from an empty database: the schema, the
log key and a seeded world of riders, then one or more batchers sealing what is put on
the stream.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import redis
from sqlalchemy import Engine
from sqlalchemy.orm import Session

import fare
from farechain.db import create_schema
from farechain.settings import Settings
from farechain.stream_key import stream_mac_key
from ledger import keyfiles
from ledger.store import LedgerWriter
from storage.engine import make_engine
from trips.batcher import Batcher, BatcherLimits
from trips.sealer import Sealer
from trips.seed import seed

__all__ = ["SeededWorld", "seeded_world"]


@dataclass(frozen=True, slots=True)
class SeededWorld:
    settings: Settings
    engine: Engine
    client: redis.Redis
    book: fare.TariffBook
    credentials: dict[str, Any]

    @property
    def stream_key(self) -> bytes:
        return stream_mac_key(self.settings)

    def batcher(self, limits: BatcherLimits) -> Batcher:
        """A batcher sealing into this world, signed with its log key."""
        origin = self.settings.ledger.origin
        signers = keyfiles.load_log_signers(self.settings.ledger_key_path, origin)
        return Batcher(
            client=self.client,
            engine=self.engine,
            sealer=Sealer(book=self.book, writer=LedgerWriter(origin=origin, signers=signers)),
            limits=limits,
            stream_key=self.stream_key,
        )


def seeded_world(database_url: str, redis_url: str, workdir: Path, riders: int) -> SeededWorld:
    """An empty database given the schema, a log key and `riders` seeded riders."""
    settings = Settings(var_dir=workdir, database_url=database_url, redis_url=redis_url)
    engine = make_engine(database_url)
    create_schema(engine)
    keyfiles.ensure_log_key(settings.ledger_key_path, settings.ledger.origin)
    client = redis.Redis.from_url(redis_url)
    book = fare.load_tariffs()
    with Session(engine) as session:
        credentials = seed(
            session,
            client,
            book,
            riders=riders,
            credentials_path=workdir / "demo-credentials.json",
        ).credentials
    return SeededWorld(settings, engine, client, book, credentials)
