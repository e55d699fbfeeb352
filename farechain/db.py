"""The whole schema: every domain's tables, created or dropped together.

Only the wiring knows every domain, so the list of table modules lives here
(`farechain.tables`). The schema of record is farechain.migrate's revisions; this makes
it from the models in one step, for tests and benchmarks on an empty database.
"""

from __future__ import annotations

from sqlalchemy import Engine, text
from sqlmodel import SQLModel


def create_schema(engine: Engine) -> None:
    """Today's tables straight from the models, stamped at the newest revision.

    Only for an empty database (tests, benchmarks): the models and the newest revision
    describe the same schema (tests/farechain/test_migrate.py holds them to it), so
    `farechain db upgrade` later finds nothing to do. Anything else: migrate.upgrade.
    """
    import farechain.tables  # noqa: F401  (registers every table on the metadata)
    from farechain.migrate import stamp_head

    SQLModel.metadata.create_all(engine)
    stamp_head(engine)


def drop_schema(engine: Engine) -> None:
    """Drop every farechain table (and its rows) and the migrations' version: for a load
    test that starts afresh, whose next start then upgrades from nothing."""
    import farechain.tables  # noqa: F401
    from farechain.migrate import VERSION_TABLE

    SQLModel.metadata.drop_all(engine)
    with engine.begin() as connection:
        connection.execute(text(f"DROP TABLE IF EXISTS {VERSION_TABLE}"))
