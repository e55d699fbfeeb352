"""The operator console in chromium: sign in, upload a journal (the page's script sends
the CSRF token), and a forged form from another origin of the same site is refused.

The attacker's page is served from another port of 127.0.0.1: the same site, so the
browser sends the SameSite=Strict cookie with its form; only the CSRF token stops it.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from playwright.sync_api import Browser, FilePayload, Page
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from operators.models import ReconciliationReport
from tests.operators.world import DAY, accounts, bus, local, metro, seal, settle
from tests.webclient.live import Live

NEXT = DAY + dt.timedelta(days=1)


class _Attacker:
    """A page on another origin that posts a form to the console as soon as it loads."""

    def __init__(self, target: str, fields: dict[str, str], enctype: str) -> None:
        inputs = "".join(f'<input type="hidden" name="{k}" value="{v}">' for k, v in fields.items())
        html = (
            f'<!doctype html><form id="f" method="post" action="{target}" enctype="{enctype}">'
            f"{inputs}</form><script>document.getElementById('f').submit()</script>"
        ).encode()

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.end_headers()
                self.wfile.write(html)

            def log_message(self, *_: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def operator_page(browser: Browser, live: Live) -> Iterator[tuple[Page, str]]:
    """A settled day and a browser signed in to the console as szmc; (page, token)."""
    events = [
        metro("s1", "r0000002", ("szmc", "luohu"), ("szmc", "guomao"), local(DAY, 9, 30)),
        bus("b1", "r0000003", local(DAY, 10)),
    ]
    seal(live.engine, live.settings, events, local(DAY, 10, 1))
    settle(live.engine, live.settings, DAY, local(NEXT, 5))
    token = accounts(live.engine)["szmc"]
    context = browser.new_context()
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{live.base_url}/operators/")
    page.fill("input[name=token]", token)
    page.click("button:has-text('Sign in')")
    page.wait_for_url(f"{live.base_url}/operators/szmc/")
    yield page, token
    context.close()
    assert errors == []


def _reports(live: Live) -> int:
    with Session(live.engine) as session:
        return int(session.scalar(select(func.count()).select_from(ReconciliationReport)) or 0)


def test_the_console_uploads_with_its_token_and_a_forged_form_is_refused(
    operator_page: tuple[Page, str], live: Live
) -> None:
    page, token = operator_page
    tides = live.http.get(
        f"/v1/operators/szmc/trips/{DAY}.csv", headers={"Authorization": f"Bearer {token}"}
    ).text
    target = f"{live.base_url}/v1/operators/szmc/reconciliations?day={DAY}"
    # The forged upload: the browser carries the session cookie, not the token.
    attacker = _Attacker(target, {"event_id,device_id,kind,at,amount_fen\ns1": "x"}, "text/plain")
    try:
        forged = page.context.new_page()
        with forged.expect_response(target) as answer:
            forged.goto(attacker.url)
        assert answer.value.status == 403
        assert "CSRF" in answer.value.text()
        forged.close()
    finally:
        attacker.close()
    assert _reports(live) == 0

    # The console's own upload, through its form and script.
    page.goto(f"{live.base_url}/operators/szmc/?day={DAY}")
    page.set_input_files(
        "input[name=journal]",
        files=FilePayload(name="journal.csv", mimeType="text/csv", buffer=tides.encode()),
    )
    page.click("#upload button[type=submit]")
    page.wait_for_url(f"{live.base_url}/operators/szmc/reconciliations/*")
    assert "Payments against fares" in page.content()
    assert _reports(live) == 1

    # A forged sign-out is refused too; the session goes on.
    attacker = _Attacker(
        f"{live.base_url}/operators/logout", {}, "application/x-www-form-urlencoded"
    )
    try:
        forged = page.context.new_page()
        with forged.expect_response(f"{live.base_url}/operators/logout") as answer:
            forged.goto(attacker.url)
        assert answer.value.status == 403
        forged.close()
    finally:
        attacker.close()
    page.goto(f"{live.base_url}/operators/szmc/?day={DAY}")
    assert page.url.endswith(f"/operators/szmc/?day={DAY}")  # still signed in
    page.click("header button:has-text('Sign out')")
    page.wait_for_url(f"{live.base_url}/operators/")
    assert "Operator token" in page.content()
