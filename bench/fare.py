"""Quotes per second on one core, for `farechain bench`.

Metro quotes run on a synthetic network of Shenzhen's size (18 lines, 405 stations,
see synthetic.py) under the shipped 2024 rules; taxi and bus quotes on the shipped
tariff. Shortest paths are filled for every source first (timed separately, as
`metro_paths_warmup_s`), so the metro figures are the steady state of a long-running
batcher. Trips are drawn from a fixed seed and built before the clock starts; each
timed loop only calls `TariffBook.price`, and is timed in process CPU time.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
import time
from collections.abc import Sequence

from fare.book import TariffBook
from fare.loader import load_tariffs
from fare.synthetic import synthetic_network
from fare.trip import PricedTrip, TripEnd

__all__ = ["run_bench"]

_START = dt.datetime(2024, 6, 3, 0, 0, tzinfo=dt.UTC)


def _rate(book: TariffBook, trips: Sequence[TripEnd], history: Sequence[PricedTrip]) -> float:
    # CPU time of this process: quotes per second of one busy core, whatever else the
    # machine is running (wall-clock rates on a shared 2-core box vary by 3x).
    price = book.price
    began = time.process_time()
    for trip in trips:
        price(trip, history)
    return len(trips) / max(time.process_time() - began, 1e-9)


def _metro_trips(stations: list[str], n: int, rng: random.Random) -> list[TripEnd]:
    trips = []
    for _ in range(n):
        start = _START + dt.timedelta(seconds=rng.randrange(0, 86_400))
        end = start + dt.timedelta(seconds=rng.randrange(300, 7200))
        category = rng.choice(("adult", "adult", "adult", "student", "child", "senior"))
        trips.append(
            TripEnd(
                "metro", category, "szmc", start, end, rng.choice(stations), rng.choice(stations)
            )
        )
    return trips


def _taxi_trips(n: int, rng: random.Random) -> list[TripEnd]:
    trips = []
    for _ in range(n):
        start = _START + dt.timedelta(seconds=rng.randrange(0, 86_400))
        end = start + dt.timedelta(seconds=rng.randrange(300, 5400))
        distance = rng.randrange(500, 70_000)
        waiting = rng.randrange(0, 900)
        trips.append(
            TripEnd(
                "taxi", "adult", "pengcheng-taxi", start, end, None, None, None, distance, waiting
            )
        )
    return trips


def _history(book: TariffBook) -> list[PricedTrip]:
    """A commuter's week: two metro trips and a bus a day, as the batcher would pass."""
    past: list[PricedTrip] = []
    for day in range(1, 8):
        for hour, trip_mode in ((8, "metro"), (9, "bus"), (18, "metro")):
            at = _START - dt.timedelta(days=day) + dt.timedelta(hours=hour)
            if trip_mode == "bus":
                trip = TripEnd("bus", "adult", "szbus", at, at, route="M375")
            else:
                later = at + dt.timedelta(minutes=35)
                trip = TripEnd("metro", "adult", "szmc", at, later, "X0-0", "X8-8")
            past.append(PricedTrip.from_quote(trip, book.price(trip, past)))
    return past


def run_bench(n: int = 50_000) -> dict[str, float]:
    """Quotes per second for metro (no history, a week of history), taxi and bus."""
    rng = random.Random(7)
    shipped = load_tariffs()
    current = shipped.versions[-1]
    network = synthetic_network()
    tariff = dataclasses.replace(current, network=network.with_routes(current.network.routes))
    book = TariffBook([tariff])
    stations = sorted(network.stations)

    began = time.perf_counter()
    for station in stations:
        network.path(station, station)
    warmup = time.perf_counter() - began

    metro = _metro_trips(stations, n, rng)
    _rate(book, metro, ())  # first pass fills the per-pair fare cache
    history = _history(book)
    taxi = _taxi_trips(n, rng)
    bus = [
        TripEnd("bus", "adult", "szbus", t.started_at, t.started_at, route="M375")
        for t in metro[: max(1, n // 2)]
    ]
    return {
        "metro_quotes_per_s": _rate(book, metro, ()),
        "metro_with_week_history_quotes_per_s": _rate(book, metro, history),
        "taxi_quotes_per_s": _rate(shipped, taxi, ()),
        "bus_quotes_per_s": _rate(shipped, bus, ()),
        "metro_paths_warmup_s": warmup,
        "network_stations": float(len(network.stations)),
        "network_lines": float(len(network.lines)),
    }


if __name__ == "__main__":
    for name, value in run_bench().items():
        print(f"{name:40} {value:12,.1f}")
