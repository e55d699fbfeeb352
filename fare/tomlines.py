"""Where each value of a TOML document sits: a map from key path to line number.

`tomllib` (TOML 1.0) parses values but forgets positions, and a rejected tariff must
name the line at fault. This scanner walks the same text a second time, after tomllib
has accepted it, and records the line of every table header, key and array element.
Paths use the parsed shape: keys are strings, array (and array-of-tables) positions
are ints, so `("metro", "bands", 2, "to_km")` is the third `[[metro.bands]]`'s key.
It trusts tomllib for the syntax, so it only needs to track strings, comments and
brackets well enough not to be fooled by a `#` or `]` inside a string.
"""

from __future__ import annotations

__all__ = ["Path", "locate_lines"]

Path = tuple[str | int, ...]

_BARE = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")


class _Scanner:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.line = 1
        self.lines: dict[Path, int] = {}
        self.tables_in_array: dict[Path, int] = {}

    # -- low level ---------------------------------------------------------------
    def _peek(self, n: int = 1) -> str:
        return self.text[self.pos : self.pos + n]

    def _advance(self, n: int = 1) -> None:
        self.line += self.text.count("\n", self.pos, self.pos + n)
        self.pos += n

    def _skip_blank(self, *, newlines: bool) -> None:
        while self.pos < len(self.text):
            ch = self.text[self.pos]
            if ch in " \t\r" or (newlines and ch == "\n"):
                self._advance()
            elif ch == "#":
                end = self.text.find("\n", self.pos)
                self._advance((len(self.text) if end < 0 else end) - self.pos)
            else:
                return

    def _record(self, path: Path) -> None:
        self.lines.setdefault(path, self.line)

    # -- keys --------------------------------------------------------------------
    def _key_part(self) -> str:
        quote = self._peek()
        if quote in ("'", '"'):
            start = self.pos + 1
            self._advance()
            while self._peek() not in (quote, ""):
                self._advance(2 if quote == '"' and self._peek() == "\\" else 1)
            part = self.text[start : self.pos]
            self._advance()
            return part
        start = self.pos
        while self._peek() in _BARE and self._peek():
            self._advance()
        return self.text[start : self.pos]

    def _dotted_key(self) -> list[str]:
        parts = [self._key_part()]
        self._skip_blank(newlines=False)
        while self._peek() == ".":
            self._advance()
            self._skip_blank(newlines=False)
            parts.append(self._key_part())
            self._skip_blank(newlines=False)
        return parts

    # -- values ------------------------------------------------------------------
    def _string(self) -> None:
        for quote in ('"""', "'''"):
            if self._peek(3) == quote:
                self._advance(3)
                while self.pos < len(self.text) and self._peek(3) != quote:
                    self._advance(2 if quote[0] == '"' and self._peek() == "\\" else 1)
                self._advance(3)
                # A closing run may hold up to two extra quotes that belong to the value.
                while self._peek() == quote[0]:
                    self._advance()
                return
        quote = self._peek()
        self._advance()
        while self._peek() not in (quote, "\n", ""):
            self._advance(2 if quote == '"' and self._peek() == "\\" else 1)
        self._advance()

    def _value(self, path: Path) -> None:
        ch = self._peek()
        if ch in ('"', "'"):
            self._string()
        elif ch == "[":
            self._advance()
            index = 0
            while True:
                self._skip_blank(newlines=True)
                if self._peek() in ("]", ""):
                    self._advance()
                    return
                start = self.pos
                self._record((*path, index))
                self._value((*path, index))
                self._skip_blank(newlines=True)
                if self._peek() == ",":
                    self._advance()
                    index += 1
                elif self.pos == start:
                    self._advance()  # never loop on text tomllib would have refused
        elif ch == "{":
            self._advance()
            while True:
                self._skip_blank(newlines=False)
                if self._peek() in ("}", ""):
                    self._advance()
                    return
                start = self.pos
                self._key_value(path)
                self._skip_blank(newlines=False)
                if self._peek() == "," or self.pos == start:
                    self._advance()  # a separator, or never loop on text tomllib refused
        else:
            while self._peek() not in (",", "]", "}", "\n", "#", ""):
                self._advance()

    def _key_value(self, table: Path) -> None:
        keys = self._dotted_key()
        for depth in range(1, len(keys) + 1):
            self._record((*table, *keys[:depth]))
        self._skip_blank(newlines=False)
        self._advance()  # the "="
        self._skip_blank(newlines=False)
        self._value((*table, *keys))

    # -- tables ------------------------------------------------------------------
    def _resolve(self, keys: list[str], *, new_element: bool) -> Path:
        resolved: Path = ()
        for i, key in enumerate(keys):
            resolved = (*resolved, key)
            count = self.tables_in_array.get(resolved)
            last = i == len(keys) - 1
            if last and new_element:
                self.tables_in_array[resolved] = (count or 0) + 1
                self._record(resolved)
                resolved = (*resolved, count or 0)
            elif count is not None:
                resolved = (*resolved, count - 1)
        return resolved

    def _header(self) -> Path:
        new_element = self._peek(2) == "[["
        self._advance(2 if new_element else 1)
        self._skip_blank(newlines=False)
        keys = self._dotted_key()
        self._advance(2 if new_element else 1)
        table = self._resolve(keys, new_element=new_element)
        self._record(table)
        return table

    def scan(self) -> dict[Path, int]:
        table: Path = ()
        while True:
            self._skip_blank(newlines=True)
            if self.pos >= len(self.text):
                return self.lines
            if self._peek() == "[":
                table = self._header()
            else:
                self._key_value(table)


def locate_lines(text: str) -> dict[Path, int]:
    """Map every key path of a (tomllib-valid) TOML document to its 1-based line."""
    return _Scanner(text).scan()
