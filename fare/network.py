"""The metro network graph and its shortest paths; bus routes ride along.

Stations are nodes, sections (consecutive stops of a line, with the length from the
kilometre posts and the operator that runs them) are edges, an interchange is a
station on several lines, and a walking link joins two stations at no distance.
The fare distance between two stations is the shortest path (Dijkstra); the path
also gives the metres run by each operator, which apportions the fare. Paths are
computed one source at a time, on first use, and cached: after that a quote's path
is a dict lookup. Ties between equally short paths go to the one found first, so
the same network data always yields the same path and the same shares.
"""

from __future__ import annotations

import heapq
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple

__all__ = ["BusRoute", "Line", "MetroPath", "Network", "Section", "Station"]


@dataclass(frozen=True, slots=True)
class Station:
    id: str
    name: str
    lines: frozenset[str]
    operators: frozenset[str]


@dataclass(frozen=True, slots=True)
class Line:
    id: str
    name: str
    operator: str
    stops: tuple[tuple[str, int], ...]  # (station id, kilometre post in metres)


@dataclass(frozen=True, slots=True)
class Section:
    """One edge of the graph; `line` is "" and `operator` "" for a walking link."""

    a: str
    b: str
    length_m: int
    line: str
    operator: str


@dataclass(frozen=True, slots=True)
class BusRoute:
    id: str
    name: str
    operator: str
    fare_fen: int


class MetroPath(NamedTuple):  # one per station pair: cheap to build matters
    distance_m: int
    by_operator: tuple[tuple[str, int], ...]  # metres per operator, by operator id
    via: tuple[str, ...]  # station ids where the path changes line


class Network:
    """An immutable network; only its path cache fills up as it is used."""

    def __init__(
        self,
        id: str,
        *,
        operators: Mapping[str, str],
        station_names: Mapping[str, str],
        lines: Sequence[Line],
        sections: Sequence[Section],
        routes: Mapping[str, BusRoute] | None = None,
    ) -> None:
        self.id = id
        self.operators: Mapping[str, str] = dict(operators)
        self.lines: Mapping[str, Line] = {line.id: line for line in lines}
        self.routes: Mapping[str, BusRoute] = dict(routes or {})
        self.sections: tuple[Section, ...] = tuple(sections)
        served: dict[str, tuple[set[str], set[str]]] = {s: (set(), set()) for s in station_names}
        self._edges: dict[str, list[Section]] = {s: [] for s in station_names}
        for section in self.sections:
            self._edges[section.a].append(section)
            self._edges[section.b].append(section)
            if section.line:
                for end in (section.a, section.b):
                    served[end][0].add(section.line)
                    served[end][1].add(section.operator)
        self.stations: Mapping[str, Station] = {
            sid: Station(sid, name, frozenset(served[sid][0]), frozenset(served[sid][1]))
            for sid, name in station_names.items()
        }
        # Shared with the copies made by with_routes(): one cache per metro graph.
        self._paths: dict[str, dict[str, MetroPath]] = {}
        self._diameter: list[int] = []

    def with_routes(self, routes: Mapping[str, BusRoute]) -> Network:
        """The same metro graph (sharing its path cache) with the bus routes of a tariff."""
        clone = object.__new__(Network)
        clone.__dict__.update(self.__dict__)
        clone.routes = dict(routes)
        return clone

    def path(self, entry: str, exit: str) -> MetroPath:
        """The shortest path between two stations (KeyError for an unknown station)."""
        tree = self._paths.get(entry)
        if tree is None:
            if entry not in self._edges:
                raise KeyError(entry)
            tree = self._paths[entry] = self._shortest_from(entry)
        return tree[exit]

    def diameter_m(self) -> int:
        """The longest shortest path of the network, over every pair of stations."""
        if not self._diameter:
            self._diameter.append(
                max(
                    (p.distance_m for s in self._edges for p in self._paths_from(s).values()),
                    default=0,
                )
            )
        return self._diameter[0]

    def _paths_from(self, entry: str) -> dict[str, MetroPath]:
        self.path(entry, entry)
        return self._paths[entry]

    def _shortest_from(self, source: str) -> dict[str, MetroPath]:
        # Dijkstra; each settled station extends its predecessor's path by one section,
        # so operator metres and interchanges are built in the same pass.
        best: dict[str, int] = {source: 0}
        came_by: dict[str, Section] = {}
        order: list[str] = []
        heap: list[tuple[int, int, str]] = [(0, 0, source)]
        pushed = 1
        settled: set[str] = set()
        while heap:
            dist, _, here = heapq.heappop(heap)
            if here in settled:
                continue
            settled.add(here)
            order.append(here)
            for section in self._edges[here]:
                there = section.b if section.a == here else section.a
                candidate = dist + section.length_m
                if there not in settled and candidate < best.get(there, candidate + 1):
                    best[there] = candidate
                    came_by[there] = section
                    heapq.heappush(heap, (candidate, pushed, there))
                    pushed += 1

        metres: dict[str, dict[str, int]] = {source: {}}
        via: dict[str, tuple[str, ...]] = {source: ()}
        line_in: dict[str, str] = {source: ""}
        paths: dict[str, MetroPath] = {}
        for here in order:
            step = came_by.get(here)
            if step is not None:
                prev = step.a if step.b == here else step.b
                split = dict(metres[prev])
                if step.length_m:
                    split[step.operator] = split.get(step.operator, 0) + step.length_m
                metres[here] = split
                changed = line_in[prev] not in ("", step.line) and step.line != ""
                via[here] = (*via[prev], prev) if changed else via[prev]
                line_in[here] = step.line or line_in[prev]
            paths[here] = MetroPath(best[here], tuple(sorted(metres[here].items())), via[here])
        return paths
