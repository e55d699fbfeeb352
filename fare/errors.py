"""The errors of the fare engine.

    FareError
    ├── TariffError    a tariff or network file is invalid; names the file and line
    └── PricingError   a trip cannot be priced (no tariff in force, unknown station...)

Both say what was expected and what was found.
"""

from __future__ import annotations

__all__ = ["FareError", "PricingError", "TariffError"]


class FareError(Exception):
    """Base class of every error raised by the fare engine."""


class TariffError(FareError):
    """A tariff file (or the set of them) was rejected on load."""

    def __init__(self, message: str, *, file: str = "", line: int = 0) -> None:
        where = f"{file}:{line}: " if file and line else (f"{file}: " if file else "")
        super().__init__(f"{where}{message}")
        self.file = file
        self.line = line
        self.reason = message


class PricingError(FareError, ValueError):
    """The trip does not fit the tariff in force (unknown station, naive time...)."""
