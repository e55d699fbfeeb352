"""The whole schema: every domain's tables, created or dropped together.

Only the wiring knows every domain, so the list of table modules lives here
(`farechain.tables`).
"""

from __future__ import annotations

from sqlalchemy import Engine
from sqlmodel import SQLModel


def create_schema(engine: Engine) -> None:
    import farechain.tables  # noqa: F401  (registers every table on the metadata)

    SQLModel.metadata.create_all(engine)


def drop_schema(engine: Engine) -> None:
    """Drop every farechain table (and its rows): for a load test that starts afresh."""
    import farechain.tables  # noqa: F401

    SQLModel.metadata.drop_all(engine)
