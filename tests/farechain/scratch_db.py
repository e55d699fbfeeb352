"""Empty databases for the migration tests, apart from the suite's shared one.

SQLite: a new file. PostgreSQL: a schema of its own inside DATABASE_URL's database, made
the connection's search_path through the URL, so no CREATE DATABASE right is needed;
dropped with everything in it afterwards.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, inspect, make_url

from farechain.migrate import VERSION_TABLE
from storage.engine import make_engine, normalise_url


@contextmanager
def scratch_database(database_url: str, tmp_path: Path) -> Iterator[str]:
    """The URL of an empty database of the same kind as `database_url`."""
    name = f"scratch_{uuid.uuid4().hex[:12]}"
    if not normalise_url(database_url).startswith("postgresql"):
        yield f"sqlite:///{tmp_path / f'{name}.sqlite3'}"
        return
    admin = make_engine(database_url)
    try:
        with admin.begin() as connection:
            connection.exec_driver_sql(f"CREATE SCHEMA {name}")
        url = make_url(normalise_url(database_url)).update_query_dict(
            {"options": f"-csearch_path={name}"}
        )
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as connection:
            connection.exec_driver_sql(f"DROP SCHEMA IF EXISTS {name} CASCADE")
        admin.dispose()


def schema_of(engine: Engine) -> dict[str, Any]:
    """What reflection sees of every table but the migrations' version: columns with
    their types, nullability and defaults, keys, unique constraints and indexes (with
    their WHERE clause when partial)."""
    inspector = inspect(engine)
    tables: dict[str, Any] = {}
    for table in sorted(inspector.get_table_names()):
        if table == VERSION_TABLE:
            continue
        tables[table] = {
            "columns": [
                (c["name"], str(c["type"]), c["nullable"], c["default"])
                for c in inspector.get_columns(table)
            ],
            "primary_key": inspector.get_pk_constraint(table)["constrained_columns"],
            "foreign_keys": sorted(
                (tuple(fk["constrained_columns"]), fk["referred_table"])
                for fk in inspector.get_foreign_keys(table)
            ),
            "unique": sorted(
                (str(u["name"]), tuple(u["column_names"]))
                for u in inspector.get_unique_constraints(table)
            ),
            "indexes": sorted(
                (
                    str(i["name"]),
                    tuple(str(c) for c in i["column_names"]),
                    bool(i["unique"]),
                    sorted((k, str(v)) for k, v in i.get("dialect_options", {}).items()),
                )
                for i in inspector.get_indexes(table)
            ),
        }
    return tables
