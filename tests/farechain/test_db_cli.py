"""`farechain db upgrade|current` on a fresh SQLite file, and how new revisions are written."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import produce_migrations, render_python_code
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Column, MetaData, Table, inspect
from sqlmodel.sql.sqltypes import AutoString
from typer.testing import CliRunner

from farechain import migrations
from farechain.cli import app
from farechain.migrate import BASELINE_TABLES, VERSION_TABLE, head
from farechain.migrations.render import render_item
from storage.engine import make_engine
from storage.types import UtcDateTime


def test_db_upgrade_builds_a_fresh_sqlite_file_then_finds_nothing_to_do(tmp_path: Path) -> None:
    path = tmp_path / "fresh.sqlite3"
    runner = CliRunner(env={"DATABASE_URL": f"sqlite:///{path}"})

    before = runner.invoke(app, ["db", "current"])
    assert before.exit_code == 0, before.output
    assert "no revision recorded" in before.output

    first = runner.invoke(app, ["db", "upgrade"])
    assert first.exit_code == 0, first.output
    assert f"schema upgraded from nothing to {head()}" in first.output
    assert str(path) in first.output
    engine = make_engine(f"sqlite:///{path}")
    try:
        assert set(inspect(engine).get_table_names()) >= BASELINE_TABLES | {VERSION_TABLE}
    finally:
        engine.dispose()

    second = runner.invoke(app, ["db", "upgrade"])
    assert second.exit_code == 0 and "nothing to do" in second.output, second.output
    now = runner.invoke(app, ["db", "current"])
    assert f"at {head()} (head)" in now.output


def test_db_upgrade_refuses_a_database_it_cannot_place_and_says_why(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'odd.sqlite3'}"
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            connection.exec_driver_sql("CREATE TABLE trips (event_id TEXT PRIMARY KEY)")
    finally:
        engine.dispose()
    refused = CliRunner(env={"DATABASE_URL": url}).invoke(app, ["db", "upgrade"])
    assert refused.exit_code == 1
    assert "upgrade refused" in refused.output and "lacks blocks" in refused.output


def test_a_new_revision_names_plain_column_types_not_application_modules(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'empty.sqlite3'}")
    wanted = MetaData()
    Table(
        "payments",
        wanted,
        Column("id", AutoString(), primary_key=True),
        Column("paid_at", UtcDateTime(), nullable=False),
    )
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection)
            operations = produce_migrations(context, wanted).upgrade_ops
            assert operations is not None
            code = render_python_code(operations, render_item=render_item)
    finally:
        engine.dispose()
    assert "sa.Column('id', sa.String(), nullable=False)" in code, code
    assert "sa.Column('paid_at', sa.DateTime(timezone=True), nullable=False)" in code, code
    assert "sqlmodel" not in code and "sqltypes" not in code


def test_db_revision_writes_nothing_while_the_models_match_the_newest_revision() -> None:
    versions = Path(migrations.__file__).parent / "versions"
    before = sorted(versions.glob("r*.py"))
    answer = CliRunner().invoke(app, ["db", "revision", "no change"])
    assert answer.exit_code == 1
    assert "the models match the newest revision: nothing to write" in answer.output
    assert sorted(versions.glob("r*.py")) == before
