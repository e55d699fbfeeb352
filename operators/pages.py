"""HTML of the operator console: small functions from plain values to escaped markup."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from html import escape
from typing import Any

from operators.csrf import FIELD, HEADER

__all__ = ["STYLESHEET", "day_page", "login_page", "page", "report_page"]

STYLESHEET = """\
body{font:15px/1.45 system-ui,sans-serif;margin:0;color:#1d2430;background:#f6f7f9}
header{background:#0b5d3b;color:#fff;padding:.6rem 1rem;display:flex;gap:1rem;align-items:center}
header a,header button{color:#fff}
main{max-width:60rem;margin:1rem auto;padding:0 1rem}
section{background:#fff;border:1px solid #dde1e6;border-radius:6px;
padding:.8rem 1rem;margin:0 0 1rem}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:.25rem .5rem;border-bottom:1px solid #eceff2}
td.n{text-align:right;font-variant-numeric:tabular-nums}
.neg{color:#a11}.muted{color:#667}
form.inline{display:inline}
"""


def _yuan(fen: int) -> str:
    sign = "-" if fen < 0 else ""
    return f"{sign}{abs(fen) // 100:,}.{abs(fen) % 100:02d}"


def _money(fen: int) -> str:
    css = "n neg" if fen < 0 else "n"
    return f'<td class="{css}">{_yuan(fen)}</td>'


def _csrf_field(token: str) -> str:
    return f'<input type="hidden" name="{FIELD}" value="{escape(token)}">'


def page(title: str, body: str, operator: str | None = None, csrf: str = "") -> str:
    """A console page; signed in (`operator`), its sign-out form carries `csrf`."""
    nav = ""
    if operator:
        nav = (
            f'<a href="/operators/{escape(operator)}/">{escape(operator)}</a>'
            '<form class="inline" method="post" action="/operators/logout">'
            f'{_csrf_field(csrf)}<button type="submit">Sign out</button></form>'
        )
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{escape(title)} · farechain operators</title>"
        '<link rel="stylesheet" href="/operators/console.css"></head><body>'
        f"<header><strong>farechain · operators</strong>{nav}</header>"
        f"<main><h1>{escape(title)}</h1>{body}</main></body></html>"
    )


def login_page(nonce: str, error: str = "") -> str:
    """The sign-in form; `nonce` is the double-submit value of its cookie."""
    message = f'<p class="neg">{escape(error)}</p>' if error else ""
    return page(
        "Sign in",
        f"<section>{message}"
        f'<form method="post" action="/operators/login">{_csrf_field(nonce)}<label>Operator '
        'token <input name="token" type="password" size="48" required autofocus></label> '
        '<button type="submit">Sign in</button></form></section>',
    )


def _table(head: Sequence[str], rows: Iterable[str]) -> str:
    cells = "".join(f"<th>{escape(h)}</th>" for h in head)
    return f"<table><tr>{cells}</tr>{''.join(rows)}</table>"


def _totals(totals: dict[str, int]) -> str:
    money = ("collected_fen", "refunded_fen", "earned_fen", "net_fen", "cap_saved_fen")
    rows = []
    for name, value in totals.items():
        label = escape(name.removesuffix("_fen").replace("_", " "))
        cell = (
            _money(value)
            if name in money or name == "discount_fen"
            else f'<td class="n">{value}</td>'
        )
        rows.append(f"<tr><td>{label}</td>{cell}</tr>")
    return _table(("figure", "yuan / count"), rows)


def _positions(positions: list[dict[str, Any]]) -> str:
    if not positions:
        return '<p class="muted">No other operator shared a trip.</p>'
    rows = (
        f"<tr><td>{escape(p['counterparty'])}</td>{_money(p['receivable_fen'])}"
        f"{_money(p['payable_fen'])}{_money(p['net_fen'])}</tr>"
        for p in positions
    )
    return _table(("counterparty", "owes you", "you owe", "net"), rows)


def day_page(operator: str, day: dt.date, summary: dict[str, Any], csrf: str) -> str:
    op, when = escape(operator), day.isoformat()
    picker = (
        f'<section><form method="get" action="/operators/{op}/"><label>Business day '
        f'<input type="date" name="day" value="{when}"></label> '
        '<button type="submit">Show</button></form></section>'
    )
    if not summary["settled"]:
        body = '<section><p class="muted">This day is not settled yet.</p></section>'
    else:
        adjustments = "".join(
            f"<h3>Late items of {escape(a['day'])}</h3>{_totals(a['totals'])}"
            f"{_positions(a['positions'])}"
            for a in summary["adjustments"]
        )
        base = f"/v1/operators/{op}"
        body = (
            f"<section><h2>Totals</h2>{_totals(summary['totals'])}</section>"
            f"<section><h2>Positions</h2>{_positions(summary['positions'])}</section>"
            + (f"<section><h2>Adjustments</h2>{adjustments}</section>" if adjustments else "")
            + f"<section><h2>Payable net</h2><p>{_yuan(summary['payable_net_fen'])} yuan "
            f'<span class="muted">(statement at ledger index {summary["ledger_index"]}, '
            f"covering ledger {summary['ledger_from']} to {summary['ledger_to']})</span></p>"
            f'<p>Downloads: <a href="{base}/statements/{when}.json">statement (JSON, with '
            f'receipt)</a> · <a href="{base}/statements/{when}.csv">statement (CSV)</a> · '
            f'<a href="{base}/trips/{when}.csv">taps (TIDES fare_transactions)</a></p></section>'
            + _upload(op, when, csrf)
        )
    reports = "".join(
        f'<tr><td><a href="/operators/{op}/reconciliations/{escape(r["id"])}">'
        f'{escape(r["id"][:12])}</a></td><td class="n">{r["rows"]}</td>'
        f'<td class="n">{r["counts"]["matched"]}</td><td>{escape(r["created_at"])}</td></tr>'
        for r in summary["reconciliations"]
    )
    table = _table(("report", "rows", "matched", "at"), [reports])
    listing = f"<section><h2>Reconciliations</h2>{table}</section>"
    return page(f"{operator} · {when}", picker + body + listing, operator, csrf)


def _upload(operator: str, day: str, csrf: str) -> str:
    return (
        "<section><h2>Reconcile a device journal</h2>"
        '<p class="muted">CSV with event_id,device_id,kind,at,amount_fen, or TIDES '
        "fare_transactions.</p>"
        f'<form id="upload" data-url="/v1/operators/{operator}/reconciliations?day={day}" '
        f'data-csrf="{escape(csrf)}">'
        '<input type="file" name="journal" accept=".csv,.txt,text/csv" required> '
        '<button type="submit">Upload</button> <output></output></form>'
        "<script>document.getElementById('upload').onsubmit=async e=>{e.preventDefault();"
        "const f=e.target,o=f.querySelector('output');o.textContent='reconciling…';"
        "const r=await fetch(f.dataset.url,{method:'POST',body:f.journal.files[0],"
        f"headers:{{'Content-Type':'text/csv','{HEADER}':f.dataset.csrf}}}});"
        "const j=await r.json();"
        f"if(r.ok)location='/operators/{operator}/reconciliations/'+j.id;"
        "else o.textContent=j.detail}</script></section>"
    )


def report_page(
    operator: str, report: dict[str, Any], lines: list[dict[str, Any]], csrf: str
) -> str:
    op = escape(operator)
    counts = "".join(
        f'<tr><td>{escape(k.replace("_", " "))}</td><td class="n">{v}</td></tr>'
        for k, v in report["counts"].items()
    )
    shown = "".join(
        "<tr>"
        + "".join(f"<td>{escape('' if line[c] is None else str(line[c]))}</td>" for c in _COLS)
        + "</tr>"
        for line in lines
    )
    csv_url = f"/v1/operators/{op}/reconciliations/{escape(report['id'])}.csv"
    body = (
        f"<section><p>Day {escape(report['day'])}, {report['rows']} journal rows, "
        f"ledger up to index {report['ledger_to']}, upload SHA-256 "
        f"<code>{escape(report['upload_sha256'][:16])}…</code></p>"
        f"{_table(('line kind', 'count'), [counts])}"
        f'<p><a href="{csv_url}">All lines (CSV)</a> · '
        f'<a href="/operators/{op}/?day={escape(report["day"])}">back to the day</a></p></section>'
        f"<section><h2>Differences (first 200)</h2>{_table(_COLS, [shown])}</section>"
        + _payments(report.get("payments"))
    )
    return page(f"Reconciliation {report['id'][:12]}", body, operator, csrf)


def _payments(section: dict[str, Any] | None) -> str:
    """Payments captured against the day's fares, as they stand now."""
    if section is None:
        return ""
    counts = "".join(
        f'<tr><td>{escape(k.replace("_", " "))}</td><td class="n">{v}</td></tr>'
        for k, v in section["counts"].items()
    )
    sums = (
        f"<tr><td>fares</td>{_money(section['fares_fen'])}</tr>"
        f"<tr><td>captured</td>{_money(section['captured_fen'])}</tr>"
        f"<tr><td>not collected</td>{_money(section['uncollected_fen'])}</tr>"
    )
    cols = ("kind", "trip_event_id", "fare_fen", "paid_fen", "ledger_index", "payment_index")
    lines = "".join(
        "<tr>"
        + "".join(f"<td>{escape('' if line[c] is None else str(line[c]))}</td>" for c in cols)
        + "</tr>"
        for line in section["lines"]
    )
    more = section["lines_left_out"]
    return (
        f"<section><h2>Payments against fares</h2><p>{section['trips']} trips you sold "
        '<span class="muted">(as payments stand now; retries run for 30 days)</span></p>'
        f"{_table(('figure', 'yuan'), [sums])}{_table(('trips', 'count'), [counts])}"
        f"{_table(cols, [lines]) if lines else ''}"
        + (f'<p class="muted">{more} more not shown.</p>' if more else "")
        + "</section>"
    )


_COLS = (
    "kind",
    "key",
    "device",
    "journal_line",
    "journal_fen",
    "ledger_fen",
    "ledger_index",
    "detail",
)
