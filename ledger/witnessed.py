"""The ledger against what its witnesses remember: the check the log cannot make alone.

Removing the last block together with all its rows (records, Merkle nodes, block,
cosignatures, head) leaves a smaller ledger that is consistent in itself, and the audit
(ledger.audit) passes it. A witness outside the database remembers the largest
checkpoint it cosigned (ledger.witness.WitnessState). The ledger must still hold that
tree: a block ending at that size with that root. A smaller ledger is a rollback; the
same size with another root, or no block ending there, is a fork (history rewritten).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from ledger import store
from ledger.witness import WitnessState

__all__ = ["compare_with_witnesses"]


def compare_with_witnesses(
    session: Session, remembered: Sequence[tuple[str, WitnessState]], *, origin: str
) -> str | None:
    """The first disagreement with a witness's remembered checkpoint, or None.

    `remembered` pairs a name for each witness (its state file) with its state; states
    of another log's origin are no evidence about this one and are skipped.
    """
    latest = store.latest_block(session)
    size = latest.tree_size if latest is not None else 0
    for witness, state in remembered:
        if state.origin != origin:
            continue
        if state.size > size:
            return (
                f"witness {witness} cosigned a tree of size {state.size}, the ledger holds "
                f"{size} records: the ledger shrank (a rollback)"
            )
        block = store.block_at_size(session, state.size)
        if block is None:
            return (
                f"witness {witness} cosigned a tree of size {state.size}, no block of the "
                "ledger ends there: its history was rewritten (a fork)"
            )
        if block.root != state.root:
            return (
                f"witness {witness} cosigned root {state.root.hex()} at size {state.size}, "
                f"the ledger's block {block.height} has root {block.root.hex()} (a fork)"
            )
    return None
