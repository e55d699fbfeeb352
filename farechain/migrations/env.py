"""Alembic's environment: run the revisions on the connection `farechain.migrate` hands in.

There is no alembic.ini and no offline (`--sql`) mode: the caller opens the connection,
takes the lock and owns the transaction (see farechain/migrate.py).
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection
from sqlmodel import SQLModel

import farechain.tables  # noqa: F401  (the models' metadata, for autogenerate's comparison)
from farechain.migrations.render import render_item

connection = context.config.attributes.get("connection")
if not isinstance(connection, Connection):
    raise RuntimeError("farechain's migrations run through farechain.migrate, with a connection")
context.configure(
    connection=connection,
    target_metadata=SQLModel.metadata,
    render_item=render_item,
    # SQLite cannot ALTER most things in place: batch mode rebuilds the table instead.
    render_as_batch=True,
)
with context.begin_transaction():
    context.run_migrations()
