"""Loading and validating tariff files into a `TariffBook`.

A tariff directory holds TOML files of two kinds: network files (`[network]`, see
network_file.py) and tariff versions (`[tariff]`), each version naming its network
and its `effective_from` date (local midnight, Asia/Shanghai) and optionally its
`effective_until`. Versions must follow each other with neither gap nor overlap.
Anything wrong is a `TariffError` naming the file and the line of the value at
fault, e.g. `tariff-2024.toml:30: metro band 2 overlaps band 1: expected from_km = 12,
got 10`. The shipped Shenzhen tariffs are in fare/data/shenzhen/.
"""

from __future__ import annotations

import itertools
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path

from fare.book import TariffBook
from fare.errors import TariffError
from fare.localtime import SHANGHAI
from fare.network import BusRoute, Network
from fare.network_file import check_id, read_network
from fare.reader import Node, Source
from fare.tariff import CATEGORIES, MODES, Tariff
from fare.tariff_file import read_caps, read_categories, read_metro, read_taxi, read_transfers
from fare.tomlines import locate_lines

__all__ = ["DEFAULT_DIR", "load_tariffs", "parse_tariffs"]

DEFAULT_DIR = Path(__file__).parent / "data" / "shenzhen"
_DECODE_LINE = re.compile(r"\(at line (\d+), column \d+\)")


def _parse(name: str, text: str) -> Node:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        found = _DECODE_LINE.search(str(exc))
        raise TariffError(
            f"invalid TOML: {_DECODE_LINE.sub('', str(exc)).strip()}",
            file=name,
            line=int(found.group(1)) if found else 0,
        ) from exc
    return Node(Source(name, locate_lines(text)), (), data)


def _routes(root: Node, network: Network) -> dict[str, BusRoute]:
    routes: dict[str, BusRoute] = {}
    bus = root.table("bus", optional=True)
    for node in bus.tables("routes"):
        route_id = check_id(node, "id", node.string("id"), "a route")
        if route_id in routes:
            node.fail(f"bus route {route_id!r} is listed twice", "id")
        operator = node.string("operator")
        if operator not in network.operators:
            node.fail(f"expected an operator of network {network.id}, got {operator!r}", "operator")
        routes[route_id] = BusRoute(
            route_id, node.string("name", default=route_id), operator, node.integer("fare_fen")
        )
        node.close()
    bus.close()
    return routes


def _read_tariff(root: Node, networks: Mapping[str, Network]) -> Tariff:
    head = root.table("tariff")
    version = check_id(head, "version", head.string("version"), "a tariff version")
    network_id = head.string("network")
    if network_id not in networks:
        known = ", ".join(sorted(networks)) or "none"
        head.fail(f"unknown network {network_id!r}: expected one of {known}", "network")
    network = networks[network_id]
    starts = head.moment("effective_from", SHANGHAI)
    until = head.opt_moment("effective_until", SHANGHAI)
    if until is not None and until <= starts:
        head.fail(
            f"expected effective_until after {starts.date()}, got {until.date()}", "effective_until"
        )
    title = head.string("title", default=version)
    head.close()

    metro = read_metro(root.table("metro"))
    taxi = read_taxi(root.table("taxi"))
    categories = read_categories(root.tables("categories"), MODES, CATEGORIES)
    missing = CATEGORIES - set(categories)
    if missing:
        root.fail(f"expected rider categories {', '.join(sorted(missing))} too", "categories")
    transfers = read_transfers(root.tables("transfers"), MODES)
    caps_node = root.table("caps", optional=True)
    day_starts = caps_node.clock("day_starts_at", "04:30")
    caps = read_caps(caps_node.tables("rules"), MODES, CATEGORIES)
    caps_node.close()
    routes = _routes(root, network)
    root.close()
    return Tariff(
        version=version,
        title=title,
        file=root.source.name,
        effective_from=starts,
        effective_until=until,
        network=network.with_routes(routes),
        metro=metro,
        taxi=taxi,
        categories=categories,
        transfers=transfers,
        caps=caps,
        service_day_starts_s=day_starts,
    )


def _check_versions(tariffs: list[tuple[Tariff, Source]]) -> None:
    tariffs.sort(key=lambda pair: pair[0].effective_from)
    seen: dict[str, Source] = {}
    for tariff, source in tariffs:
        if tariff.version in seen:
            source.fail(
                ("tariff", "version"),
                f"tariff version {tariff.version!r} is also defined in {seen[tariff.version].name}",
            )
        seen[tariff.version] = source
    for (older, older_src), (newer, newer_src) in itertools.pairwise(tariffs):
        ends = older.effective_until
        if newer.effective_from == older.effective_from:
            newer_src.fail(
                ("tariff", "effective_from"),
                f"version {newer.version} starts on the same date as {older.version} "
                f"({older_src.name}): expected a later effective_from",
            )
        if ends is not None and ends < newer.effective_from:
            older_src.fail(
                ("tariff", "effective_until"),
                f"gap in effective dates: {older.version} ends {ends.isoformat()} but the next "
                f"version {newer.version} ({newer_src.name}) starts "
                f"{newer.effective_from.isoformat()}: expected effective_until = the next start",
            )
        if ends is not None and ends > newer.effective_from:
            older_src.fail(
                ("tariff", "effective_until"),
                f"{older.version} runs until {ends.isoformat()}, overlapping {newer.version} "
                f"({newer_src.name}) from {newer.effective_from.isoformat()}",
            )


def parse_tariffs(files: Mapping[str, str]) -> TariffBook:
    """Build a book from file name -> TOML text (networks and tariff versions)."""
    roots = [_parse(name, text) for name, text in sorted(files.items())]
    networks: dict[str, Network] = {}
    for root in roots:
        if root.has("network") and not root.has("tariff"):
            network = read_network(root)
            if network.id in networks:
                root.fail(f"network {network.id!r} is defined twice", "network")
            networks[network.id] = network
    tariffs: list[tuple[Tariff, Source]] = []
    for root in roots:
        if root.has("tariff"):
            tariffs.append((_read_tariff(root, networks), root.source))
        elif not root.has("network"):
            root.fail("expected a [tariff] or a [network] table, got neither")
    if not tariffs:
        raise TariffError(f"expected at least one tariff version, got none in {sorted(files)}")
    _check_versions(tariffs)
    return TariffBook([tariff for tariff, _ in tariffs])


def load_tariffs(path: str | Path | None = None) -> TariffBook:
    """Load every *.toml of a directory (default: the shipped Shenzhen tariffs)."""
    folder = Path(path) if path is not None else DEFAULT_DIR
    if not folder.is_dir():
        raise TariffError(f"expected a directory of tariff files, got {folder}")
    return parse_tariffs({p.name: p.read_text(encoding="utf-8") for p in folder.glob("*.toml")})
