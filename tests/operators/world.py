"""Builders for the operators' tests: trips sealed at chosen times, days settled."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session

import fare
from fare.localtime import SHANGHAI
from farechain.settings import Settings
from gates.stream import event_from_record
from ledger import keyfiles
from ledger.store import LedgerWriter
from operators.seed import seed_operator_accounts
from operators.settlement import SettleOutcome, settle_day
from trips.sealer import Sealer

DAY = dt.date(2026, 11, 2)
CUT_MIN = 270


def local(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    """A Shanghai wall-clock time on `day`, as aware UTC."""
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=SHANGHAI).astimezone(
        dt.UTC
    )


def writer_of(settings: Settings) -> LedgerWriter:
    signers = keyfiles.load_log_signers(settings.ledger_key_path, settings.ledger.origin)
    return LedgerWriter(origin=settings.ledger.origin, signers=signers)


def accounts(engine: Engine) -> dict[str, str]:
    """Operator id -> its back-office token."""
    with Session(engine) as session:
        created = seed_operator_accounts(session)
        session.commit()
    return {a["operator"]: a["token"] for a in created}


def _tap(
    event_id: str, operator: str, device: str, at: dt.datetime, **place: str
) -> dict[str, Any]:
    return {
        "event_id": event_id,
        "device": device,
        "operator": operator,
        "at": at.isoformat(),
        "received_ms": 0,
        **place,
    }


def metro(
    event_id: str, rider: str, entry: tuple[str, str], exit_: tuple[str, str], at: dt.datetime
) -> dict[str, Any]:
    """A metro trip-end: (operator, station) in and out, 20 minutes before `at`."""
    (op_in, st_in), (op_out, st_out) = entry, exit_
    return {
        "rider": rider,
        "mode": "metro",
        "start": _tap(
            f"{event_id}-in",
            op_in,
            f"gate-{op_in}-{st_in}",
            at - dt.timedelta(minutes=20),
            station=st_in,
        ),
        "end": _tap(event_id, op_out, f"gate-{op_out}-{st_out}", at, station=st_out),
    }


def bus(event_id: str, rider: str, at: dt.datetime, route: str = "M375") -> dict[str, Any]:
    end = _tap(event_id, "szbus", f"bus-{route}", at, route=route)
    return {"rider": rider, "mode": "bus", "start": None, "end": end}


def seal(
    engine: Engine, settings: Settings, events: list[dict[str, Any]], now: dt.datetime
) -> None:
    """Seal the trip-ends as one block created at `now`."""
    sealer = Sealer(book=fare.load_tariffs(), writer=writer_of(settings))
    with Session(engine) as session:
        result = sealer.seal(session, [event_from_record(e) for e in events], now)
        assert not result.rejected, result.rejected
        session.commit()


def settle(engine: Engine, settings: Settings, day: dt.date, now: dt.datetime) -> SettleOutcome:
    with Session(engine) as session:
        return settle_day(session, writer_of(settings), day=day, cut_min=CUT_MIN, now=now)
