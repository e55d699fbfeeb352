"""The access matrix: every role against every other account's objects.

The audit finds objects that belong to one account (a rider's trips, invoices, titles
and phones; a buyer company's invoices; an operator's statements) by asking as their
owner, then asks for each as every other role, and with no token, a malformed token and
a wrong device's token. Every such request must be refused: 401, 403 or 404 (a 404 that
does not say whether the object exists is as good as a 403). A 2xx is a leak; anything
else (a 422 for a well-formed request, a 500) is a failure too, since it says nothing
about access. An owner who cannot read their own object makes the row meaningless,
which is reported as well.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fare.localtime import SHANGHAI
from securityaudit.http import Answer, call
from securityaudit.outcome import GroupResult

__all__ = ["REFUSED", "Probe", "access_probes", "run_access"]

REFUSED = frozenset({401, 403, 404})


@dataclass(frozen=True)
class Probe:
    label: str  # who asks for what, e.g. "rider B reads rider A's invoice"
    method: str
    path: str
    token: str | None
    body: Any = None


def run_access(base_url: str, credentials: dict[str, Any]) -> GroupResult:
    result = GroupResult("access")
    world = _World.find(base_url, credentials, result)
    for probe in access_probes(world):
        answer = call(probe.method, base_url + probe.path, token=probe.token, json_body=probe.body)
        result.check(
            answer.status in REFUSED,
            f"{probe.label}: {probe.method} {probe.path} expected 401/403/404, "
            f"got {answer.brief()}",
        )
    return result


@dataclass
class _World:
    rider_a: str
    rider_b: str
    rider_a_id: str
    trip: str | None  # an event id of rider A
    invoice: str | None  # an invoice number of rider A
    company_invoice: str | None  # an invoice whose buyer is company A
    invoice_record: int | None  # a ledger record index of that invoice's history
    title_id: int | None
    phone_id: str | None
    company_a: str
    company_b: str
    tax: str
    operator_a: str
    operator_b_id: str
    devices: list[dict[str, Any]]

    @classmethod
    def find(cls, base_url: str, credentials: dict[str, Any], result: GroupResult) -> _World:
        riders = credentials["riders"]
        companies = credentials["companies"]
        operators = credentials["operators"]
        # Rider A: the first rider with an invoice bought by company A (the chaos load rode
        # riders at random; only some have that company's title), else the first rider with
        # an invoice, else the first.
        rider_a = riders[0]
        invoices: list[dict[str, Any]] = []
        for rider in riders[:100]:
            found = call("GET", f"{base_url}/v1/me/invoices", token=rider["token"])
            if found.status != 200 or not found.json():
                continue
            if not invoices:
                rider_a, invoices = rider, found.json()
            if any(i.get("buyer_tax_id") == companies[0]["tax_id"] for i in found.json()):
                rider_a, invoices = rider, found.json()
                break
        rider_b = next(r for r in riders if r["id"] != rider_a["id"])
        token = rider_a["token"]
        trips = _json_list(call("GET", f"{base_url}/v1/me/trips", token=token))
        titles = _json_list(call("GET", f"{base_url}/v1/me/titles", token=token))
        if not titles:
            created = call(
                "POST",
                f"{base_url}/v1/me/titles",
                token=token,
                json_body={"kind": "individual", "name": "Audit Rider A"},
            )
            titles = [created.json()] if created.status == 201 else []
        phones = _json_list(call("GET", f"{base_url}/v1/me/phones", token=token))
        company_a = companies[0]
        bought = [i for i in invoices if i.get("buyer_tax_id") == company_a["tax_id"]]
        if invoices and not bought:
            # None of the riders who rode holds company A's title: re-title one of rider
            # A's invoices to it, as a rider may, so the company's side can be probed too.
            title = {"kind": "company", "name": company_a["name"], "tax_id": company_a["tax_id"]}
            call(
                "POST",
                f"{base_url}/v1/me/invoices/{invoices[0]['number']}/retitle",
                token=token,
                json_body={"title": title},
            )
            invoices = _json_list(call("GET", f"{base_url}/v1/me/invoices", token=token))
            bought = [i for i in invoices if i.get("buyer_tax_id") == company_a["tax_id"]]
        number = invoices[0]["number"] if invoices else None
        world = cls(
            rider_a=token,
            rider_b=rider_b["token"],
            rider_a_id=rider_a["id"],
            trip=trips[0]["event_id"] if trips else None,
            invoice=number,
            company_invoice=bought[0]["number"] if bought else None,
            invoice_record=invoices[0].get("record_index") if invoices else None,
            title_id=titles[0].get("id") if titles else None,
            phone_id=phones[0]["phone_id"] if phones else None,
            company_a=company_a["token"],
            company_b=companies[1]["token"],
            tax=credentials["tax_bureau"]["token"],
            operator_a=operators[0]["token"],
            operator_b_id=next(
                o["operator"] for o in operators if o["operator"] != operators[0]["operator"]
            ),
            devices=credentials["devices"],
        )
        for what, value in (
            ("a trip", world.trip),
            ("an invoice", world.invoice),
            ("an invoice bought by a company", world.company_invoice),
            ("a title", world.title_id),
            ("a phone", world.phone_id),
        ):
            result.check(
                value is not None,
                f"setup: expected {what} of rider {rider_a['id']} to test others against, got none",
            )
        return world


def _json_list(answer: Answer) -> list[dict[str, Any]]:
    return list(answer.json()) if answer.status == 200 else []


def access_probes(world: _World) -> list[Probe]:
    """Every request that must be refused, given who owns what."""
    probes: list[Probe] = []
    strangers = {
        "rider B": world.rider_b,
        "company A": world.company_a,
        "tax officer": world.tax,
        "operator A": world.operator_a,
        "no token": None,
        "a forged rider token": world.rider_a_id + ".forged-forged-forged-forged",
    }
    if world.trip:
        for who, token in strangers.items():
            probes.append(
                Probe(
                    f"{who} reads rider A's trip receipt",
                    "GET",
                    f"/v1/me/trips/{world.trip}/receipt",
                    token,
                )
            )
    if world.invoice:
        number = world.invoice
        reads = [
            f"/v1/me/invoices/{number}",
            f"/v1/me/invoices/{number}.xml",
            f"/v1/me/invoices/{number}.pdf",
            f"/v1/me/invoices/{number}/events",
            f"/v1/me/invoices/{number}/receipt",
        ]
        if world.invoice_record is not None:
            reads.append(f"/v1/me/invoices/{number}/events/{world.invoice_record}/receipt")
        for who, token in strangers.items():
            probes += [Probe(f"{who} reads rider A's invoice", "GET", p, token) for p in reads]
        for who, token in (("rider B", world.rider_b), ("company A", world.company_a)):
            probes += [
                Probe(
                    f"{who} credits rider A's invoice",
                    "POST",
                    f"/v1/me/invoices/{number}/credit",
                    token,
                    {"reason": "refund"},
                ),
                Probe(
                    f"{who} re-titles rider A's invoice",
                    "POST",
                    f"/v1/me/invoices/{number}/retitle",
                    token,
                    {"title": {"kind": "individual", "name": "Mallory"}},
                ),
            ]
    if world.company_invoice:
        number = world.company_invoice
        for who, token in (("company B", world.company_b), ("rider B", world.rider_b)):
            probes += [
                Probe(f"{who} reads company A's invoice", "GET", p, token)
                for p in (
                    f"/v1/companies/me/invoices/{number}",
                    f"/v1/companies/me/invoices/{number}.xml",
                    f"/v1/companies/me/invoices/{number}/events",
                )
            ]
            for action in ("lock", "reimburse"):
                probes.append(
                    Probe(
                        f"{who} {action}s company A's invoice",
                        "POST",
                        f"/v1/companies/me/invoices/{action}",
                        token,
                        {"numbers": [number]},
                    )
                )
    if world.title_id is not None:
        probes.append(
            Probe(
                "rider B deletes rider A's title",
                "DELETE",
                f"/v1/me/titles/{world.title_id}",
                world.rider_b,
            )
        )
    if world.phone_id:
        probes += [
            Probe(
                "rider B revokes rider A's phone",
                "DELETE",
                f"/v1/me/phones/{world.phone_id}",
                world.rider_b,
            ),
            Probe(
                "rider B renews rider A's phone certificate",
                "POST",
                f"/v1/me/phones/{world.phone_id}/certificate",
                world.rider_b,
            ),
        ]
    probes += _role_probes(world)
    probes += _device_probes(world)
    return probes


def _role_probes(world: _World) -> list[Probe]:
    """Each role's endpoints with every other role's token, and with none."""
    day = datetime.now(SHANGHAI).date().isoformat()
    operator_b = world.operator_b_id
    tax_reads = ["/v1/tax/invoices", "/v1/tax/vat-totals", "/v1/tax/anomalies"]
    company_reads = ["/v1/companies/me/invoices"]
    rider_reads = ["/v1/me", "/v1/me/trips", "/v1/me/invoices", "/v1/me/account", "/v1/me/payments"]
    operator_reads = [
        f"/v1/operators/{operator_b}/statements",
        f"/v1/operators/{operator_b}/days/{day}",
        f"/v1/operators/{operator_b}/statements/{day}.json",
        f"/v1/operators/{operator_b}/statements/{day}.csv",
        f"/v1/operators/{operator_b}/trips/{day}.csv",
        f"/v1/operators/{operator_b}/reconciliations",
    ]
    device = world.devices[0]["token"]
    groups: list[tuple[str, list[str], dict[str, str | None]]] = [
        (
            "tax-only",
            tax_reads,
            {"rider A": world.rider_a, "company A": world.company_a, "operator A": world.operator_a,
             "a device": device, "no token": None},
        ),
        (
            "company",
            company_reads,
            {"rider A": world.rider_a, "tax officer": world.tax, "operator A": world.operator_a,
             "a device": device, "no token": None},
        ),
        (
            "rider",
            rider_reads,
            {"company A": world.company_a, "tax officer": world.tax,
             "operator A": world.operator_a, "a device": device, "no token": None},
        ),
        (
            f"operator {operator_b}'s",
            operator_reads,
            {"operator A": world.operator_a, "rider A": world.rider_a,
             "company A": world.company_a, "no token": None},
        ),
    ]  # fmt: skip
    probes = [
        Probe(f"{who} on {kind} endpoint", "GET", path, token)
        for kind, paths, tokens in groups
        for path in paths
        for who, token in tokens.items()
    ]
    probes.append(
        Probe(
            "operator A reconciles another operator's day",
            "POST",
            f"/v1/operators/{operator_b}/reconciliations?day={day}",
            world.operator_a,
        )
    )
    probes.append(
        Probe("rider A starts a tax export", "POST", "/v1/tax/exports", world.rider_a, {})
    )
    return probes


def _device_probes(world: _World) -> list[Probe]:
    """Device endpoints with no token, another device's token and a rider's token."""
    gate, other = world.devices[0], world.devices[1]
    meter = next(d for d in world.devices if d["kind"] == "meter")
    now = datetime.now(SHANGHAI)
    tap = {"event_id": "audit-access-1", "ride_code": "x", "kind": "entry",
           "at": now.isoformat()}  # fmt: skip
    trip = {"event_id": "audit-access-2", "ride_code": "x", "started_at": now.isoformat(),
            "ended_at": now.isoformat(), "distance_m": 1000, "waiting_s": 0}  # fmt: skip
    probes = []
    for who, token in (
        ("no token", None),
        ("another device's token", other["token"]),
        ("a rider's token", world.rider_a),
        ("the tax officer's token", world.tax),
    ):
        probes.append(
            Probe(f"{who} taps at a gate", "POST", f"/v1/devices/{gate['id']}/taps", token, tap)
        )
        probes.append(
            Probe(
                f"{who} reports a taxi trip",
                "POST",
                f"/v1/devices/{meter['id']}/trips",
                token,
                trip,
            )
        )
    return probes
