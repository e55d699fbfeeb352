"""The parties on an invoice: the seller (an operator) and the buyer (the rider's title).

A rider's invoice title (发票抬头) is either an individual, named but without a tax ID,
or a company, with its name and its unified social credit code. Every tax ID is checked
per GB 32100-2015 when the party is built, so an invalid code never reaches an invoice.
"""

from __future__ import annotations

from dataclasses import dataclass

from invoicing.errors import InvalidInvoiceData
from invoicing.tax import TaxRegime
from invoicing.text import check_text
from invoicing.uscc import check_uscc

__all__ = ["Party", "Seller", "company_title", "individual_title"]


@dataclass(frozen=True, slots=True)
class Party:
    """A named party; `tax_id` is its unified social credit code (None for individuals)."""

    name: str
    tax_id: str | None = None
    address: str | None = None

    def __post_init__(self) -> None:
        check_text("party name", self.name)
        if self.address is not None:
            check_text("party address", self.address)
        if self.tax_id is not None:
            check_uscc(self.tax_id)

    @property
    def is_company(self) -> bool:
        return self.tax_id is not None


@dataclass(frozen=True, slots=True, kw_only=True)
class Seller(Party):
    """An operator selling transport: a company with a tax ID and a current VAT regime."""

    regime: TaxRegime

    def __post_init__(self) -> None:
        if self.tax_id is None:
            raise InvalidInvoiceData(f"expected a tax ID for seller {self.name!r}, got none")
        Party.__post_init__(self)


def individual_title(name: str) -> Party:
    """An individual's invoice title: a name and nothing else."""
    return Party(name)


def company_title(name: str, tax_id: str) -> Party:
    """A company's invoice title; raises `InvalidTaxId` (with `.expected`) on a bad code."""
    return Party(name, tax_id)
