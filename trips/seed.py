"""The demo world: operators, devices at every station and route, riders.

Idempotent: a second run finds the operators in place and only republishes the edge
registry to Redis. Credentials exist only at creation, so they are written once to
`var/demo-credentials.json` and read back from there.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import redis
from sqlalchemy import insert
from sqlalchemy.orm import Session
from sqlmodel import col, select

import fare
from gates.registry import DeviceInfo, publish_devices, publish_riders
from invoicing.seed import seed_invoicing
from invoicing.uscc import uscc_check_char
from plumbing.tokens import RIDER_TOKEN_LIFETIME, hash_token, make_token
from trips.models import Device, Operator, Rider

# Demo sellers. The codes are made up (Shenzhen's division 440300 and a fictitious
# organisation identifier) and completed with a valid GB 32100 check character.
_OPERATORS = [
    ("szmc", "深圳市地铁集团有限公司", "91440300MA5FC0001", "general", 900, None, "0301", "metro"),
    (
        "mtr-sz",
        "港铁轨道交通(深圳)有限公司",
        "91440300MA5FC0002",
        "general",
        900,
        None,
        "0302",
        "metro",
    ),
    (
        "szbus",
        "深圳巴士集团股份有限公司",
        "91440300MA5FC0003",
        "simplified",
        300,
        None,
        "0303",
        "bus",
    ),
    (
        "pengcheng-taxi",
        "深圳市鹏程出租汽车有限公司",
        "91440300MA5FC0004",
        "exempt",
        0,
        "passenger transport services exempt by the 2023 small-taxpayer relief notice",
        "0304",
        "taxi",
    ),
]
_CATEGORIES = ("adult", "adult", "adult", "student", "senior", "child")


@dataclass(frozen=True)
class DemoWorld:
    credentials: dict[str, Any]


def seed(
    session: Session,
    client: redis.Redis,
    book: fare.TariffBook,
    *,
    riders: int,
    credentials_path: Path,
) -> DemoWorld:
    if session.get(Operator, "szmc") is None:
        credentials = _create(session, book, riders)
        session.commit()
        credentials_path.parent.mkdir(parents=True, exist_ok=True)
        credentials_path.write_text(json.dumps(credentials, indent=2, ensure_ascii=False))
        credentials_path.chmod(0o600)
    else:
        credentials = json.loads(credentials_path.read_text())
    publish_registry(session, client)
    return DemoWorld(credentials)


def publish_registry(session: Session, client: redis.Redis) -> None:
    """Copy devices and riders' standing from the database to the edge's Redis view."""
    devices = [
        DeviceInfo(d.id, d.operator_id, d.kind, d.station_id, d.route_id, d.token_sha256.hex())
        for d in session.scalars(select(Device))
    ]
    publish_devices(client, devices)
    publish_riders(
        client,
        {
            rid: not blocked
            for rid, blocked in session.execute(select(col(Rider.id), col(Rider.blocked)))
        },
    )


def _create(session: Session, book: fare.TariffBook, riders: int) -> dict[str, Any]:
    for op_id, name, code17, regime, rate, reason, numbering, mode in _OPERATORS:
        session.add(
            Operator(
                id=op_id,
                name=name,
                tax_id=code17 + uscc_check_char(code17),
                regime=regime,
                rate_bp=rate,
                exemption_reason=reason,
                numbering_code=numbering,
                mode=mode,
            )
        )
    session.flush()
    network = book.network_at(datetime.now(UTC))
    devices: list[dict[str, Any]] = []
    for station in sorted(network.stations.values(), key=lambda s: s.id):
        for operator in sorted(station.operators):
            devices.append(
                {
                    "id": f"gate-{operator}-{station.id}",
                    "operator": operator,
                    "kind": "gate",
                    "station": station.id,
                    "route": None,
                }
            )
    for route in sorted(network.routes.values(), key=lambda r: r.id):
        devices.append(
            {
                "id": f"bus-{route.id}",
                "operator": route.operator,
                "kind": "validator",
                "station": None,
                "route": route.id,
            }
        )
    for n in range(1, 4):
        devices.append(
            {
                "id": f"taxi-{n}",
                "operator": "pengcheng-taxi",
                "kind": "meter",
                "station": None,
                "route": None,
            }
        )
    for device in devices:
        device["token"] = secrets.token_urlsafe(24)
    session.execute(
        insert(Device),
        [
            {
                "id": d["id"],
                "operator_id": d["operator"],
                "kind": d["kind"],
                "station_id": d["station"],
                "route_id": d["route"],
                "token_sha256": hash_token(d["token"]),
            }
            for d in devices
        ],
    )
    rider_rows, rider_creds = [], []
    expires_at = datetime.now(UTC) + RIDER_TOKEN_LIFETIME
    for n in range(1, riders + 1):
        rider_id = f"r{n:07d}"
        token = make_token(rider_id, secrets.token_urlsafe(18))
        category = _CATEGORIES[n % len(_CATEGORIES)]
        rider_rows.append(
            {
                "id": rider_id,
                "category": category,
                # Riders pay after the trip (the ride code is post-paid): a balance
                # below zero is what the rider owes, and every change is on the ledger.
                "balance_fen": 0,
                "blocked": False,
                "token_sha256": hash_token(token),
                "token_expires_at": expires_at,
            }
        )
        rider_creds.append({"id": rider_id, "category": category, "token": token})
    for start in range(0, len(rider_rows), 5_000):
        session.execute(insert(Rider), rider_rows[start : start + 5_000])
    invoicing = seed_invoicing(session, [r["id"] for r in rider_creds], now=datetime.now(UTC))
    return {"devices": devices, "riders": rider_creds, **invoicing}
