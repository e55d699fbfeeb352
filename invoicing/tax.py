"""VAT on tax-inclusive fares, in integer fen.

Chinese transport fares include VAT. The taxable base is the price divided by one plus
the rate, rounded half up to the fen, and the tax is what remains:

    base = round_half_up(total / (1 + rate)),  tax = total - base

Rates are basis points (900 = 9 %), so the division is exact integer arithmetic; no float
ever touches money. The regime belongs to the seller and the period:

    general     9 % (passenger transport under the general method)
    simplified  3 % (small-scale taxpayers and the simplified method)
    exempt      0 %, with the legal reason for the exemption printed on the invoice

EN 16931 computes tax the other way round (tax = base x rate, rule BR-CO-17). Both agree
to within one fen: |tax - round(base x rate)| <= 1, which the official schematron's
tolerance of one currency unit accepts.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from fractions import Fraction
from functools import lru_cache
from typing import Literal

from fare.localtime import SHANGHAI
from invoicing.errors import InvalidAmount, InvalidTaxRegime
from invoicing.text import check_text

__all__ = [
    "BASIS_POINTS",
    "GENERAL_9",
    "SIMPLIFIED_3",
    "RegimeCode",
    "RegimePeriod",
    "TaxRegime",
    "TaxSplit",
    "exempt",
    "regime_at",
    "round_half_up",
    "split_tax",
]

BASIS_POINTS = 10_000


RegimeCode = Literal["general", "simplified", "exempt"]
_CODES: frozenset[str] = frozenset({"general", "simplified", "exempt"})


@dataclass(frozen=True, slots=True)
class TaxRegime:
    """A seller's VAT regime: its code, its rate in basis points, and why it is exempt."""

    code: RegimeCode
    rate_bp: int
    exemption_reason: str | None = None

    def __post_init__(self) -> None:
        if self.code not in _CODES:
            raise InvalidTaxRegime(f"expected one of {sorted(_CODES)}, got {self.code!r}")
        if type(self.rate_bp) is not int:
            raise InvalidTaxRegime(f"expected integer basis points, got {self.rate_bp!r}")
        if self.code == "exempt":
            if self.rate_bp != 0:
                raise InvalidTaxRegime(f"expected rate 0 when exempt, got {self.rate_bp} bp")
            if self.exemption_reason is None or not self.exemption_reason.strip():
                raise InvalidTaxRegime("expected an exemption reason when exempt, got none")
            check_text("exemption reason", self.exemption_reason)
        else:
            if not 0 < self.rate_bp < BASIS_POINTS:
                raise InvalidTaxRegime(
                    f"expected a {self.code} rate in 1..{BASIS_POINTS - 1} bp, "
                    f"got {self.rate_bp} bp"
                )
            if self.exemption_reason is not None:
                raise InvalidTaxRegime(
                    f"expected no exemption reason for a {self.code} regime, "
                    f"got {self.exemption_reason!r}"
                )

    @property
    def rate(self) -> Fraction:
        return Fraction(self.rate_bp, BASIS_POINTS)

    @property
    def percent(self) -> str:
        """The rate as a percentage without trailing zeros: "9", "3", "0", "6.5"."""
        whole, rest = divmod(self.rate_bp, 100)
        return f"{whole}" if rest == 0 else f"{whole}.{rest:02d}".rstrip("0")


GENERAL_9 = TaxRegime("general", 900)
SIMPLIFIED_3 = TaxRegime("simplified", 300)


def exempt(reason: str) -> TaxRegime:
    """An exempt regime with its reason, e.g. the circular that exempts public transport."""
    return TaxRegime("exempt", 0, reason)


@dataclass(frozen=True, slots=True)
class TaxSplit:
    """A tax-inclusive total split into taxable base and tax, all in fen."""

    total_fen: int
    base_fen: int
    tax_fen: int
    rate_bp: int


def round_half_up(numerator: int, denominator: int) -> int:
    """numerator / denominator rounded to the nearest integer, halves away from zero."""
    if denominator <= 0:
        raise InvalidAmount(f"expected a positive denominator, got {denominator}")
    if numerator < 0:
        return -round_half_up(-numerator, denominator)
    return (2 * numerator + denominator) // (2 * denominator)


def split_tax(total_fen: int, regime: TaxRegime) -> TaxSplit:
    """Split a tax-inclusive `total_fen` under `regime`.

    >>> split_tax(700, GENERAL_9)
    TaxSplit(total_fen=700, base_fen=642, tax_fen=58, rate_bp=900)
    """
    if type(total_fen) is not int:
        raise InvalidAmount(f"expected an integer number of fen, got {total_fen!r}")
    if total_fen < 0:
        raise InvalidAmount(f"expected a total of at least 0 fen, got {total_fen}")
    return _split(total_fen, regime.rate_bp)


# The batcher splits a fare per trip, and fares repeat (a few hundred amounts a day): a
# cached split is a lookup instead of an integer division and a new TaxSplit. Both keys
# are exact ints (checked above and by TaxRegime), so True never stands in for 1.
@lru_cache(maxsize=4096)
def _split(total_fen: int, rate_bp: int) -> TaxSplit:
    base = round_half_up(total_fen * BASIS_POINTS, BASIS_POINTS + rate_bp)
    return TaxSplit(total_fen, base, total_fen - base, rate_bp)


@dataclass(frozen=True, slots=True)
class RegimePeriod:
    """A regime in force from `valid_from` until the day before `valid_until` (None: open)."""

    regime: TaxRegime
    valid_from: date
    valid_until: date | None = None

    def __post_init__(self) -> None:
        if self.valid_until is not None and self.valid_until <= self.valid_from:
            raise InvalidTaxRegime(
                f"expected a period ending after {self.valid_from}, got {self.valid_until}"
            )

    def covers(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_until is None or day < self.valid_until)


def regime_at(periods: Iterable[RegimePeriod], at: datetime) -> TaxRegime:
    """The regime in force at `at`, judged by the date in China Standard Time.

    Exactly one period must cover the date: none, or two overlapping, is a data error
    that would make the tax of an invoice ambiguous.
    """
    if at.tzinfo is None:
        raise InvalidTaxRegime(f"expected a timezone-aware time, got naive {at}")
    day = at.astimezone(SHANGHAI).date()
    matching = [period for period in periods if period.covers(day)]
    if len(matching) != 1:
        raise InvalidTaxRegime(f"expected exactly one regime in force on {day}, got {matching}")
    return matching[0].regime
