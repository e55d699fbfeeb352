"""Typed builders for the fare tests: local times, trips and the shipped tariff book."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from fare import DEFAULT_DIR, PricedTrip, Quote, TariffBook, TripEnd, load_tariffs
from fare.localtime import SHANGHAI

BOOK: TariffBook = load_tariffs()


def shipped_files() -> dict[str, str]:
    return {p.name: p.read_text(encoding="utf-8") for p in Path(DEFAULT_DIR).glob("*.toml")}


def local(
    year: int, month: int, day: int, hour: int = 12, minute: int = 0, second: int = 0
) -> dt.datetime:
    """An Asia/Shanghai wall-clock time, as the aware UTC datetime the data carries."""
    return dt.datetime(year, month, day, hour, minute, second, tzinfo=SHANGHAI).astimezone(dt.UTC)


def metro(
    entry: str | None,
    exit: str | None,
    *,
    at: dt.datetime | None = None,
    minutes: float = 30,
    category: str = "adult",
    operator: str = "szmc",
    no_entry: bool = False,
    no_exit: bool = False,
) -> TripEnd:
    start = at or local(2024, 5, 6, 9, 0)
    return TripEnd(
        mode="metro",
        category=category,
        operator=operator,
        started_at=None if no_entry else start,
        ended_at=None if no_exit else start + dt.timedelta(minutes=minutes),
        entry_station=None if no_entry else entry,
        exit_station=None if no_exit else exit,
    )


def bus(at: dt.datetime, *, route: str = "M375", category: str = "adult") -> TripEnd:
    return TripEnd("bus", category, "szbus", at, at, route=route)


def taxi(start: dt.datetime, minutes: float, km: float, wait_s: int = 0) -> TripEnd:
    return TripEnd(
        "taxi",
        "adult",
        "pengcheng-taxi",
        start,
        start + dt.timedelta(minutes=minutes),
        distance_m=round(km * 1000),
        waiting_s=wait_s,
    )


def line_network(kms: list[str], *, operators: list[str] | None = None) -> str:
    """A one-line network file with stations s0, s1... at the given km posts."""
    stations = "\n".join(f's{i} = "Station {i}"' for i in range(len(kms)))
    stops = "\n".join(f'  {{ station = "s{i}", km = {km} }},' for i, km in enumerate(kms))
    ops = operators or ["szmc"] * (len(kms) - 1)
    sections = "\n".join(
        f'  {{ from = "s{i}", to = "s{i + 1}", operator = "{op}" }},' for i, op in enumerate(ops)
    )
    return f"""
[network]
id = "test-line"
name = "Test line"

[operators]
szmc = "Shenzhen Metro Group"
mtr-sz = "MTR Corporation (Shenzhen)"
szbus = "Shenzhen Bus Group"
pengcheng-taxi = "Pengcheng Taxi"

[stations]
{stations}

[[lines]]
id = "T"
name = "Test line"
operator = "szmc"
stops = [
{stops}
]
sections = [
{sections}
]
"""


def tariff_2024(network: str = "test-line", **replace: str) -> str:
    """The shipped 2024 tariff text on another network, with exact-text replacements
    (each of the first occurrence only)."""
    text = shipped_files()["tariff-2024.toml"].replace(
        'network = "sz-metro-2020"', f'network = "{network}"'
    )
    for old, new in replace.items():
        assert old in text, old
        text = text.replace(old, new, 1)
    return text


def ride(book: TariffBook, trips: list[TripEnd]) -> list[Quote]:
    """Price trips in order as the batcher does, each with the history before it."""
    history: list[PricedTrip] = []
    quotes = []
    for trip in trips:
        quote = book.price(trip, history)
        history.append(PricedTrip.from_quote(trip, quote))
        quotes.append(quote)
    return quotes
