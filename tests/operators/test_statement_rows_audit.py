"""`farechain verify` checks each operator statement row against its ledger record and
the day's settlement row; each kind of tampering is named, and so is a forged signature."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import redis
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from farechain.cli import app
from farechain.settings import Settings
from ledger import keyfiles
from ledger.keys import Signer, Verifier
from operators.audit import check_statement_rows
from tests.builders import make_settings, make_world
from tests.operators.world import DAY, bus, local, metro, seal, settle

NEXT = DAY + dt.timedelta(days=1)


@pytest.fixture
def settled(
    engine: Engine, redis_client: redis.Redis, var_dir: Path, database_url: str, redis_url: str
) -> Settings:
    settings = make_settings(var_dir, database_url, redis_url)
    make_world(engine, redis_client, settings, riders=5)
    events = [
        metro("x1", "r0000001", ("szmc", "luohu"), ("mtr-sz", "qinghu"), local(DAY, 9)),
        bus("b1", "r0000003", local(DAY, 10)),
    ]
    seal(engine, settings, events, local(DAY, 11))
    settle(engine, settings, DAY, local(NEXT, 6))
    seal(engine, settings, [bus("b2", "r0000002", local(NEXT, 10))], local(NEXT, 11))
    settle(engine, settings, NEXT, local(NEXT + dt.timedelta(days=1), 6))
    return settings


def _verifiers(settings: Settings) -> list[Verifier]:
    keys = keyfiles.load_verifier_keys(settings.ledger_public_keys_path)
    return [Verifier.parse(k) for k in keys]


def _check(engine: Engine, verifiers: list[Verifier] | None = None) -> str | None:
    with Session(engine) as session:
        return check_statement_rows(session, verifiers or [])


def test_settled_days_pass_and_verify_says_ok(engine: Engine, settled: Settings) -> None:
    assert _check(engine, _verifiers(settled)) is None
    env = {
        "FARECHAIN_VAR_DIR": str(settled.var_dir),
        "DATABASE_URL": settled.database_url_or_default,
    }
    result = CliRunner().invoke(app, ["verify"], env=env)
    assert result.exit_code == 0, result.output
    # The CLI runs the row checks: a statement row out of step fails `farechain verify`.
    with engine.begin() as connection:
        connection.execute(text("UPDATE operator_statements SET payable_net_fen = 1"))
    failed = CliRunner().invoke(app, ["verify"], env=env)
    assert failed.exit_code == 1 and "payable_net_fen" in failed.output


_ONE = "(SELECT min(record_index) FROM operator_statements)"
TAMPERING = {
    "net": (f"UPDATE operator_statements SET payable_net_fen = payable_net_fen + 1 "
            f"WHERE record_index = {_ONE}", "payable_net_fen"),
    "operator": (f"UPDATE operator_statements SET operator_id = 'someone' "
                 f"WHERE record_index = {_ONE}", "operator"),
    "not a statement": (f"UPDATE operator_statements SET record_index = 0 "
                        f"WHERE record_index = {_ONE}", "no operator_statement record"),
    "row gone": (f"DELETE FROM operator_statements WHERE record_index = {_ONE}",
                 "records on the ledger but"),
    "settlement range": ("UPDATE operator_settlements SET ledger_to = ledger_to + 1",
                         "ledger_to"),
    "settlement block": ("UPDATE operator_settlements SET block_height = block_height + 5",
                         "settlement row says block"),
    "settlement gone": (f"DELETE FROM operator_settlements WHERE day = (SELECT day FROM "
                        f"operator_statements WHERE record_index = {_ONE})", "no settlement row"),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(TAMPERING))
def test_tampering_is_named(engine: Engine, settled: Settings, case: str) -> None:
    sql, named = TAMPERING[case]
    with engine.begin() as connection:
        assert connection.execute(text(sql)).rowcount >= 1
    problem = _check(engine)
    assert problem is not None and named in problem, (case, problem)


def test_a_statement_signed_by_another_key_is_named(engine: Engine, settled: Settings) -> None:
    stranger = Signer.generate(settled.ledger.origin).verifier
    problem = _check(engine, [stranger])
    assert problem is not None and "signature" in problem
