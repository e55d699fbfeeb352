"""CSRF tokens for the operator console: a cookie alone never changes anything.

The console signs in with the operator token in an HttpOnly, SameSite=Strict cookie.
SameSite keeps other sites' requests from carrying it in current browsers, but not in
older ones, and not from a sibling subdomain (same site, different origin). So every
state-changing console request also carries a token a page of another origin cannot
know (OWASP's CSRF cheat sheet):

- signed in: a synchronizer token derived from the session's own secret, HMAC-SHA256
  keyed by the operator token over a fixed context, so nothing is stored server-side
  and it changes with the token. Pages put it in their forms (`csrf` field) and the
  upload script in the `X-CSRF-Token` header; a cookie-authenticated API request that
  is not GET/HEAD/OPTIONS must send it (`operators.deps`). A request with
  `Authorization: Bearer` needs none: no other site can make a browser send that header.
- signing in (no session yet, "login CSRF" would sign a victim into the attacker's
  account): a double-submit nonce, a random value the login page sets in its own
  SameSite=Strict cookie and repeats in the form; the POST must bring both, equal.

Comparisons are constant-time.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from operators.errors import OperatorsError

__all__ = [
    "FIELD",
    "HEADER",
    "LOGIN_COOKIE",
    "SAFE_METHODS",
    "CsrfRejected",
    "login_nonce",
    "session_token",
    "tokens_match",
]

FIELD = "csrf"
HEADER = "X-CSRF-Token"
LOGIN_COOKIE = "farechain_operator_login"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_CONTEXT = b"farechain operator console csrf v1"


class CsrfRejected(OperatorsError):
    """A state-changing console request without the page's CSRF token, or a wrong one."""

    status_code = 403
    title = "CSRF token missing or wrong"


def session_token(operator_token: str) -> str:
    """The CSRF token of a signed-in console session."""
    mac = hmac.new(operator_token.encode(), _CONTEXT, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()


def login_nonce() -> str:
    return secrets.token_urlsafe(32)


def tokens_match(expected: str | None, given: str | None) -> bool:
    if not expected or not given:
        return False
    return hmac.compare_digest(expected.encode(), given.encode())
