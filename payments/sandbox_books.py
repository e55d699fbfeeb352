"""The sandbox provider's bookkeeping in bulk: many requests, one statement each.

What a provider does on its side for a batch of requests (open the payments, settle the
due ones, keep and send notifications), as set operations over the sandbox's tables,
so a batch of 500 costs a few statements rather than a few per payment. The caller
owns the transaction; the decisions (an outcome per key, which notifications) stay in
`payments.sandbox`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

from sqlalchemy import Table, delete, select, update
from sqlalchemy.orm import Session

from payments.provider import PaymentAnswer, PaymentRequest, RefundAnswer
from payments.sandbox_models import SandboxAgreement, SandboxPayment, SandboxRefund, SandboxWebhook
from payments.states import Outcome, RefundOutcome
from storage.bulk import insert_missing, insert_tuples, update_by_key
from storage.types import among, core_table

__all__ = [
    "PAYMENTS",
    "REFUNDS",
    "Answer",
    "Due",
    "add_webhooks",
    "answers",
    "due_webhooks",
    "mark_webhooks",
    "open_payments",
    "open_refund",
    "settle_due",
]

PAYMENTS, REFUNDS = core_table(SandboxPayment), core_table(SandboxRefund)
_AGREEMENTS, _WEBHOOKS = core_table(SandboxAgreement), core_table(SandboxWebhook)
Answer = PaymentAnswer | RefundAnswer
Outcomes = Callable[[Table, bytes], tuple[str, str | None]]


class Due(NamedTuple):
    id: int
    event_id: str
    body: bytes
    attempts: int


def open_payments(
    session: Session, requests: Sequence[PaymentRequest], now: int, latency_ms: int
) -> list[PaymentAnswer]:
    """Open a payment per new key (a key seen before keeps its first payment).

    A deduction under no active agreement is declined at once, as WeChat Pay refuses
    one; those refusals are returned, to be announced.
    """
    refs = {r.agreement_ref for r in requests if r.agreement_ref is not None}
    active = set(
        session.scalars(
            select(_AGREEMENTS.c.ref).where(
                among(session, _AGREEMENTS.c.ref, refs), _AGREEMENTS.c.active.is_(True)
            )
        )
        if refs
        else ()
    )
    rows: dict[bytes, dict[str, Any]] = {}
    for r in requests:
        refused = r.agreement_ref is not None and r.agreement_ref not in active
        rows.setdefault(
            r.key,
            {
                "key": r.key,
                "ref": "pay_" + r.key[:12].hex(),
                "agreement_ref": r.agreement_ref,
                "amount_fen": r.amount_fen,
                "status": "declined" if refused else "pending",
                "reason": "no_agreement" if refused else None,
                "created_ms": now,
                "settle_ms": now + latency_ms,
            },
        )
    # A key that raced in from a resend (or was taken before) is passed over: the
    # first payment stands, and only the rows opened here are announced.
    opened = insert_missing(session, PAYMENTS, list(rows.values()), "key")
    return [
        PaymentAnswer(k, rows[k]["ref"], Outcome.DECLINED, rows[k]["amount_fen"], "no_agreement")
        for k in opened
        if rows[k]["status"] == "declined"
    ]


def open_refund(
    session: Session, key: bytes, payer: str, amount_fen: int, now: int, latency_ms: int
) -> None:
    row = {
        "key": key,
        "ref": "re_" + key[:12].hex(),
        "payer": payer,
        "amount_fen": amount_fen,
        "status": "pending",
        "reason": None,
        "created_ms": now,
        "settle_ms": now + latency_ms,
    }
    insert_missing(session, REFUNDS, [row], "key")


def answers(session: Session, table: Table, keys: Sequence[bytes]) -> dict[bytes, Answer]:
    """The provider's answer for each key it has, by key."""
    if not keys:
        return {}
    rows = session.execute(
        select(table.c.key, table.c.ref, table.c.status, table.c.amount_fen, table.c.reason).where(
            among(session, table.c.key, list(keys))
        )
    )
    return {row.key: _answer(table, row) for row in rows}


def settle_due(
    session: Session,
    now: int,
    outcome: Outcomes,
    only_keys: Sequence[bytes] | None,
    limit: int,
    *,
    tables: Sequence[Table] = (PAYMENTS, REFUNDS),
) -> list[Answer]:
    """Settle the pending payments and refunds that are due; the ones settled here.

    One conditional UPDATE per outcome, `... AND status = 'pending' RETURNING`: of two
    settlers at once (a query, the pump) exactly one wins each row, and it alone
    announces it.
    """
    settled: list[Answer] = []
    for table in tables:
        query = select(table.c.key).where(table.c.status == "pending", table.c.settle_ms <= now)
        if only_keys is not None:
            query = query.where(among(session, table.c.key, list(only_keys)))
        due = list(session.scalars(query.limit(limit)))
        groups: dict[tuple[str, str | None], list[bytes]] = defaultdict(list)
        for key in due:
            groups[outcome(table, key)].append(key)
        for (status, reason), keys in groups.items():
            won = session.execute(
                update(table)
                .where(among(session, table.c.key, keys), table.c.status == "pending")
                .values(status=status, reason=reason)
                .returning(
                    table.c.key, table.c.ref, table.c.status, table.c.amount_fen, table.c.reason
                )
            )
            settled += [_answer(table, row) for row in won]
    return settled


def add_webhooks(session: Session, rows: Sequence[tuple[str, bytes, int, int, bool]]) -> None:
    """Queue notifications: (event id, body, deliver at ms, attempts, done) each."""
    columns = ("event_id", "body", "deliver_ms", "attempts", "done")
    insert_tuples(session, _WEBHOOKS, columns, rows)


def due_webhooks(session: Session, now: int, limit: int) -> list[Due]:
    """Due notifications, in no particular order (a provider promises none)."""
    rows = session.execute(
        select(_WEBHOOKS.c.id, _WEBHOOKS.c.event_id, _WEBHOOKS.c.body, _WEBHOOKS.c.attempts)
        .where(_WEBHOOKS.c.done.is_(False), _WEBHOOKS.c.deliver_ms <= now)
        .limit(limit)
    )
    return [Due(*row) for row in rows]


def mark_webhooks(
    session: Session,
    now: int,
    delivered: Sequence[int],
    failed: Sequence[tuple[int, int]],
    max_deliveries: int,
) -> None:
    """Delivered ones are gone; failed ones (id, attempts so far) wait, backing off.

    A delivered notification is deleted, not kept as done: the queue stays as short as
    what is in flight, so finding the due ones never reads past ones.
    """
    if delivered:
        session.execute(delete(_WEBHOOKS).where(among(session, _WEBHOOKS.c.id, list(delivered))))
    # Like Stripe: resend with backoff while the receiver fails, up to a limit.
    update_by_key(
        session,
        _WEBHOOKS,
        "id",
        ("attempts", "done", "deliver_ms"),
        [
            (id_, attempts, attempts >= max_deliveries, now + min(2**attempts, 3600) * 1000)
            for id_, attempts in failed
        ],
    )


def _answer(table: Table, row: Any) -> Answer:
    if table is PAYMENTS:
        return PaymentAnswer(row.key, row.ref, Outcome(row.status), row.amount_fen, row.reason)
    return RefundAnswer(row.key, row.ref, RefundOutcome(row.status), row.amount_fen, row.reason)
