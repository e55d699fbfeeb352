"""Who is asking: an operator account, by bearer token or by the console's cookie.

The console (`operators.console`) keeps the same token in an HttpOnly, SameSite=Strict
cookie so its pages and its upload reach the same routes; the check is the one of
`plumbing.tokens`. A request authenticated by the cookie that changes something must
also carry the session's CSRF token (`operators.csrf`). A route for another operator's
id answers 404, not 403.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from operators import csrf
from operators.errors import NotAuthenticated, NotFound
from operators.models import OperatorAccount
from plumbing.deps import SessionDep
from plumbing.tokens import BearerDep, token_id, token_matches

__all__ = ["COOKIE", "OperatorDep", "account_for"]

COOKIE = "farechain_operator"


def account_for(session: SessionDep, token: str | None) -> OperatorAccount:
    if not token:
        raise NotAuthenticated("send the operator token as 'Authorization: Bearer <token>'")
    account = session.get(OperatorAccount, token_id(token))
    if account is None or not token_matches(token, account.token_sha256):
        raise NotAuthenticated("expected an operator token, got an unknown one")
    return account


def _operator(operator_id: str, request: Request, session: SessionDep, bearer: BearerDep) -> str:
    token = bearer or request.cookies.get(COOKIE)
    account = account_for(session, token)
    if not bearer and request.method not in csrf.SAFE_METHODS:
        assert token is not None  # account_for refuses a missing one
        if not csrf.tokens_match(csrf.session_token(token), request.headers.get(csrf.HEADER)):
            raise csrf.CsrfRejected(
                f"a request signed in by the console's cookie must send the page's "
                f"{csrf.HEADER} header"
            )
    if account.operator_id != operator_id:
        raise NotFound(f"expected your own operator id, got {operator_id!r}")
    return account.operator_id


OperatorDep = Annotated[str, Depends(_operator)]
"""The operator id of the path, once the caller proved it is that operator."""
