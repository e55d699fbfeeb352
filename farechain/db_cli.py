"""`farechain db`: the database schema's migrations (farechain.migrate).

`upgrade` applies pending revisions to DATABASE_URL's database (else ./var's SQLite
file), `current` names the revision it is at, and `revision "add payments"` writes the
next revision from the models' changes.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy import Engine, make_url

from farechain import migrate
from farechain.settings import Settings
from storage.engine import make_engine

app = typer.Typer(help="The database schema: migrations.", no_args_is_help=True)


def _engine(settings: Settings) -> Engine:
    if not settings.database_url:
        settings.var_dir.mkdir(parents=True, exist_ok=True)  # where the SQLite file goes
    return make_engine(settings.database_url_or_default)


def _where(engine: Engine) -> str:
    return make_url(engine.url).render_as_string(hide_password=True)


@app.command()
def upgrade() -> None:
    """Bring the database to the newest revision (a database from before migrations is
    adopted at the baseline first; an empty one is built from nothing)."""
    engine = _engine(Settings())
    try:
        done = migrate.upgrade(engine)
    except migrate.SchemaError as error:
        typer.echo(f"upgrade refused: {error}", err=True)
        raise typer.Exit(1) from None
    finally:
        engine.dispose()
    typer.echo(f"{_where(engine)}: {done.describe()}")


@app.command()
def current() -> None:
    """Print the revision the database is at and whether it is the newest."""
    engine = _engine(Settings())
    try:
        found = migrate.current(engine)
    finally:
        engine.dispose()
    newest = migrate.head()
    if found == newest:
        state = f"at {found} (head)"
    elif found is None:
        state = f"no revision recorded; `farechain db upgrade` brings it to {newest}"
    else:
        state = f"at {found}; head is {newest}: run `farechain db upgrade`"
    typer.echo(f"{_where(engine)}: {state}")


@app.command()
def revision(
    message: Annotated[str, typer.Argument(help="what the revision changes")],
    empty: Annotated[bool, typer.Option(help="write an empty revision to fill by hand")] = False,
) -> None:
    """Write the next revision: the models' changes against the newest revision.

    The comparison runs on a scratch SQLite database upgraded to head, so it needs no
    server; read the result before committing it (autogenerate misses renames)."""
    slug = re.sub(r"\W+", "_", message.lower()).strip("_")[:20]
    number = int(migrate.head().split("_", 1)[0]) + 1
    with tempfile.TemporaryDirectory() as scratch:
        engine = make_engine(f"sqlite:///{Path(scratch) / 'head.sqlite3'}")
        try:
            migrate.upgrade(engine)
            path = migrate.write_revision(
                engine, message, revision=f"{number:04d}_{slug}", autogenerate=not empty
            )
        except migrate.SchemaError as error:
            typer.echo(f"no revision written: {error}", err=True)
            raise typer.Exit(1) from None
        finally:
            engine.dispose()
    typer.echo(f"wrote {path}")
