"""Invoice numbers: 20 digits, unique and gap-free per seller, like China's fully
digitalised e-invoices (全电发票), whose numbers are likewise year, region, channel and
sequence.

Layout (the default `NumberLayout(code_digits=4)`)::

    YY RR CCCC SSSSSSSSSSSS
    |  |  |    └─ sequence: 12 digits, 1 .. 999 999 999 999, per seller per year
    |  |  └─ channel: the operator's channel/seller code (`numbering_code`), 4 digits
    |  └─ region: 2-digit province code of GB/T 2260 (44 = Guangdong)
    └─ year: last two digits of the issue year, in China Standard Time (read back as
             2000 + YY, so the layout serves 2000..2099)

The channel code is 2 to 4 digits wide (`NumberLayout.code_digits`, 4 by default), and the
width is fixed per deployment: mixing widths would let two sellers' numbers collide (code
"12" with sequence 34... equals code "1234" with sequence ...). The sequence takes the 16
digits left after year and region, so a narrower code gives a longer sequence.

Gap-free numbering is the caller's job (one counter per seller and year, advanced in the
same transaction that stores the invoice); `next_sequence` encodes the rule and
`find_gaps` audits a seller's numbers afterwards.

Overflow: a sequence past `layout.max_sequence` raises `SequenceOverflow`. We never wrap
(that would repeat numbers) nor widen (that would break the 20-digit format). At the
default width a seller may issue 10**12 - 1 invoices a year; Shenzhen Metro's record day
of 11.9 M trips would take 230 years to exhaust it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from fare.localtime import SHANGHAI
from invoicing.errors import InvalidInvoiceNumber, SequenceOverflow

__all__ = [
    "DEFAULT_LAYOUT",
    "DEFAULT_REGION",
    "NUMBER_DIGITS",
    "InvoiceNumber",
    "NumberLayout",
    "NumberingAnomalies",
    "find_gaps",
    "format_number",
    "issue_year",
    "next_sequence",
    "parse_number",
]

NUMBER_DIGITS = 20
DEFAULT_REGION = "44"  # Guangdong, whose province code Shenzhen's numbers carry
_YEAR_DIGITS = 2
_REGION_DIGITS = 2


@dataclass(frozen=True, slots=True)
class NumberLayout:
    """How many digits the channel code takes; the sequence gets the rest."""

    code_digits: int = 4

    def __post_init__(self) -> None:
        if not 2 <= self.code_digits <= 4:
            raise InvalidInvoiceNumber(
                f"expected a channel code of 2 to 4 digits, got {self.code_digits}"
            )

    @property
    def sequence_digits(self) -> int:
        return NUMBER_DIGITS - _YEAR_DIGITS - _REGION_DIGITS - self.code_digits

    @property
    def max_sequence(self) -> int:
        return int(10**self.sequence_digits) - 1


DEFAULT_LAYOUT = NumberLayout()


@dataclass(frozen=True, slots=True)
class InvoiceNumber:
    """The parts of an invoice number; `year` is the full year (2000..2099)."""

    year: int
    region: str
    channel: str
    sequence: int

    def text(self, layout: NumberLayout = DEFAULT_LAYOUT) -> str:
        return format_number(
            year=self.year,
            region=self.region,
            channel=self.channel,
            sequence=self.sequence,
            layout=layout,
        )


def issue_year(issued_at: datetime) -> int:
    """The year an invoice issued at `issued_at` is numbered in: China Standard Time's."""
    if issued_at.tzinfo is None:
        raise InvalidInvoiceNumber(f"expected a timezone-aware time, got naive {issued_at}")
    return issued_at.astimezone(SHANGHAI).year


def format_number(
    *,
    year: int,
    channel: str,
    sequence: int,
    region: str = DEFAULT_REGION,
    layout: NumberLayout = DEFAULT_LAYOUT,
) -> str:
    """The 20-digit number; raises `SequenceOverflow` past the layout's sequence range.

    `channel` is the seller's channel/seller code (an operator's `numbering_code`), exactly
    `layout.code_digits` ASCII digits.
    """
    if not 2000 <= year <= 2099:
        raise InvalidInvoiceNumber(f"expected a year in 2000..2099, got {year}")
    _require_digits("region", region, _REGION_DIGITS)
    _require_digits("channel", channel, layout.code_digits)
    if sequence < 1:
        raise InvalidInvoiceNumber(f"expected a sequence of at least 1, got {sequence}")
    if sequence > layout.max_sequence:
        raise SequenceOverflow(
            f"expected a sequence of at most {layout.max_sequence} for channel {channel} "
            f"in {year}, got {sequence}"
        )
    return f"{year % 100:02d}{region}{channel}{sequence:0{layout.sequence_digits}d}"


def parse_number(text: str, layout: NumberLayout = DEFAULT_LAYOUT) -> InvoiceNumber:
    """Split a 20-digit number into its parts; the inverse of `format_number`."""
    _require_digits("invoice number", text, NUMBER_DIGITS)
    code_end = _YEAR_DIGITS + _REGION_DIGITS + layout.code_digits
    sequence = int(text[code_end:])
    if sequence < 1:
        raise InvalidInvoiceNumber(f"expected a sequence of at least 1, got 0 in {text!r}")
    return InvoiceNumber(
        year=2000 + int(text[:_YEAR_DIGITS]),
        region=text[_YEAR_DIGITS : _YEAR_DIGITS + _REGION_DIGITS],
        channel=text[_YEAR_DIGITS + _REGION_DIGITS : code_end],
        sequence=sequence,
    )


def next_sequence(last: int | None, layout: NumberLayout = DEFAULT_LAYOUT) -> int:
    """The sequence after `last` (None: the seller's first invoice of the year is 1)."""
    following = 1 if last is None else last + 1
    if following > layout.max_sequence:
        raise SequenceOverflow(
            f"expected a sequence of at most {layout.max_sequence}, got {following}"
        )
    return following


@dataclass(frozen=True, slots=True)
class NumberingAnomalies:
    """What breaks gap-free numbering in one seller's sequences for one year."""

    gaps: tuple[range, ...]
    duplicates: tuple[int, ...]

    @property
    def clean(self) -> bool:
        return not self.gaps and not self.duplicates


def find_gaps(sequences: Iterable[int]) -> NumberingAnomalies:
    """Missing ranges in 1..max(sequences), and sequences used more than once."""
    counts = Counter(sequences)
    gaps: list[range] = []
    expected = 1
    for sequence in sorted(counts):
        if sequence > expected:
            gaps.append(range(expected, sequence))
        expected = max(expected, sequence + 1)
    duplicates = tuple(sorted(s for s, n in counts.items() if n > 1))
    return NumberingAnomalies(gaps=tuple(gaps), duplicates=duplicates)


def _require_digits(what: str, text: str, length: int) -> None:
    # str.isdigit() accepts other scripts' digits (e.g. "٣"); numbers are ASCII only.
    if len(text) != length or not all("0" <= c <= "9" for c in text):
        raise InvalidInvoiceNumber(f"expected {what} of {length} ASCII digits, got {text!r}")
