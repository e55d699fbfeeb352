"""`farechain privacy erase RIDER` deletes that rider's openings and no one else's."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlmodel import col
from typer.testing import CliRunner

from farechain.cli import app
from farechain.migrate import upgrade
from ledger.models import LedgerOpening
from storage.engine import make_engine


def _openings(url: str) -> dict[str, int]:
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            rows = session.execute(
                select(col(LedgerOpening.subject), func.count()).group_by(
                    col(LedgerOpening.subject)
                )
            )
            return {subject: count for subject, count in rows}
    finally:
        engine.dispose()


def test_erase_deletes_the_riders_openings_only(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'privacy.sqlite3'}"
    engine = make_engine(url)
    try:
        upgrade(engine)
        with Session(engine) as session:
            for idx, subject in enumerate(["r1", "r2", "r1", "r1"]):
                session.add(LedgerOpening(idx=idx, subject=subject, salt=bytes(16), personal=b"{}"))
            session.commit()
    finally:
        engine.dispose()
    runner = CliRunner(env={"DATABASE_URL": url})
    result = runner.invoke(app, ["privacy", "erase", "r1"])
    assert result.exit_code == 0, result.output
    assert "erased the openings of 3 ledger record(s) of rider r1" in result.output
    assert _openings(url) == {"r2": 1}
    again = runner.invoke(app, ["privacy", "erase", "r1"])
    assert again.exit_code == 0 and "of 0 ledger record(s)" in again.output
