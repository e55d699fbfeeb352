"""`farechain privacy erase RIDER`: delete a rider's openings; the public log stays valid.

The ledger's version-2 records hold only salted commitments to personal fields; their
openings live in `ledger_openings` (ledger.openings). Deleting a rider's openings leaves
every record, proof and checkpoint as it was, and nothing left ties them to the rider.
"""

from __future__ import annotations

from typing import Annotated

import typer
from sqlalchemy.orm import Session

from farechain.settings import Settings
from ledger.openings import erase_subject
from storage.engine import make_engine

app = typer.Typer(help="The riders' privacy: erase what the ledger's openings say of one.")


@app.command()
def erase(rider: Annotated[str, typer.Argument(help="the rider id, e.g. r0000005")]) -> None:
    """Delete every opening of the rider's ledger records (their commitments stay)."""
    from farechain.migrate import upgrade

    settings = Settings()
    engine = make_engine(settings.database_url_or_default)
    upgrade(engine)
    with Session(engine) as session:
        erased = erase_subject(session, rider)
        session.commit()
    typer.echo(f"erased the openings of {erased} ledger record(s) of rider {rider}")
