"""The bad-input corpus at the HTTP edge: every item must be refused with a 4xx problem.

From issue 20: integers beyond 64 bits in paths and queries, bidi controls and
zero-width characters in names, non-JSON bodies and coerced types at the device edge,
impossible trips (an exit before its entry, 900 km in 40 minutes, a day of waiting on a
19-minute ride), `issued_to=0`, and 405s without an `Allow` header. Device requests
carry a valid ride code from a demo phone, so a refusal is for the flaw under test and
not for the code; a valid control request first shows that the path accepts good input.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from ridecodes.phone import Phone as Handset
from securityaudit.http import Answer, call
from securityaudit.judges import must_be_refused, must_carry_allow
from securityaudit.outcome import GroupResult

__all__ = ["HUGE", "AllowHeader", "EdgeContext", "Refusal", "corpus_items", "run_http_corpus"]

HUGE = 2**70  # beyond 64 bits: a database integer cannot hold it


@dataclass
class EdgeContext:
    base_url: str
    rider_token: str
    tax_token: str
    handsets: list[Handset]  # demo riders' phones, one per rider the corpus taps for
    gate: dict[str, Any]
    other_gate: dict[str, Any]
    meter: dict[str, Any]
    operator_id: str
    operator_token: str
    _next: int = 0

    def next_handset(self) -> Handset:
        """The next rider's phone (each rider rides alone in the corpus)."""
        handset = self.handsets[self._next % len(self.handsets)]
        self._next += 1
        return handset

    def code(self, at: datetime) -> str:
        return self.next_handset().code_text(int(at.timestamp()))

    def device(self, device: dict[str, Any], route: str, body: bytes, content_type: str) -> Answer:
        return call(
            "POST",
            f"{self.base_url}/v1/devices/{device['id']}/{route}",
            token=device["token"],
            body=body,
            content_type=content_type,
        )


def _event_id() -> str:
    return "audit-" + uuid.uuid4().hex[:20]


def _taxi(ctx: EdgeContext, *, minutes: float, distance_m: Any, waiting_s: Any) -> dict[str, Any]:
    ended = datetime.now(UTC) - timedelta(minutes=1)
    return {
        "event_id": _event_id(),
        "ride_code": ctx.code(ended),
        "started_at": (ended - timedelta(minutes=minutes)).isoformat(),
        "ended_at": ended.isoformat(),
        "distance_m": distance_m,
        "waiting_s": waiting_s,
    }


def run_http_corpus(ctx: EdgeContext, result: GroupResult) -> None:
    for item in corpus_items(ctx):
        item(result)


@dataclass(frozen=True)
class Refusal:
    """One corpus item: `send` must come back as a 4xx problem."""

    label: str
    send: Callable[[], Answer]

    def __call__(self, result: GroupResult) -> None:
        verdict = must_be_refused(self.send(), why=self.label)
        result.check(verdict is None, verdict or "")


@dataclass(frozen=True)
class AllowHeader:
    """One corpus item: a method a route does not have must get a 405 with `Allow`."""

    base_url: str
    method: str
    path: str

    def __call__(self, result: GroupResult) -> None:
        answer = call(self.method, self.base_url + self.path)
        verdict = must_carry_allow(answer, why=f"{self.method} {self.path}")
        result.check(verdict is None, verdict or "")


Item = Callable[[GroupResult], None]


def corpus_items(ctx: EdgeContext) -> list[Item]:
    base, rider, tax = ctx.base_url, ctx.rider_token, ctx.tax_token
    huge = str(HUGE)
    items: list[Item] = []
    for path, token in (
        (f"/v1/ledger/records/{huge}", None),
        (f"/v1/ledger/blocks/{huge}", None),
        (f"/v1/ledger/blocks?before={huge}", None),
        (f"/v1/ledger/checkpoints/{huge}", None),
        (f"/v1/ledger/proofs/inclusion?index={huge}&leaf_hash={'0' * 64}&tree_size={huge}", None),
        (f"/v1/ledger/proofs/consistency?first={huge}&second={huge}", None),
        (f"/v1/me/trips?before={huge}", rider),
        (f"/v1/me/invoices?before={huge}", rider),
        (f"/v1/tax/invoices?min_total_fen={huge}", tax),
        (f"/v1/tax/invoices?after={huge}", tax),
        (f"/v1/operators/{ctx.operator_id}/reconciliations/{huge}", ctx.operator_token),
    ):
        label = f"GET {path[:60]} (an integer beyond 64 bits)"
        items.append(Refusal(label, partial(call, "GET", base + path, token=token)))
    items.append(
        Refusal(
            "DELETE a title id beyond 64 bits",
            partial(call, "DELETE", f"{base}/v1/me/titles/{huge}", token=rider),
        )
    )
    items.append(
        Refusal(
            "GET /v1/tax/invoices?issued_to=0 (not a date)",
            partial(call, "GET", f"{base}/v1/tax/invoices?issued_to=0", token=tax),
        )
    )
    for name, text in (
        ("a right-to-left override and a zero-width space", "\u202e\u200bX"),
        ("a zero-width joiner", "A\u200dB"),
        ("a byte-order mark", "\ufeffCo"),
    ):
        items.append(
            Refusal(f"a title name with {name}", partial(_create_title, base, rider, text))
        )
    items += _device_items(ctx)
    for method, path in (
        ("DELETE", "/v1/ledger/checkpoint"),
        ("PUT", "/v1/me"),
        ("GET", f"/v1/devices/{ctx.gate['id']}/taps"),
        ("PATCH", "/v1/tax/invoices"),
    ):
        items.append(AllowHeader(base, method, path))
    return items


def _create_title(base: str, rider: str, name: str) -> Answer:
    answer = call(
        "POST", f"{base}/v1/me/titles", token=rider, json_body={"kind": "individual", "name": name}
    )
    if answer.status == 201:  # accepted: take it away again, the rider should not keep it
        call("DELETE", f"{base}/v1/me/titles/{answer.json().get('id')}", token=rider)
    return answer


def _json(body: dict[str, Any]) -> bytes:
    return json.dumps(body).encode()


def _form(body: dict[str, Any]) -> bytes:
    return "&".join(f"{k}={v}" for k, v in body.items()).encode()


def _send_taxi(
    ctx: EdgeContext,
    content_type: str,
    encode: Callable[[dict[str, Any]], bytes],
    minutes: float,
    distance_m: Any,
    waiting_s: Any,
) -> Answer:
    body = _taxi(ctx, minutes=minutes, distance_m=distance_m, waiting_s=waiting_s)
    return ctx.device(ctx.meter, "trips", encode(body), content_type)


def _control(ctx: EdgeContext, result: GroupResult) -> None:
    """A plausible taxi trip as JSON is accepted: the refusals below are for their flaw."""
    answer = _send_taxi(ctx, "application/json", _json, 20, 6000, 60)
    result.check(
        answer.status == 202,
        f"control: a plausible taxi trip as JSON expected 202, got {answer.brief()}",
    )


def _device_items(ctx: EdgeContext) -> list[Item]:
    json_type = "application/json"
    items: list[Item] = [partial(_control, ctx)]
    cases: list[tuple[str, str, Callable[[dict[str, Any]], bytes], float, Any, Any]] = [
        ("a taxi trip sent as text/plain", "text/plain", _json, 20, 6000, 60),
        ("a taxi trip sent as a form", "application/x-www-form-urlencoded", _form, 20, 6000, 60),
        ('"distance_m": "5000" (a string for an integer)', json_type, _json, 20, "5000", 60),
        ('"distance_m": true', json_type, _json, 20, True, 60),
        ('"waiting_s": 60.0 (a float for an integer)', json_type, _json, 20, 6000, 60.0),
        ("a taxi trip of 900 km in 40 minutes", json_type, _json, 40, 900_000, 0),
        ("a taxi meter waiting 86400 s on a 19-minute trip", json_type, _json, 19, 8000, 86_400),
        ("a taxi trip that ends before it starts", json_type, _json, -30, 5000, 0),
    ]
    for label, content_type, encode, minutes, distance, waiting in cases:
        send = partial(_send_taxi, ctx, content_type, encode, minutes, distance, waiting)
        items.append(Refusal(label, send))
    items.append(
        Refusal("a metro exit timed 30 minutes before its entry", partial(_exit_before, ctx))
    )
    return items


def _exit_before(ctx: EdgeContext) -> Answer:
    """An entry 5 minutes ago, then (same rider) an exit timed 30 minutes earlier."""
    entered = datetime.now(UTC) - timedelta(minutes=5)
    handset = ctx.next_handset()
    answer = Answer(0, {}, b"")
    for device, kind, at in (
        (ctx.gate, "entry", entered),
        (ctx.other_gate, "exit", entered - timedelta(minutes=30)),
    ):
        body = {
            "event_id": _event_id(),
            "ride_code": handset.code_text(int(at.timestamp())),
            "kind": kind,
            "at": at.isoformat(),
        }
        answer = ctx.device(device, "taps", _json(body), "application/json")
        if kind == "entry" and answer.status != 202:
            return Answer(
                599, {}, f"control: the entry expected 202, got {answer.brief()}".encode()
            )
    return answer
