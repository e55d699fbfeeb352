"""Chasing what the provider did not tell: quiet attempts queried, declines retried.

Both run once per worker round (`payments.worker`) and hand back news for its one
block: answers found by querying, and write-offs of declined payments nobody owes any
more. Each reads only what is due (the queries are indexed by what they look for).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import Engine, update
from sqlalchemy import select as sa_select
from sqlalchemy.orm import Session
from sqlmodel import col, select

from payments import arrears, keys
from payments.book import News, WriteOff
from payments.models import Payment, PaymentAttempt, Refund
from payments.provider import Provider, ProviderUnavailable
from payments.states import PaymentStatus
from storage.types import among, core_table

__all__ = ["query_quiet", "retry_due"]

log = logging.getLogger(__name__)


def query_quiet(
    engine: Engine, provider: Provider, *, now: datetime, quiet_for_s: float, limit: int
) -> list[News]:
    """Ask the provider about attempts no news has moved for `quiet_for_s`: its answers.

    An attempt the provider never received goes back to `new`, to be sent again with
    the same key; a pending refund it never received is created again, the same way.
    """
    quiet_since = now - timedelta(seconds=quiet_for_s)
    with Session(engine, expire_on_commit=False) as session:
        table = core_table(Payment)
        asked = list(
            session.scalars(
                sa_select(table.c.attempt_key)
                .where(
                    table.c.status.in_(["pending", "authorised"]),
                    table.c.updated_at < quiet_since,
                )
                .limit(limit)
            )
        )
        if asked:  # asked now: not again before query_after_s
            session.execute(
                update(table)
                .where(among(session, table.c.attempt_key, asked))
                .values(updated_at=now)
            )
        refunds = list(
            session.scalars(
                select(Refund)
                .where(col(Refund.status) == "pending", col(Refund.updated_at) < quiet_since)
                .limit(limit)
            )
        )
        for row in refunds:
            row.updated_at = now
        session.commit()
        session.expunge_all()
    news: list[News] = []
    lost: list[bytes] = []
    try:
        answers = provider.query_payments(asked) if asked else []
        for key, answer in zip(asked, answers, strict=True):
            if answer is None:
                lost.append(key)  # it never arrived: `new` sends it again
            else:
                news.append(answer)
        for r in refunds:
            refund = provider.query_refund(key=r.key) or provider.create_refund(
                key=r.key, payer=r.rider_id, amount_fen=r.amount_fen
            )
            news.append(refund)
    except ProviderUnavailable as error:
        log.warning("payment provider unavailable while querying: %s", error)
    if lost:
        with Session(engine) as session:
            session.execute(
                update(Payment)
                .where(col(Payment.attempt_key).in_(lost), col(Payment.status) == "pending")
                .values(status=str(PaymentStatus.NEW))
            )
            session.commit()
    return news


def retry_due(engine: Engine, *, now: datetime, limit: int) -> tuple[int, list[News]]:
    """Declined trip payments due again: a new attempt each, or a write-off when nothing
    is owed any more. Returns how many were retried, and the write-offs to record."""
    write_offs: list[News] = []
    with Session(engine) as session:
        due = list(
            session.scalars(
                select(Payment)
                .where(
                    col(Payment.status) == "declined",
                    col(Payment.kind) == "trip",
                    col(Payment.next_attempt_at) <= now,
                )
                .order_by(col(Payment.created_at))
                .limit(limit)
            )
        )
        if not due:
            return 0, []
        standing = arrears.standing_of(session, sorted({p.rider_id for p in due}))
        owed = {rid: s.owed_fen for rid, s in standing.items()}
        for payment in due:
            amount = min(payment.amount_fen, owed.get(payment.rider_id, 0))
            if amount == 0:
                write_offs.append(WriteOff(payment.key, "paid_otherwise"))
                continue
            owed[payment.rider_id] -= amount
            payment.attempt += 1
            payment.attempt_key = keys.attempt_key(payment.key, payment.attempt)
            payment.amount_fen, payment.status = amount, str(PaymentStatus.NEW)
            payment.next_attempt_at, payment.updated_at = None, now
            session.add(
                PaymentAttempt(
                    key=payment.attempt_key, payment_key=payment.key, attempt=payment.attempt
                )
            )
        session.commit()
    return len(due) - len(write_offs), write_offs
