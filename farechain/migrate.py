"""Schema migrations: bring a database to the newest revision of farechain/migrations.

Alembic is configured here in code (no alembic.ini); the revisions ship inside the
package. `upgrade` takes a lock first (PostgreSQL: an advisory lock; SQLite: BEGIN
IMMEDIATE), so two processes starting at once upgrade one after the other, and runs
inside that one transaction: on PostgreSQL a failed upgrade leaves nothing behind.

A database made by the release before migrations (its tables from create_all, no
`alembic_version`) is recognised by its tables and stamped at the baseline revision,
whose tables are exactly those, before upgrading. An empty database is upgraded from
nothing. Tables of other applications sharing the database are left alone.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import Script, ScriptDirectory
from sqlalchemy import Connection, Engine, inspect
from sqlmodel import SQLModel

__all__ = [
    "BASELINE",
    "BASELINE_TABLES",
    "VERSION_TABLE",
    "SchemaError",
    "Upgrade",
    "current",
    "head",
    "stamp_head",
    "upgrade",
    "write_revision",
]

VERSION_TABLE = "alembic_version"
BASELINE = "0001_baseline"
# What the release before migrations made, frozen: the tables the baseline revision creates.
BASELINE_TABLES = frozenset(
    {
        "ledger_records",
        "merkle_nodes",
        "blocks",
        "cosignatures",
        "ledger_head",
        "operators",
        "riders",
        "devices",
        "trips",
        "charges",
        "invoices",
        "invoice_sequences",
        "invoice_titles",
        "invoice_events",
        "companies",
        "tax_officers",
        "invoice_exports",
    }
)
_SCRIPTS = Path(__file__).with_name("migrations")
# Any fixed number will do: every farechain upgrader asks for the same one.
_PG_LOCK_KEY = 0x6661_7265_6D69_6772


class SchemaError(Exception):
    """The database holds something `upgrade` must not guess about."""


@dataclass(frozen=True)
class Upgrade:
    before: str | None  # the revision found (None: no version recorded)
    after: str
    adopted: bool  # made by the release before migrations, stamped at the baseline

    def describe(self) -> str:
        if self.adopted:
            then = "" if self.after == BASELINE else f", then upgraded to {self.after}"
            return f"schema made before migrations adopted at {BASELINE}{then}"
        if self.before == self.after:
            return f"schema at {self.after} (head): nothing to do"
        return f"schema upgraded from {self.before or 'nothing'} to {self.after}"


def upgrade(engine: Engine, *, to: str = "head") -> Upgrade:
    """Apply every pending revision up to `to`; adopt a database from before migrations
    first."""
    with engine.begin() as connection:
        _lock(connection)
        before = _current(connection)
        adopted = before is None and _made_before_migrations(connection)
        config = _config(connection)
        if adopted:
            command.stamp(config, BASELINE)
        command.upgrade(config, to)
        after = _current(connection)
    assert after is not None  # the upgrade recorded it
    return Upgrade(before=before, after=after, adopted=adopted)


def current(engine: Engine) -> str | None:
    """The revision the database is at; None when none is recorded."""
    with engine.connect() as connection:
        return _current(connection)


def head() -> str:
    """The newest revision this code ships."""
    revision = ScriptDirectory.from_config(_config(None)).get_current_head()
    if revision is None:
        raise SchemaError(f"no revisions under {_SCRIPTS}")
    return revision


def stamp_head(engine: Engine) -> None:
    """Record the newest revision without running any: for tables the models just made."""
    with engine.begin() as connection:
        _lock(connection)
        command.stamp(_config(connection), "head", purge=True)


def write_revision(engine: Engine, message: str, *, revision: str, autogenerate: bool) -> Path:
    """Write revision `revision` after the head into farechain/migrations/versions; with
    `autogenerate`, its operations are the models' differences from `engine`'s schema
    (which must be at head), formatted by ruff when it is installed."""
    import farechain.tables  # noqa: F401  (every model on the metadata)

    with engine.begin() as connection:
        config = _config(connection)
        if autogenerate:
            found = compare_metadata(MigrationContext.configure(connection), SQLModel.metadata)
            if not found:
                raise SchemaError("the models match the newest revision: nothing to write")
        if importlib.util.find_spec("ruff") is not None:
            config.set_section_option("post_write_hooks", "hooks", "ruff")
            config.set_section_option("post_write_hooks", "ruff.type", "module")
            config.set_section_option("post_write_hooks", "ruff.module", "ruff")
            config.set_section_option(
                "post_write_hooks", "ruff.options", "format REVISION_SCRIPT_FILENAME"
            )
        written = command.revision(config, message, autogenerate=autogenerate, rev_id=revision)
    if not isinstance(written, Script):
        raise SchemaError(f"expected one revision written, got {written!r}")
    return Path(written.path)


def _lock(connection: Connection) -> None:
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_PG_LOCK_KEY})")
    elif connection.dialect.name == "sqlite":
        # pysqlite starts no transaction before DDL, so each CREATE would commit on its
        # own; an explicit BEGIN IMMEDIATE makes the upgrade one write transaction, and
        # a second upgrader waits (busy_timeout) and then finds it done.
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def _current(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def _made_before_migrations(connection: Connection) -> bool:
    present = set(inspect(connection).get_table_names()) & BASELINE_TABLES
    if not present:
        return False
    missing = BASELINE_TABLES - present
    if missing:
        raise SchemaError(
            f"the database has farechain tables ({', '.join(sorted(present))}) but no "
            f"{VERSION_TABLE} and lacks {', '.join(sorted(missing))}: expected all "
            f"{len(BASELINE_TABLES)} tables of a database from before migrations, or none"
        )
    return True


def _config(connection: Connection | None) -> Config:
    config = Config()
    # configparser interpolates '%': a path holding one must be escaped.
    config.set_main_option("script_location", str(_SCRIPTS).replace("%", "%%"))
    config.set_main_option("path_separator", "os")
    config.set_main_option("file_template", "r%%(rev)s")
    config.attributes["connection"] = connection
    return config
