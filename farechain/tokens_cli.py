"""`farechain tokens ...`: issue or revoke a rider's or a company's bearer token.

farechain tokens issue rider r0000001          # a new token (the old one stops); printed once
farechain tokens issue company 91440300...     # valid for settings.tokens.company_days
farechain tokens revoke rider r0000001         # the token stops at once
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Annotated

import typer
from sqlalchemy.orm import Session

from farechain.settings import Settings
from invoicing.accounts import issue_company_token, revoke_company_token
from plumbing.errors import DomainError
from storage.engine import make_engine
from trips.tokens import issue_rider_token, revoke_rider_token

app = typer.Typer(help="Bearer tokens of riders and companies: issue a new one, or revoke.")


class Holder(StrEnum):
    RIDER = "rider"
    COMPANY = "company"


_Holder = Annotated[Holder, typer.Argument(help="whose token")]
_Id = Annotated[str, typer.Argument(help="the rider id, or the company's tax ID")]


@app.command()
def issue(
    holder: _Holder,
    account_id: _Id,
    days: Annotated[
        int | None, typer.Option(min=1, max=3650, help="lifetime (default: the settings')")
    ] = None,
) -> None:
    """Issue a new token and print it (this once); the account's old token stops."""
    settings = Settings()
    now = datetime.now(UTC)
    default = settings.tokens.rider_days if holder is Holder.RIDER else settings.tokens.company_days
    lifetime = timedelta(days=days or default)
    engine = make_engine(settings.database_url_or_default)
    try:
        with Session(engine) as session:
            if holder is Holder.RIDER:
                token = issue_rider_token(session, account_id, now, lifetime)
            else:
                token = issue_company_token(session, account_id, now, lifetime)
    except DomainError as error:
        typer.echo(f"tokens issue: {error}", err=True)
        raise typer.Exit(1) from None
    finally:
        engine.dispose()
    typer.echo(token)
    typer.echo(f"valid until {(now + lifetime).isoformat()}", err=True)


@app.command()
def revoke(holder: _Holder, account_id: _Id) -> None:
    """Revoke the account's token: it stops signing in at once."""
    settings = Settings()
    engine = make_engine(settings.database_url_or_default)
    try:
        with Session(engine) as session:
            if holder is Holder.RIDER:
                revoke_rider_token(session, account_id, datetime.now(UTC))
            else:
                revoke_company_token(session, account_id, datetime.now(UTC))
    except DomainError as error:
        typer.echo(f"tokens revoke: {error}", err=True)
        raise typer.Exit(1) from None
    finally:
        engine.dispose()
    typer.echo(f"revoked the {holder} token of {account_id}")
