"""Typed, line-aware access to a parsed TOML document, for validating tariff files.

A `Node` wraps one table of a parsed file with its key path; every getter checks the
type and range of one value and, when it is wrong, raises `TariffError` naming the
file and the line of that value ("expected X, got Y"). `close()` rejects keys nobody
asked for, so a typo such as `fare_fn` fails loudly instead of being ignored.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import NoReturn
from zoneinfo import ZoneInfo

from fare.errors import TariffError
from fare.tomlines import Path

__all__ = ["Node", "Source"]

_MISSING: object = object()


class Source:
    """One file: its display name and where each key path sits in it."""

    def __init__(self, name: str, lines: Mapping[Path, int]) -> None:
        self.name = name
        self._lines = lines

    def line(self, path: Path) -> int:
        # A value missing from the file is reported at its nearest enclosing table.
        for end in range(len(path), 0, -1):
            found = self._lines.get(path[:end])
            if found is not None:
                return found
        return 1

    def fail(self, path: Path, message: str) -> NoReturn:
        raise TariffError(message, file=self.name, line=self.line(path))


def _describe(value: object) -> str:
    if isinstance(value, bool):
        return f"boolean {str(value).lower()}"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "an array"
    return f"{type(value).__name__} {value!r}"


def _label(path: Path) -> str:
    return ".".join(f"[{p}]" if isinstance(p, int) else p for p in path).replace(".[", "[")


class Node:
    """A table of a tariff file, at `path` in `source`."""

    def __init__(self, source: Source, path: Path, value: Mapping[str, object]) -> None:
        self.source = source
        self.path = path
        self._value = value
        self._used: set[str] = set()

    # -- plumbing ------------------------------------------------------------------
    def fail(self, message: str, key: str | int | None = None) -> NoReturn:
        path = self.path if key is None else (*self.path, key)
        self.source.fail(path, message)

    def has(self, key: str) -> bool:
        self._used.add(key)  # asking about a key makes it a known one
        return key in self._value

    def _get(self, key: str, default: object) -> object:
        self._used.add(key)
        if key in self._value:
            return self._value[key]
        if default is _MISSING:
            self.fail(f"missing key {_label((*self.path, key))!r}")
        return default

    def close(self) -> None:
        for key in self._value:
            if key not in self._used:
                known = ", ".join(sorted(self._used)) or "none"
                self.fail(f"unknown key {key!r}: expected one of {known}", key)

    # -- tables ----------------------------------------------------------------------
    def table(self, key: str, *, optional: bool = False) -> Node:
        value = self._get(key, {} if optional else _MISSING)
        if not isinstance(value, dict):
            self.fail(f"expected {key!r} to be a table, got {_describe(value)}", key)
        return Node(self.source, (*self.path, key), value)

    def tables(self, key: str) -> list[Node]:
        value = self._get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            self.fail(f"expected {key!r} to be an array of tables, got {_describe(value)}", key)
        return [Node(self.source, (*self.path, key, i), v) for i, v in enumerate(value)]

    def items(self) -> list[tuple[str, object]]:
        self._used.update(self._value)
        return list(self._value.items())

    # -- scalars ---------------------------------------------------------------------
    def string(self, key: str, default: str | None = None) -> str:
        value = self._get(key, _MISSING if default is None else default)
        if not isinstance(value, str) or not value:
            self.fail(f"expected {key!r} to be a non-empty string, got {_describe(value)}", key)
        return value

    def strings(self, key: str, *, allowed: frozenset[str] | None = None) -> tuple[str, ...]:
        value = self._get(key, _MISSING)
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.fail(f"expected {key!r} to be an array of strings, got {_describe(value)}", key)
        for i, item in enumerate(value):
            if allowed is not None and item not in allowed:
                options = ", ".join(sorted(allowed))
                self.source.fail(
                    (*self.path, key, i), f"expected one of {options} in {key!r}, got {item!r}"
                )
        return tuple(value)

    def flag(self, key: str, default: bool) -> bool:
        value = self._get(key, default)
        if not isinstance(value, bool):
            self.fail(f"expected {key!r} to be true or false, got {_describe(value)}", key)
        return value

    def integer(
        self, key: str, *, default: int | None = None, low: int = 0, high: int | None = None
    ) -> int:
        value = self._get(key, _MISSING if default is None else default)
        if not isinstance(value, int) or isinstance(value, bool):
            self.fail(f"expected {key!r} to be an integer, got {_describe(value)}", key)
        if value < low or (high is not None and value > high):
            bound = f">= {low}" if high is None else f"between {low} and {high}"
            self.fail(f"expected {key!r} {bound}, got {value}", key)
        return value

    def opt_integer(self, key: str, *, low: int = 0, high: int | None = None) -> int | None:
        return self.integer(key, low=low, high=high) if self.has(key) else None

    def integers(self, key: str, *, low: int = 0) -> list[int]:
        value = self._get(key, _MISSING)
        if not isinstance(value, list):
            self.fail(f"expected {key!r} to be an array of integers, got {_describe(value)}", key)
        for i, item in enumerate(value):
            if not isinstance(item, int) or isinstance(item, bool) or item < low:
                self.source.fail(
                    (*self.path, key, i), f"expected integers >= {low} in {key!r}, got {item!r}"
                )
        return value

    def metres(self, key: str) -> int:
        """A distance written in kilometres (integer or decimal), as whole metres."""
        return self.metres_of(self._get(key, _MISSING), key)

    def opt_metres(self, key: str) -> int | None:
        return self.metres(key) if self.has(key) else None

    def metres_of(self, value: object, key: str | int) -> int:
        if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
            self.fail(f"expected a distance in km, got {_describe(value)}", key)
        # repr() of a TOML float is its shortest exact decimal, so "12.345" stays exact.
        metres = Decimal(repr(value) if isinstance(value, float) else value) * 1000
        if metres != metres.to_integral_value() or metres < 0:
            self.fail(f"expected a distance >= 0 km with at most 3 decimals, got {value}", key)
        return int(metres)

    def clock(self, key: str, default: str) -> int:
        """A local time of day "HH:MM", as seconds after midnight."""
        value = self._get(key, default)
        try:
            if not isinstance(value, str) or len(value) != 5 or value[2] != ":":
                raise ValueError
            parsed = dt.time.fromisoformat(value)
        except ValueError:
            self.fail(f"expected {key!r} as a local time HH:MM, got {_describe(value)}", key)
        return parsed.hour * 3600 + parsed.minute * 60

    def opt_moment(self, key: str, zone: ZoneInfo) -> dt.datetime | None:
        return self.moment(key, zone) if self.has(key) else None

    def moment(self, key: str, zone: ZoneInfo) -> dt.datetime:
        """A date (local midnight in `zone`) or a datetime, as an aware datetime."""
        value = self._get(key, _MISSING)
        if isinstance(value, dt.datetime):
            return value if value.tzinfo else value.replace(tzinfo=zone)
        if isinstance(value, dt.date):
            return dt.datetime.combine(value, dt.time(), tzinfo=zone)
        self.fail(f"expected {key!r} to be a date or datetime, got {_describe(value)}", key)
