"""A receipt as a download: the C2SP tlog-proof text of one ledger record.

Only the record's owner asks for it (the routes check), so it carries the opening of
the record's personal fields: the rider can prove the trip was theirs."""

from __future__ import annotations

from fastapi import Response
from sqlalchemy.orm import Session

from ledger import store

__all__ = ["receipt_response"]


def receipt_response(session: Session, index: int, name: str) -> Response:
    return Response(
        store.receipt_for(session, index, with_opening=True),
        media_type="text/plain; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}.tlog-proof"'},
    )
