"""`farechain fare ...`: the sub-app prices trips and explains them."""

from __future__ import annotations

import datetime as dt
import json

from typer.testing import CliRunner

from farechain.fare_cli import app, parse_local_time

runner = CliRunner()


def test_taxi_example_from_the_issue() -> None:
    result = runner.invoke(
        app, ["taxi", "--km", "27.4", "--wait-min", "6", "--at", "2024-05-06T23:40"]
    )
    assert result.exit_code == 0, result.output
    assert "104.00  total (tariff sz-2024)" in result.output
    assert "[taxi.night]" in result.output


def test_metro_json_is_the_ledger_record() -> None:
    args = ["metro", "--from", "luohu", "--to", "shenzhen-north", "--at", "2024-05-06T08:15"]
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    record = json.loads(result.output)
    assert record["amount_fen"] == 500
    assert record["shares"] == [["mtr-sz", 272], ["szmc", 228]]


def test_bus_after_metro_gets_the_transfer() -> None:
    args = ["bus", "--route", "M375", "--at", "2024-05-06T09:00", "--after-metro-min", "20"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "1.60  total" in result.output


def test_a_misspelt_station_is_refused_with_suggestions() -> None:
    result = runner.invoke(app, ["metro", "--from", "luohu", "--to", "shenzen-north"])
    assert result.exit_code == 2
    assert "shenzhen-north" in result.output


def test_stations_lists_the_network_in_force() -> None:
    result = runner.invoke(app, ["stations", "--at", "2023-06-01T12:00"])
    assert result.exit_code == 0, result.output
    assert "tariff sz-2017, network sz-metro-2016" in result.output
    assert "niuhu" not in result.output


def test_parse_local_time() -> None:
    now = dt.datetime(2024, 5, 6, 17, 0, tzinfo=dt.UTC)  # 01:00 on 7 May in Shenzhen
    assert parse_local_time("23:40", now) == dt.datetime(2024, 5, 7, 15, 40, tzinfo=dt.UTC)
    assert parse_local_time("2024-05-01T08:00", now) == dt.datetime(2024, 5, 1, 0, 0, tzinfo=dt.UTC)
    assert parse_local_time("2024-05-01T08:00+00:00", now).hour == 8
    assert parse_local_time(None, now) == now
