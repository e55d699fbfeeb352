"""The shipped Chinese names: one file that the web client and invoice lines share."""

from __future__ import annotations

import pytest

import fare
from fare.names import KINDS, load_zh_names, zh_name


def test_known_ids_have_their_chinese_names() -> None:
    assert zh_name("stations", "luohu") == "罗湖"
    assert zh_name("operators", "szmc") == "深圳地铁集团"
    assert zh_name("routes", "B796") == "B796 罗湖—国贸环线"


def test_an_id_without_a_name_is_itself_and_a_bad_kind_is_refused() -> None:
    assert zh_name("stations", "no-such-station") == "no-such-station"
    with pytest.raises(ValueError, match="expected a kind among"):
        zh_name("station", "luohu")


def test_every_station_of_every_network_version_is_named() -> None:
    names = load_zh_names()
    assert set(names) == set(KINDS)
    for version in fare.load_tariffs().versions:
        missing = set(version.network.stations) - set(names["stations"])
        assert missing == set(), missing
