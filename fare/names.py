"""Chinese names of the network's stations, lines, operators and bus routes.

The network files (fare/data/shenzhen) name things in English; ``data/names-zh.toml``
beside this module gives the Chinese names by the same ids. One source for every reader:
the web client shows both languages, invoice lines name stations as Chinese invoices do.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from functools import cache
from pathlib import Path

__all__ = ["KINDS", "ZH_NAMES_PATH", "load_zh_names", "zh_name"]

ZH_NAMES_PATH = Path(__file__).parent / "data" / "names-zh.toml"
KINDS = ("stations", "lines", "operators", "routes")


def load_zh_names(path: Path = ZH_NAMES_PATH) -> dict[str, dict[str, str]]:
    """``{kind: {id: Chinese name}}`` for each of `KINDS` (empty where the file has none)."""
    with path.open("rb") as file:
        raw = tomllib.load(file)
    return {kind: {str(k): str(v) for k, v in raw.get(kind, {}).items()} for kind in KINDS}


@cache
def _shipped() -> Mapping[str, Mapping[str, str]]:
    return load_zh_names()


def zh_name(kind: str, key: str) -> str:
    """The shipped Chinese name of `key`; the id itself where there is none, so a new
    station shows up under its id before its translation lands."""
    if kind not in KINDS:
        raise ValueError(f"expected a kind among {KINDS}, got {kind!r}")
    return _shipped()[kind].get(key, key)
