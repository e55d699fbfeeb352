"""Imports every table module so that SQLModel's metadata knows the whole schema."""

from invoicing import models as _invoicing
from ledger import models as _ledger
from trips import models as _trips

__all__ = ["_invoicing", "_ledger", "_trips"]
