"""Station, line, operator and bus route names in English and Chinese, for the web client.

The network files (fare/data) name things in English; `fare.names` gives the Chinese names
by the same ids. Pure: networks in, a JSON-ready dict out.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import fare
from fare.names import KINDS as _KINDS

__all__ = ["Names", "network_names"]

Names = dict[str, dict[str, dict[str, str]]]


def network_names(networks: Iterable[fare.Network], zh: Mapping[str, Mapping[str, str]]) -> Names:
    """``{kind: {id: {"en": ..., "zh": ...}}}`` over every network given, newest last wins.

    An id without a Chinese name falls back to the English one, so a new station in a
    network file shows up (in English) before its translation lands.
    """
    english: dict[str, dict[str, str]] = {kind: {} for kind in _KINDS}
    for network in networks:
        english["stations"].update({s.id: s.name for s in network.stations.values()})
        english["lines"].update({line.id: line.name for line in network.lines.values()})
        english["operators"].update(network.operators)
        english["routes"].update({r.id: r.name for r in network.routes.values()})
    return {
        kind: {
            key: {"en": name, "zh": zh.get(kind, {}).get(key, name)}
            for key, name in sorted(english[kind].items())
        }
        for kind in _KINDS
    }
