"""Imports every table module so that SQLModel's metadata knows the whole schema."""

from invoicing import models as _invoicing
from ledger import models as _ledger
from operators import models as _operators
from payments import models as _payments
from payments import sandbox_models as _sandbox
from ridecodes import models as _ridecodes
from trips import models as _trips

__all__ = ["_invoicing", "_ledger", "_operators", "_payments", "_ridecodes", "_sandbox", "_trips"]
