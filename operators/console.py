"""The operator console at /operators/: server-rendered pages over the operator routes.

Sign in with the operator token (kept in an HttpOnly, SameSite=Strict cookie), pick a
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

from operators import views
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


@router.get("/console.css")
def stylesheet() -> Response:
    return Response(STYLESHEET, media_type="text/css")


@router.get("/")
def home(request: Request, session: SessionDep) -> Response:
    operator = _signed_in(request, session)
    if operator is None:
        return HTMLResponse(login_page())
    return RedirectResponse(f"/operators/{operator}/", status_code=303)


@router.post("/login")
async def login(request: Request, session: SessionDep) -> Response:
    form = urllib.parse.parse_qs((await request.body()).decode("utf-8", "replace"))
    token = (form.get("token") or [""])[0].strip()
    try:
        operator = account_for(session, token).operator_id
    except NotAuthenticated as error:
        return HTMLResponse(login_page(str(error)), status_code=401)
    answer = RedirectResponse(f"/operators/{operator}/", status_code=303)
    answer.set_cookie(COOKIE, token, httponly=True, samesite="strict", path="/")
    return answer


@router.post("/logout")
def logout() -> Response:
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
    return HTMLResponse(day_page(operator_id, when, summary))


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
    return HTMLResponse(report_page(operator_id, found, lines))


def _yesterday(cut_min: int) -> dt.date:
    return business_day(dt.datetime.now(dt.UTC), cut_min) - dt.timedelta(days=1)
