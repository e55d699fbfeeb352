"""The schema: created and dropped (the load test's --fresh drops it), and its indexes."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, inspect, text

from farechain.db import create_schema, drop_schema
from storage.engine import is_postgres, make_engine


def test_drop_schema_removes_every_table_create_schema_made(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'fresh.sqlite3'}")
    try:
        create_schema(engine)
        made = set(inspect(engine).get_table_names())
        assert {"ledger_records", "blocks", "trips", "invoices", "riders"} <= made
        drop_schema(engine)
        assert inspect(engine).get_table_names() == []
        create_schema(engine)  # and the next run starts again from nothing
        assert set(inspect(engine).get_table_names()) == made
    finally:
        engine.dispose()


@pytest.mark.parametrize(
    ("column", "index"),
    [
        ("buyer_tax_id", "ix_invoices_buyer_tax_id"),
        ("original_number", "ix_invoices_original_number"),
    ],
)
def test_the_partial_invoice_indexes_serve_lookups_by_value(
    engine: Engine, column: str, index: str
) -> None:
    # They leave out NULLs (most invoices); `column = value` must still find them.
    by_value = _plan(engine, f"SELECT number FROM invoices WHERE {column} = '9144'")
    assert any(index in line for line in by_value), by_value
    # and they are partial: NULLs are not in them.
    nulls = _plan(engine, f"SELECT number FROM invoices WHERE {column} IS NULL")
    assert not any(index in line for line in nulls), nulls


def _plan(engine: Engine, query: str) -> list[str]:
    with engine.begin() as connection:
        if is_postgres(engine):
            connection.execute(text("SET LOCAL enable_seqscan = off"))
            return list(connection.execute(text(f"EXPLAIN {query}")).scalars())
        return [row[-1] for row in connection.execute(text(f"EXPLAIN QUERY PLAN {query}"))]
