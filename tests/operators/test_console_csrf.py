"""The console's CSRF tokens: a cookie alone changes nothing, the pages' own tokens do.

The attacker here is a page on another origin of the same site (another port of the
same host, a sibling subdomain): SameSite=Strict lets the browser send the cookie from
there, so only the token stops a forged request.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from farechain.settings import Settings
from operators.csrf import HEADER, LOGIN_COOKIE, session_token, tokens_match
from operators.deps import COOKIE
from operators.models import ReconciliationReport
from tests.operators.world import DAY, accounts, bus, local, metro, seal, settle

NEXT = DAY + dt.timedelta(days=1)
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
System = tuple[TestClient, dict[str, Any], Settings]


@pytest.fixture
def console(system: System, engine: Engine) -> tuple[TestClient, str, str]:
    """A settled day and szmc signed in to the console; (client, token, day's TIDES)."""
    client, _, settings = system
    events = [
        metro("s1", "r0000002", ("szmc", "luohu"), ("szmc", "guomao"), local(DAY, 9, 30)),
        bus("b1", "r0000003", local(DAY, 10)),
    ]
    seal(engine, settings, events, local(DAY, 10, 1))
    settle(engine, settings, DAY, local(NEXT, 5))
    token = accounts(engine)["szmc"]
    tides = client.get(
        f"/v1/operators/szmc/trips/{DAY}.csv", headers={"Authorization": f"Bearer {token}"}
    ).text
    client.get("/operators/")
    nonce = client.cookies[LOGIN_COOKIE]
    signed_in = client.post(
        "/operators/login",
        content=f"csrf={nonce}&token={token}".encode(),
        headers=FORM,
        follow_redirects=False,
    )
    assert signed_in.status_code == 303
    return client, token, tides


def _field(html: str, pattern: str) -> str:
    found = re.search(pattern, html)
    assert found is not None, pattern
    return found.group(1)


def _reports(engine: Engine) -> int:
    with Session(engine) as session:
        return int(session.scalar(select(func.count()).select_from(ReconciliationReport)) or 0)


def test_the_session_token_is_derived_from_the_secret_and_compared_safely() -> None:
    assert session_token("szmc.a") == session_token("szmc.a") != session_token("szmc.b")
    assert len(session_token("szmc.a")) == 43  # 256 bits, base64url without padding
    assert tokens_match("abc", "abc")
    assert (
        not tokens_match("abc", "abd") and not tokens_match("", "") and not tokens_match(None, "x")
    )


def test_a_sign_in_without_the_forms_nonce_is_refused(system: System, engine: Engine) -> None:
    client, _, _ = system
    token = accounts(engine)["szmc"]
    # A forged form from elsewhere: the right token, but no nonce (login CSRF).
    forged = client.post(
        "/operators/login", content=f"token={token}".encode(), headers=FORM, follow_redirects=False
    )
    assert forged.status_code == 403 and "not this page" in forged.text
    assert COOKIE not in client.cookies
    page = client.get("/operators/").text
    nonce = client.cookies[LOGIN_COOKIE]
    assert _field(page, r'name="csrf" value="([^"]+)"') == nonce
    wrong = client.post(
        "/operators/login",
        content=f"csrf={nonce}x&token={token}".encode(),
        headers=FORM,
        follow_redirects=False,
    )
    assert wrong.status_code == 403 and COOKIE not in client.cookies


def test_an_upload_by_cookie_needs_the_pages_token(
    console: tuple[TestClient, str, str], engine: Engine
) -> None:
    client, token, tides = console
    url = f"/v1/operators/szmc/reconciliations?day={DAY}"
    for headers in ({}, {HEADER: "forged"}, {HEADER: session_token("szmc.other")}):
        forged = client.post(
            url, content=tides.encode(), headers={"Content-Type": "text/csv", **headers}
        )
        assert forged.status_code == 403, headers
        assert forged.headers["content-type"] == "application/problem+json"
        assert HEADER in forged.json()["detail"]
    assert _reports(engine) == 0  # nothing stored
    page = client.get(f"/operators/szmc/?day={DAY}").text
    from_page = _field(page, r'data-csrf="([^"]+)"')
    assert from_page == session_token(token)
    assert f"'{HEADER}':f.dataset.csrf" in page  # the upload script sends it
    uploaded = client.post(
        url, content=tides.encode(), headers={"Content-Type": "text/csv", HEADER: from_page}
    )
    assert uploaded.status_code == 201, uploaded.text
    # Reading needs no token; and a bearer token is not a cookie: no other site can send it.
    assert client.get("/v1/operators/szmc/reconciliations").status_code == 200
    client.cookies.clear()
    by_bearer = client.post(
        url,
        content=tides.encode(),
        headers={"Content-Type": "text/csv", "Authorization": f"Bearer {token}"},
    )
    assert by_bearer.status_code == 200  # the same upload: the stored report
    assert _reports(engine) == 1


def test_sign_out_needs_the_pages_token(console: tuple[TestClient, str, str]) -> None:
    client, token, _ = console
    forged = client.post("/operators/logout", content=b"", headers=FORM, follow_redirects=False)
    assert forged.status_code == 403
    assert client.get(f"/operators/szmc/?day={DAY}").status_code == 200  # still signed in
    page = client.get(f"/operators/szmc/?day={DAY}").text
    csrf = _field(
        page, r'action="/operators/logout"><input type="hidden" name="csrf" value="([^"]+)"'
    )
    assert csrf == session_token(token)
    out = client.post(
        "/operators/logout", content=f"csrf={csrf}".encode(), headers=FORM, follow_redirects=False
    )
    assert out.status_code == 303 and COOKIE not in client.cookies
