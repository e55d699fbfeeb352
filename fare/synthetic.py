"""A synthetic metro network of Shenzhen's size, for benchmarks and property tests.

Shenzhen Metro has about 18 lines and 400 stations. This builds a grid of `rows`
east-west and `cols` north-south lines (9 + 9 by default) that cross at shared
interchange stations, with two ordinary stations between crossings and one past
each end: 81 interchanges + 18 x 18 = 405 stations. Station spacing varies between
0.8 and 2.0 km from a fixed seed, so the network is the same on every run. The last
two lines are run by a second operator so that apportionment has work to do.
"""

from __future__ import annotations

import itertools
import random

from fare.network import Line, Network, Section

__all__ = ["synthetic_network"]


def _spacing(rng: random.Random) -> int:
    return rng.randrange(800, 2001, 10)


def synthetic_network(rows: int = 9, cols: int = 9, *, seed: int = 2024) -> Network:
    rng = random.Random(seed)
    names: dict[str, str] = {}
    lines: list[Line] = []
    sections: list[Section] = []
    specs = [("H", r, cols) for r in range(rows)] + [("V", c, rows) for c in range(cols)]
    for number, (kind, index, crossings) in enumerate(specs):
        line_id = f"S{number + 1}"
        operator = "mtr-sz" if number >= len(specs) - 2 else "szmc"
        stop_ids = [f"{line_id}-end-a"]
        for k in range(crossings):
            cross = f"X{index}-{k}" if kind == "H" else f"X{k}-{index}"
            stop_ids.append(cross)
            if k < crossings - 1:
                stop_ids += [f"{line_id}-{k}-1", f"{line_id}-{k}-2"]
        stop_ids.append(f"{line_id}-end-b")
        km = 0
        stops = []
        for stop in stop_ids:
            names.setdefault(stop, stop)
            stops.append((stop, km))
            km += _spacing(rng)
        lines.append(Line(line_id, f"Synthetic line {number + 1}", operator, tuple(stops)))
        sections += [
            Section(a, b, kb - ka, line_id, operator)
            for (a, ka), (b, kb) in itertools.pairwise(stops)
        ]
    operators = {"szmc": "Synthetic metro A", "mtr-sz": "Synthetic metro B"}
    return Network(
        "synthetic", operators=operators, station_names=names, lines=lines, sections=sections
    )
