"""The operator console at /operators/: server-rendered pages over the operator routes.

Sign in with the operator token (kept in an HttpOnly, SameSite=Strict cookie; every form
and the upload also carry a CSRF token, `operators.csrf`), pick a
business day, read totals, positions and adjustments, download the statement and the
day's TIDES file, upload a device journal and read the report. Plain HTML and one small
stylesheet; the upload's few lines of script send the file as the request body, as the
API takes it (no multipart parser needed, and the file streams).
"""

from __future__ import annotations

import datetime as dt
import urllib.parse
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from operators import csrf, views
from operators.api import config_of, parse_day
from operators.clearing import business_day
from operators.deps import COOKIE, account_for
from operators.errors import NotAuthenticated
from operators.pages import STYLESHEET, day_page, login_page, page, report_page
from plumbing.deps import SessionDep

__all__ = ["router"]

router = APIRouter(prefix="/operators", include_in_schema=False)


def _signed_in(request: Request, session: SessionDep) -> str | None:
    try:
        return account_for(session, request.cookies.get(COOKIE)).operator_id
    except NotAuthenticated:
        return None


def _page_csrf(request: Request) -> str:
    """The signed-in session's CSRF token, for the page's forms."""
    return csrf.session_token(request.cookies.get(COOKIE) or "")


def _login_form(error: str = "", status_code: int = 200) -> Response:
    """The sign-in page with a fresh double-submit nonce in the form and its cookie."""
    nonce = csrf.login_nonce()
    answer = HTMLResponse(login_page(nonce, error), status_code=status_code)
    answer.set_cookie(
        csrf.LOGIN_COOKIE, nonce, httponly=True, samesite="strict", path="/operators/"
    )
    return answer


async def _form(request: Request) -> dict[str, str]:
    fields = urllib.parse.parse_qs((await request.body()).decode("utf-8", "replace"))
    return {name: values[0].strip() for name, values in fields.items() if values}


@router.get("/console.css")
def stylesheet() -> Response:
    return Response(STYLESHEET, media_type="text/css")


@router.get("/")
def home(request: Request, session: SessionDep) -> Response:
    operator = _signed_in(request, session)
    if operator is None:
        return _login_form()
    return RedirectResponse(f"/operators/{operator}/", status_code=303)


@router.post("/login")
async def login(request: Request, session: SessionDep) -> Response:
    form = await _form(request)
    if not csrf.tokens_match(request.cookies.get(csrf.LOGIN_COOKIE), form.get(csrf.FIELD)):
        # Not this site's sign-in form (or one from before a restart of the browser).
        return _login_form("The sign-in form was not this page's: try again.", 403)
    try:
        operator = account_for(session, form.get("token")).operator_id
    except NotAuthenticated as error:
        return _login_form(str(error), 401)
    answer = RedirectResponse(f"/operators/{operator}/", status_code=303)
    answer.set_cookie(COOKIE, form["token"], httponly=True, samesite="strict", path="/")
    answer.delete_cookie(csrf.LOGIN_COOKIE, path="/operators/")
    return answer


@router.post("/logout")
async def logout(request: Request, session: SessionDep) -> Response:
    form = await _form(request)
    if _signed_in(request, session) is not None and not csrf.tokens_match(
        _page_csrf(request), form.get(csrf.FIELD)
    ):
        return HTMLResponse(
            page("Not signed out", "<p>The sign-out form was not this site's page.</p>"),
            status_code=403,
        )
    answer = RedirectResponse("/operators/", status_code=303)
    answer.delete_cookie(COOKIE, path="/")
    return answer


def _guard(request: Request, session: SessionDep, operator_id: str) -> Response | None:
    operator = _signed_in(request, session)
    if operator is None:
        return RedirectResponse("/operators/", status_code=303)
    if operator != operator_id:
        return HTMLResponse(page("Not found", "<p>Not your operator.</p>"), status_code=404)
    return None


@router.get("/{operator_id}/")
def day(request: Request, operator_id: str, session: SessionDep, day: str = "") -> Response:
    refused = _guard(request, session, operator_id)
    if refused is not None:
        return refused
    cut_min = config_of(request).cut_min
    when = parse_day(day) if day else _yesterday(cut_min)
    summary: dict[str, Any] = views.day_summary(session, operator_id, when)
    return HTMLResponse(day_page(operator_id, when, summary, _page_csrf(request)))


@router.get("/{operator_id}/reconciliations/{report_id}")
def report(request: Request, operator_id: str, report_id: str, session: SessionDep) -> Response:
    refused = _guard(request, session, operator_id)
    if refused is not None:
        return refused
    found = views.report_with_payments(
        session, views.visible_report(session, operator_id, report_id)
    )
    lines = [
        line
        for line in views.report_lines(session, report_id, kind=None, after=0, limit=1000)
        if line["kind"] != "matched"
    ][:200]
    return HTMLResponse(report_page(operator_id, found, lines, _page_csrf(request)))


def _yesterday(cut_min: int) -> dt.date:
    return business_day(dt.datetime.now(dt.UTC), cut_min) - dt.timedelta(days=1)
