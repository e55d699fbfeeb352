"""`farechain verify`'s checks of the domains' own rows against their ledger records.

`trips.audit` checks the trips, charges, balances and invoices; the domains above it
(payments, operators) import trips, so trips cannot call them: the wiring does, here,
once the ledger itself and the trip projections have passed.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from ledger.keys import Verifier
from operators.audit import check_statement_rows
from payments.audit import check_payment_rows

__all__ = ["check_domain_rows"]


def check_domain_rows(session: Session, verifier_keys: Sequence[str] = ()) -> str | None:
    """The first row that disagrees with its record, or None.

    `verifier_keys`: the log's keys, retired ones too; statements must be signed by one.
    """
    verifiers = [Verifier.parse(key) for key in verifier_keys]
    return check_payment_rows(session) or check_statement_rows(session, verifiers)
