"""`farechain fare ...`: price a trip from the command line and see why it costs that.

    farechain fare metro --from luohu --to shenzhen-north --at 08:15
    farechain fare taxi --km 27.4 --wait-min 6 --at 23:40
    farechain fare bus --route M375 --at 09:10 --after-metro-min 20
    farechain fare stations

Times are Asia/Shanghai wall-clock: "HH:MM" (today), or an ISO date-time, with an
offset or without one (then local). The quote comes from the tariff in force at that
time, read from the shipped files or from --tariffs DIR.
"""

from __future__ import annotations

import datetime as dt
import difflib
import json
from pathlib import Path
from typing import Annotated

import typer

import fare
from fare.localtime import SHANGHAI
from fare.quote import format_yuan

__all__ = ["app", "parse_local_time"]

app = typer.Typer(
    help="Price a metro, bus or taxi trip with the fare engine.", no_args_is_help=True
)

At = Annotated[
    str | None,
    typer.Option("--at", help='start time: "HH:MM" today, or an ISO date-time (Asia/Shanghai)'),
]
Category = Annotated[str, typer.Option(help="rider category: adult, student, child or senior")]
Tariffs = Annotated[
    Path | None, typer.Option(help="directory of tariff files (default: the shipped Shenzhen ones)")
]
AsJson = Annotated[bool, typer.Option("--json", help="print the ledger record of the quote")]
# A taxi's duration, when not given, is estimated at this average city speed.
_TAXI_KMH = 25


def parse_local_time(text: str | None, now: dt.datetime) -> dt.datetime:
    """ "HH:MM" on today's local date, or an ISO date-time; returned in UTC."""
    local_now = now.astimezone(SHANGHAI)
    if text is None:
        return now.astimezone(dt.UTC)
    try:
        if len(text) <= 5 and ":" in text:
            clock = dt.time.fromisoformat(text.zfill(5))
            moment = dt.datetime.combine(local_now.date(), clock, tzinfo=SHANGHAI)
        else:
            moment = dt.datetime.fromisoformat(text)
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=SHANGHAI)
    except ValueError:
        raise typer.BadParameter(
            f'expected "HH:MM" or an ISO date-time, got {text!r}', param_hint="--at"
        ) from None
    return moment.astimezone(dt.UTC)


def _book(tariffs: Path | None) -> fare.TariffBook:
    try:
        return fare.load_tariffs(tariffs)
    except fare.TariffError as error:
        raise typer.BadParameter(str(error), param_hint="--tariffs") from None


def _check_station(network: fare.Network, station: str, option: str) -> None:
    if station in network.stations:
        return
    close = difflib.get_close_matches(station, list(network.stations), n=3)
    hint = f" (did you mean {', '.join(close)}?)" if close else ""
    raise typer.BadParameter(
        f"expected a station of network {network.id}, got {station!r}{hint}", param_hint=option
    )


def _show(quote: fare.Quote, as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(quote.to_record(), sort_keys=True, ensure_ascii=False))
        return
    typer.echo(quote.explain())
    shares = ", ".join(f"{op} {format_yuan(fen)}" for op, fen in quote.shares)
    typer.echo(f"operator shares (yuan): {shares}")
    if quote.incomplete:
        typer.echo("incomplete journey: not counted toward caps")


def _price(
    book: fare.TariffBook, trip: fare.TripEnd, history: list[fare.PricedTrip] | None = None
) -> fare.Quote:
    try:
        return book.price(trip, history or [])
    except fare.PricingError as error:
        raise typer.BadParameter(str(error)) from None


@app.command("metro")
def metro_command(
    entry: Annotated[str, typer.Option("--from", help="entry station id, e.g. luohu")],
    exit_: Annotated[str, typer.Option("--to", help="exit station id, e.g. shenzhen-north")],
    at: At = None,
    minutes: Annotated[int, typer.Option(help="minutes in the paid area")] = 30,
    category: Category = "adult",
    tariffs: Tariffs = None,
    as_json: AsJson = False,
) -> None:
    """Price a metro trip between two stations."""
    book = _book(tariffs)
    started = parse_local_time(at, dt.datetime.now(dt.UTC))
    network = book.network_at(started)
    _check_station(network, entry, "--from")
    _check_station(network, exit_, "--to")
    ended = started + dt.timedelta(minutes=minutes)
    operator = min(network.stations[exit_].operators, default="")
    trip = fare.TripEnd("metro", category, operator, started, ended, entry, exit_)
    _show(_price(book, trip), as_json)


@app.command("taxi")
def taxi_command(
    km: Annotated[float, typer.Option(min=0, help="distance driven, km")],
    wait_min: Annotated[float, typer.Option(min=0, help="waiting time, minutes")] = 0,
    at: At = None,
    duration_min: Annotated[
        float | None, typer.Option(help=f"trip duration (default: at {_TAXI_KMH} km/h + waiting)")
    ] = None,
    operator: Annotated[str, typer.Option(help="taxi operator id")] = "pengcheng-taxi",
    tariffs: Tariffs = None,
    as_json: AsJson = False,
) -> None:
    """Price a taxi trip as the meter would."""
    book = _book(tariffs)
    started = parse_local_time(at, dt.datetime.now(dt.UTC))
    minutes = duration_min if duration_min is not None else km / _TAXI_KMH * 60 + wait_min
    ended = started + dt.timedelta(minutes=minutes)
    trip = fare.TripEnd(
        "taxi",
        "adult",
        operator,
        started,
        ended,
        distance_m=round(km * 1000),
        waiting_s=round(wait_min * 60),
    )
    _show(_price(book, trip), as_json)


@app.command("bus")
def bus_command(
    route: Annotated[str, typer.Option(help="bus route id, e.g. M375")],
    at: At = None,
    after_metro_min: Annotated[
        int | None, typer.Option(help="minutes since leaving the metro (for the transfer rule)")
    ] = None,
    category: Category = "adult",
    tariffs: Tariffs = None,
    as_json: AsJson = False,
) -> None:
    """Price a bus boarding, optionally as a transfer from the metro."""
    book = _book(tariffs)
    boarded = parse_local_time(at, dt.datetime.now(dt.UTC))
    network = book.network_at(boarded)
    operator = network.routes[route].operator if route in network.routes else ""
    history = []
    if after_metro_min is not None:
        exited = boarded - dt.timedelta(minutes=after_metro_min)
        entered = exited - dt.timedelta(minutes=30)
        # Only the earlier trip's mode, times and amount matter to the transfer rules.
        history.append(fare.PricedTrip("metro", category, entered, exited, 200, False))
    trip = fare.TripEnd("bus", category, operator, boarded, boarded, route=route)
    _show(_price(book, trip, history), as_json)


@app.command("stations")
def stations_command(at: At = None, tariffs: Tariffs = None) -> None:
    """List the stations and bus routes of the network in force."""
    book = _book(tariffs)
    moment = parse_local_time(at, dt.datetime.now(dt.UTC))
    tariff = book.version_at(moment)
    typer.echo(f"tariff {tariff.version}, network {tariff.network.id}")
    for station in sorted(tariff.network.stations.values(), key=lambda s: s.id):
        lines = ",".join(sorted(station.lines))
        typer.echo(f"{station.id:24} {station.name:34} lines {lines}")
    for route in tariff.network.routes.values():
        typer.echo(f"bus {route.id:20} {route.name:34} {format_yuan(route.fare_fen)} yuan")
