"""Imports every table module so that SQLModel's metadata knows the whole schema."""

from farechain import models as _parties
from invoicing import models as _invoicing
from ledger import models as _ledger

__all__ = ["_invoicing", "_ledger", "_parties"]
