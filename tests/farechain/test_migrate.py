"""Schema migrations (farechain.migrate) on an empty database of the suite's kind: SQLite,
or PostgreSQL when DATABASE_URL names one."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from threading import Barrier

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect, text
from sqlalchemy.exc import DatabaseError
from sqlmodel import SQLModel

import farechain.tables  # noqa: F401  (every model on the metadata)
from farechain.db import create_schema, drop_schema
from farechain.migrate import (
    BASELINE,
    BASELINE_TABLES,
    VERSION_TABLE,
    SchemaError,
    Upgrade,
    current,
    head,
    upgrade,
)
from storage.engine import make_engine
from tests.farechain.scratch_db import schema_of, scratch_database


@pytest.fixture
def scratch(database_url: str, tmp_path: Path) -> Iterator[Engine]:
    with scratch_database(database_url, tmp_path) as url:
        engine = make_engine(url)
        yield engine
        engine.dispose()


@pytest.fixture
def scratch_url(database_url: str, tmp_path: Path) -> Iterator[str]:
    with scratch_database(database_url, tmp_path) as url:
        yield url


def test_upgrade_from_nothing_makes_the_schema_the_models_declare(
    scratch: Engine, database_url: str, tmp_path: Path
) -> None:
    assert current(scratch) is None
    assert upgrade(scratch) == Upgrade(before=None, after=head(), adopted=False)
    assert current(scratch) == head()
    with scratch.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), SQLModel.metadata) == []
    # Beyond what autogenerate compares: partial indexes' WHERE, BIGINT, SERIAL, names.
    with scratch_database(database_url, tmp_path) as url:
        from_models = make_engine(url)
        try:
            SQLModel.metadata.create_all(from_models)
            assert schema_of(scratch) == schema_of(from_models)
        finally:
            from_models.dispose()


def test_the_baseline_makes_exactly_the_tables_of_the_release_before_it(scratch: Engine) -> None:
    assert upgrade(scratch, to=BASELINE).after == BASELINE
    assert set(inspect(scratch).get_table_names()) == BASELINE_TABLES | {VERSION_TABLE}
    tables = schema_of(scratch)
    assert ("ix_invoices_buyer_tax_id", ("buyer_tax_id",), False) in [
        index[:3] for index in tables["invoices"]["indexes"]
    ]
    wheres = [str(index[3]) for index in tables["invoices"]["indexes"]]
    assert sum("original_number IS NOT NULL" in where for where in wheres) == 1
    amounts = {name: kind for name, kind, *_ in tables["riders"]["columns"]}
    assert amounts["balance_fen"] == "BIGINT"


def test_upgrading_twice_changes_nothing(scratch: Engine) -> None:
    upgrade(scratch)
    made = schema_of(scratch)
    again = upgrade(scratch)
    assert again == Upgrade(before=head(), after=head(), adopted=False)
    assert again.describe() == f"schema at {head()} (head): nothing to do"
    assert schema_of(scratch) == made
    with scratch.connect() as connection:
        versions = connection.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).all()
    assert [v for (v,) in versions] == [head()]


def test_tables_from_before_migrations_are_adopted_not_made_again(scratch: Engine) -> None:
    SQLModel.metadata.create_all(
        scratch, tables=[SQLModel.metadata.tables[name] for name in BASELINE_TABLES]
    )
    done = upgrade(scratch)
    assert done == Upgrade(before=None, after=head(), adopted=True)
    assert done.describe().startswith(f"schema made before migrations adopted at {BASELINE}")
    assert upgrade(scratch).adopted is False  # recorded now: the next start just checks


def test_a_database_with_some_farechain_tables_is_refused_and_left_as_it_was(
    scratch: Engine,
) -> None:
    SQLModel.metadata.create_all(
        scratch, tables=[SQLModel.metadata.tables[name] for name in ("riders", "trips")]
    )
    with pytest.raises(SchemaError, match=r"lacks blocks, charges, .*ledger_records"):
        upgrade(scratch)
    assert set(inspect(scratch).get_table_names()) == {"riders", "trips"}


def test_a_failed_upgrade_leaves_nothing_behind(scratch: Engine) -> None:
    # Another application's index holds a name the baseline creates after other tables.
    with scratch.begin() as connection:
        connection.execute(text("CREATE TABLE other_app (x INTEGER)"))
        connection.execute(text("CREATE INDEX ix_charges_rider_id ON other_app (x)"))
    with pytest.raises(DatabaseError, match="ix_charges_rider_id"):
        upgrade(scratch)
    assert inspect(scratch).get_table_names() == ["other_app"]
    assert current(scratch) is None


def test_two_upgraders_at_once_apply_the_revisions_once(scratch_url: str) -> None:
    # Without upgrade's lock this fails on SQLite and hangs on PostgreSQL: alembic's `op`
    # is one proxy per process, so two threads inside alembic at once mix connections.
    engines = [make_engine(scratch_url) for _ in range(2)]
    together = Barrier(2)

    def start(engine: Engine) -> Upgrade:
        together.wait()
        return upgrade(engine)

    try:
        with ThreadPoolExecutor(2) as pool:
            done = [future.result() for future in [pool.submit(start, e) for e in engines]]
    finally:
        for engine in engines:
            engine.dispose()
    assert sorted(d.before or "none" for d in done) == sorted([head(), "none"])


def test_drop_schema_drops_the_version_too_so_the_next_start_builds_afresh(
    scratch: Engine,
) -> None:
    upgrade(scratch)
    drop_schema(scratch)
    assert inspect(scratch).get_table_names() == []
    assert upgrade(scratch) == Upgrade(before=None, after=head(), adopted=False)


def test_create_schema_records_the_newest_revision(scratch: Engine) -> None:
    create_schema(scratch)
    assert current(scratch) == head()
    assert upgrade(scratch) == Upgrade(before=head(), after=head(), adopted=False)
