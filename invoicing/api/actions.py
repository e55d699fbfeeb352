"""The answer to an invoice action (lock, reimburse, credit, re-title): the block that
recorded it and each invoice's new status, shared by the rider's and companies' routes."""

from __future__ import annotations

from invoicing.schemas import ActionResult, ChangePublic
from invoicing.transitions import Outcome

__all__ = ["action_result"]


def action_result(outcome: Outcome) -> ActionResult:
    return ActionResult(
        block_height=outcome.block_height,
        tree_size=outcome.tree_size,
        changes=[
            ChangePublic(number=number, status=status, record_index=index)
            for number, status, index in outcome.changes
        ],
    )
