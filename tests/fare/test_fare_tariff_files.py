"""Tariff files: versions by effective date, and bad files rejected with file and line."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from fare import PricingError, TariffError, load_tariffs, parse_tariffs
from tests.fare.builders import BOOK, line_network, local, metro, shipped_files, tariff_2024


def _line_of(text: str, marker: str) -> int:
    """The 1-based line holding `marker` (which must occur once)."""
    assert text.count(marker) == 1, marker
    return text[: text.index(marker)].count("\n") + 1


def _reject(files: dict[str, str]) -> TariffError:
    with pytest.raises(TariffError) as caught:
        parse_tariffs(files)
    return caught.value


def test_the_shipped_book_has_two_versions() -> None:
    assert [t.version for t in BOOK.versions] == ["sz-2017", "sz-2024"]
    assert BOOK.version_at(local(2023, 12, 31, 23, 59)).version == "sz-2017"
    assert BOOK.version_at(local(2024, 1, 1, 0, 0)).version == "sz-2024"
    assert "niuhu" in BOOK.network_at(local(2024, 6, 1)).stations
    assert "niuhu" not in BOOK.network_at(local(2023, 6, 1)).stations
    assert BOOK.network_at(local(2024, 6, 1)).routes["M375"].operator == "szbus"


def test_a_trip_is_priced_by_the_tariff_in_force_when_it_started() -> None:
    entered = local(2023, 12, 31, 23, 50)
    quote = BOOK.price(metro("futian", "futian", at=entered, minutes=25))
    # 25 min at one station: inside 2017's 30-min grace period, not 2024's 20.
    assert quote.tariff_version == "sz-2017"
    assert quote.lines[0].rule_id == "metro.same-station"


def test_no_tariff_before_the_first_version() -> None:
    with pytest.raises(PricingError, match="expected a time covered by a tariff version"):
        BOOK.price(metro("luohu", "guomao", at=local(2016, 12, 31)))


def test_load_tariffs_reads_a_directory(tmp_path: Path) -> None:
    folder = tmp_path
    for name, text in shipped_files().items():
        (folder / name).write_text(text, encoding="utf-8")
    assert [t.version for t in load_tariffs(folder).versions] == ["sz-2017", "sz-2024"]
    with pytest.raises(TariffError, match="expected a directory"):
        load_tariffs(folder / "missing")


def test_overlapping_bands_are_rejected_at_the_line() -> None:
    text = tariff_2024(**{"from_km = 12\n": "from_km = 10\n"})
    error = _reject({"net.toml": line_network(["0", "5"]), "t.toml": text})
    assert error.file == "t.toml"
    assert error.line == _line_of(text, "from_km = 10")
    assert str(error).startswith(f"t.toml:{error.line}: metro band 2 overlaps band 1")
    assert "expected from_km = 12, got 10" in str(error)


def test_a_gap_between_bands_is_rejected() -> None:
    text = tariff_2024(**{"from_km = 24\nevery_km": "from_km = 25\nevery_km"})
    error = _reject({"net.toml": line_network(["0", "5"]), "t.toml": text})
    assert error.line == _line_of(text, "from_km = 25\nevery_km")
    assert "leaves a gap" in str(error)


def test_unknown_station_is_rejected_at_the_line() -> None:
    network = line_network(["0", "5"]).replace('station = "s1"', 'station = "nowhere"')
    error = _reject({"net.toml": network, "t.toml": tariff_2024()})
    assert (error.file, error.line) == ("net.toml", _line_of(network, '"nowhere"'))
    assert "unknown station 'nowhere'" in str(error)


def test_unknown_station_in_a_shipped_network_names_its_file() -> None:
    files = shipped_files()
    files["network-2016.toml"] = files["network-2016.toml"].replace(
        '{ station = "minle", km = 9.4 }', '{ station = "minle-x", km = 9.4 }'
    )
    error = _reject(files)
    assert error.file == "network-2016.toml"
    assert error.line == _line_of(files["network-2016.toml"], '"minle-x"')


@pytest.mark.parametrize(
    ("old", "new", "key"),
    [
        ("base_fare_fen = 200", "base_fare_fen = -200", "base_fare_fen"),
        ("per_km_fen = 260", "per_km_fen = -260", "per_km_fen"),
        ("discount_fen = 40", "discount_fen = -40", "discount_fen"),
        ("amount_fen = 2500", "amount_fen = -1", "amount_fen"),
        ("student = 1250", "student = -1250", "student"),
    ],
)
def test_negative_amounts_are_rejected_at_the_line(old: str, new: str, key: str) -> None:
    text = tariff_2024(**{old: new})
    error = _reject({"net.toml": line_network(["0", "5"]), "t.toml": text})
    assert error.line == _line_of(text, new)
    assert f"expected '{key}' >= 0, got -" in str(error)


def test_a_negative_route_fare_is_rejected() -> None:
    text = tariff_2024().replace(
        'operator = "szbus"\nfare_fen = 200', 'operator = "szbus"\nfare_fen = -2', 1
    )
    error = _reject({"net.toml": line_network(["0", "5"]), "t.toml": text})
    assert error.line == _line_of(text, "fare_fen = -2")


def test_a_gap_in_effective_dates_is_rejected() -> None:
    files = shipped_files()
    files["tariff-2017.toml"] = files["tariff-2017.toml"].replace(
        "effective_until = 2024-01-01", "effective_until = 2023-12-01"
    )
    error = _reject(files)
    assert error.file == "tariff-2017.toml"
    assert error.line == _line_of(files["tariff-2017.toml"], "effective_until")
    assert "gap in effective dates" in str(error)


def test_overlapping_versions_and_same_start_are_rejected() -> None:
    files = shipped_files()
    files["tariff-2017.toml"] = files["tariff-2017.toml"].replace(
        "effective_until = 2024-01-01", "effective_until = 2024-02-01"
    )
    assert "overlapping sz-2024" in str(_reject(files))
    files = shipped_files()
    files["tariff-2017.toml"] = files["tariff-2017.toml"].replace(
        "effective_from = 2017-01-01\neffective_until = 2024-01-01", "effective_from = 2024-01-01"
    )
    assert "starts on the same date" in str(_reject(files))


def test_invalid_toml_names_the_line() -> None:
    text = tariff_2024(**{"per_km_fen = 260": "per_km_fen = = 260"})
    error = _reject({"net.toml": line_network(["0", "5"]), "t.toml": text})
    assert error.line == _line_of(text, "per_km_fen = = 260")
    assert "invalid TOML" in str(error)


def test_a_misspelt_key_is_rejected() -> None:
    text = tariff_2024(**{"waiting_fen_per_min": "waiting_fen_per_minute"})
    error = _reject({"net.toml": line_network(["0", "5"]), "t.toml": text})
    assert "missing key 'taxi.waiting_fen_per_min'" in str(error)
    text = tariff_2024(**{"night_surcharge_pct = 30": "night_surcharge_pct = 30\nnight_pct = 3"})
    error = _reject({"net.toml": line_network(["0", "5"]), "t.toml": text})
    assert error.line == _line_of(text, "night_pct = 3")
    assert "unknown key 'night_pct'" in str(error)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('network = "test-line"', 'network = "mars"', "unknown network 'mars'"),
        ('from_mode = "metro"', 'from_mode = "ferry"', "expected from_mode one of"),
        ('period = "day"', 'period = "month"', "expected period 'day' or 'week'"),
        ("discount_pct = 50", "discount_pct = 150", "expected 'discount_pct' between 0 and 100"),
        ('operator = "szbus"', 'operator = "nobody"', "expected an operator of network"),
        ('id = "senior"', 'id = "elder"', "expected a category of"),
        ("every_km = 8", "every_km = 0", "expected every_km > 0"),
        ('day_starts_at = "04:30"', 'day_starts_at = "4h30"', "as a local time HH:MM"),
        ("flag_fall_km = 2", "flag_fall_km = 2.0001", "at most 3 decimals"),
    ],
)
def test_other_mistakes_are_named(old: str, new: str, message: str) -> None:
    text = tariff_2024(**{old: new})
    error = _reject({"net.toml": line_network(["0", "5"]), "t.toml": text})
    assert message in str(error)
    assert error.line == _line_of(text, new)


def test_network_mistakes_are_named() -> None:
    decreasing = line_network(["0", "5", "3"])
    assert "expected km posts to increase" in str(
        _reject({"n.toml": decreasing, "t.toml": tariff_2024()})
    )
    lonely = line_network(["0", "5"]).replace("[stations]\n", '[stations]\nlonely = "Lonely"\n')
    error = _reject({"n.toml": lonely, "t.toml": tariff_2024()})
    assert "station 'lonely' is on no line" in str(error)
    assert error.line == _line_of(lonely, "lonely =")
    assert "expected a [tariff] or a [network] table" in str(
        _reject({"n.toml": line_network(["0", "5"]), "t.toml": tariff_2024(), "x.toml": "a = 1\n"})
    )


def test_times_are_local_midnight_in_shanghai() -> None:
    starts = BOOK.versions[1].effective_from
    assert starts == dt.datetime(2023, 12, 31, 16, 0, tzinfo=dt.UTC)
