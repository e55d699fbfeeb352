"""Reading a network file (`[network]`): operators, stations, lines, links.

The file lists operators by id, stations by id with their names, and lines as
ordered stops with kilometre posts; consecutive stops make a section run by the
line's operator unless a `sections` entry of the line names another operator for a
stretch. `[[links]]` join two stations by a walk that adds no fare distance. Every
problem is reported with the file and line: an unknown station or operator, km
posts that do not increase, a station on no line, a network in several pieces.
"""

from __future__ import annotations

import itertools
import re

from fare.network import Line, Network, Section
from fare.reader import Node

__all__ = ["ID_PATTERN", "read_network"]

# Ids travel in device records, URLs and Redis keys: keep them to safe characters.
ID_PATTERN = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


def check_id(node: Node, key: str | int, value: object, what: str) -> str:
    if not isinstance(value, str) or not ID_PATTERN.match(value):
        node.fail(f"expected {what} id of letters, digits and ._:- (1-64), got {value!r}", key)
    return value


def _names(root: Node, key: str, what: str) -> dict[str, str]:
    table = root.table(key)
    names: dict[str, str] = {}
    for ident, name in table.items():
        check_id(table, ident, ident, what)
        if not isinstance(name, str) or not name:
            table.fail(f"expected the name of {what} {ident!r} as a string, got {name!r}", ident)
        names[ident] = name
    return names


def _line(
    node: Node, stations: dict[str, str], operators: dict[str, str]
) -> tuple[Line, list[Section]]:
    line_id = check_id(node, "id", node.string("id"), "a line")
    operator = node.string("operator")
    if operator not in operators:
        node.fail(f"expected an operator of [operators], got {operator!r}", "operator")
    stops: list[tuple[str, int]] = []
    for stop in node.tables("stops"):
        station = stop.string("station")
        if station not in stations:
            stop.fail(f"unknown station {station!r}: expected a station of [stations]", "station")
        km = stop.metres("km")
        if stops and km <= stops[-1][1]:
            stop.fail(
                f"expected km posts to increase along line {line_id}, got {km / 1000} km "
                f"after {stops[-1][1] / 1000} km",
                "km",
            )
        if any(station == s for s, _ in stops):
            stop.fail(f"station {station!r} appears twice on line {line_id}", "station")
        stop.close()
        stops.append((station, km))
    if len(stops) < 2:
        node.fail(f"expected at least 2 stops on line {line_id}, got {len(stops)}", "stops")
    run_by = [operator] * (len(stops) - 1)
    position = {station: i for i, (station, _) in enumerate(stops)}
    for stretch in node.tables("sections"):
        ends = []
        for key in ("from", "to"):
            station = stretch.string(key)
            if station not in position:
                stretch.fail(f"unknown station {station!r}: expected a stop of line {line_id}", key)
            ends.append(position[station])
        other = stretch.string("operator")
        if other not in operators:
            stretch.fail(f"expected an operator of [operators], got {other!r}", "operator")
        stretch.close()
        for i in range(min(ends), max(ends)):
            run_by[i] = other
    name = node.string("name")
    node.close()
    sections = [
        Section(a, b, kb - ka, line_id, run_by[i])
        for i, ((a, ka), (b, kb)) in enumerate(itertools.pairwise(stops))
    ]
    return Line(line_id, name, operator, tuple(stops)), sections


def _check_connected(root: Node, stations: dict[str, str], sections: list[Section]) -> None:
    linked: dict[str, set[str]] = {s: set() for s in stations}
    for section in sections:
        linked[section.a].add(section.b)
        linked[section.b].add(section.a)
    for station, near in linked.items():
        if not near:
            root.source.fail(("stations", station), f"station {station!r} is on no line or link")
    first = next(iter(stations))
    seen, todo = {first}, [first]
    while todo:
        for other in linked[todo.pop()]:
            if other not in seen:
                seen.add(other)
                todo.append(other)
    for station in stations:
        if station not in seen:
            root.source.fail(
                ("stations", station), f"station {station!r} cannot be reached from {first!r}"
            )


def read_network(root: Node) -> Network:
    head = root.table("network")
    network_id = check_id(head, "id", head.string("id"), "a network")
    head.string("name")
    head.close()
    operators = _names(root, "operators", "an operator")
    stations = _names(root, "stations", "a station")
    if not stations:
        root.fail("expected at least one station in [stations], got none", "stations")
    lines: list[Line] = []
    sections: list[Section] = []
    for node in root.tables("lines"):
        line, run = _line(node, stations, operators)
        if any(line.id == other.id for other in lines):
            node.fail(f"line id {line.id!r} is used twice", "id")
        lines.append(line)
        sections.extend(run)
    for link in root.tables("links"):
        between = link.strings("between")
        for i, station in enumerate(between):
            if station not in stations:
                link.source.fail(
                    (*link.path, "between", i),
                    f"unknown station {station!r}: expected a station of [stations]",
                )
        if len(between) != 2 or between[0] == between[1]:
            link.fail(
                f"expected two different stations in 'between', got {list(between)}", "between"
            )
        link.string("note", default="walking interchange")
        link.close()
        sections.append(Section(between[0], between[1], 0, "", ""))
    root.close()
    _check_connected(root, stations, sections)
    return Network(
        network_id, operators=operators, station_names=stations, lines=lines, sections=sections
    )
