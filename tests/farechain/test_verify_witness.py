"""`farechain verify` compares the ledger with the witnesses' state files under var/."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import redis
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from farechain.cli import app
from farechain.settings import Settings
from farechain.witness import save_state
from ledger import keyfiles, records, store
from ledger.witness import WitnessState
from tests.builders import make_batcher, post_trips
from tests.ledger.test_ledger_witnessed import remove_last_block


def _verify(settings: Settings, database_url: str) -> Any:
    env = {"FARECHAIN_VAR_DIR": str(settings.var_dir), "DATABASE_URL": database_url}
    return CliRunner(env=env).invoke(app, ["verify"])


def test_verify_fails_on_a_rollback_the_witness_saw(
    system: tuple[TestClient, dict[str, Any], Settings],
    engine: Engine,
    redis_client: redis.Redis,
    database_url: str,
) -> None:
    client, creds, settings = system
    post_trips(client, creds, 6)
    assert make_batcher(engine, redis_client, settings).drain() == 6
    # A last block no projection depends on, so removing its rows leaves a ledger that
    # is consistent through and through.
    writer = store.LedgerWriter(
        origin=settings.ledger.origin,
        signers=keyfiles.load_log_signers(settings.ledger_key_path, settings.ledger.origin),
    )
    body = records.encode_record({"type": "note", "v": 1, "text": "the witness saw this"})
    with Session(engine) as session:
        last = writer.append_block(
            session, writer.lock_head(session), [("note", body)], datetime.now(UTC)
        )
        session.commit()
    state = WitnessState(settings.ledger.origin, last.tree_size, last.root, 1)
    save_state(settings.var_dir / "witness" / "tax.json", state)
    answer = _verify(settings, database_url)
    assert answer.exit_code == 0, answer.output
    with Session(engine) as session:
        remove_last_block(session)
    answer = _verify(settings, database_url)
    assert answer.exit_code == 1
    assert "the ledger shrank (a rollback)" in answer.output
    assert "tax.json" in answer.output
