"""Creating and dropping the schema (the load test's --fresh drops it in its database)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import inspect

from farechain.db import create_schema, drop_schema, make_engine


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
