"""Arrears and the deny list: who owes too much to pass the gate, and telling the edge.

A rider is in arrears when a collection failed (a declined or written-off payment) and
debt is left that no payment in flight is collecting; past `block_fen` the rider is put
on the gate's deny list. Paying (pay-now, a retry that succeeds, a refund netting the
debt) takes the rider off at once.

The database is the truth (`PaymentAccount.debt_blocked`, and the rider's `blocked`
flag the gate registry is built from); Redis is the edge's copy, written after the
commit and rebuilt from the database when the worker starts. Every key is the gate's
(`gates.keys`): RIDERS says "ok" | "blocked", DENY says why and how much.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import redis
import redis.asyncio as aioredis
from sqlalchemy import func
from sqlalchemy.orm import Session
from sqlmodel import col, select

from gates import keys
from payments.models import Payment, PaymentAccount
from payments.states import IN_FLIGHT, PaymentStatus
from storage.types import among
from trips.models import Rider

__all__ = ["DenyChange", "Standing", "push", "push_async", "restate", "standing_of"]

_FAILED = (PaymentStatus.DECLINED, PaymentStatus.WRITTEN_OFF)


@dataclass(frozen=True, slots=True)
class Standing:
    balance_fen: int
    in_flight_fen: int
    failed: bool  # some collection failed

    @property
    def owed_fen(self) -> int:
        """Debt no payment in flight is collecting: what pay-now may pay, at most."""
        return max(0, max(0, -self.balance_fen) - self.in_flight_fen)

    @property
    def arrears_fen(self) -> int:
        return self.owed_fen if self.failed else 0


@dataclass(frozen=True, slots=True)
class DenyChange:
    rider_id: str
    blocked: bool
    owed_fen: int


def standing_of(session: Session, rider_ids: Sequence[str]) -> dict[str, Standing]:
    if not rider_ids:
        return {}
    balances = dict(
        session.execute(
            select(col(Rider.id), col(Rider.balance_fen)).where(
                among(session, col(Rider.id), rider_ids)
            )
        ).all()
    )
    in_flight: dict[str, int] = dict(
        session.execute(
            select(col(Payment.rider_id), func.sum(col(Payment.amount_fen)))
            .where(
                among(session, col(Payment.rider_id), rider_ids),
                col(Payment.status).in_([str(s) for s in IN_FLIGHT]),
            )
            .group_by(col(Payment.rider_id))
        ).all()
    )
    failed = set(
        session.scalars(
            select(col(Payment.rider_id))
            .where(
                among(session, col(Payment.rider_id), rider_ids),
                col(Payment.kind) == "trip",
                col(Payment.status).in_([str(s) for s in _FAILED]),
            )
            .distinct()
        )
    )
    return {
        rid: Standing(int(balances[rid]), int(in_flight.get(rid) or 0), rid in failed)
        for rid in rider_ids
        if rid in balances
    }


def restate(session: Session, rider_ids: Iterable[str], *, block_fen: int) -> list[DenyChange]:
    """Block or unblock each rider as the arrears say (no commit); the changes to push."""
    ids = sorted(set(rider_ids))
    if not ids:
        return []
    standings = standing_of(session, ids)
    accounts = {
        rid: (blocked, owed)
        for rid, blocked, owed in session.execute(
            select(
                col(PaymentAccount.rider_id),
                col(PaymentAccount.debt_blocked),
                col(PaymentAccount.blocked_owed_fen),
            ).where(among(session, col(PaymentAccount.rider_id), ids))
        )
    }
    changes = []
    for rid, standing in standings.items():
        known = accounts.get(rid)
        blocked, owed = known or (False, 0)
        arrears = standing.arrears_fen
        block = arrears >= block_fen and arrears > 0
        if block == blocked and (not block or owed == arrears):
            continue
        # A row only where the standing changes: an API request may be creating the
        # same rider's row at this moment, and a clash costs the worker its round.
        created = None
        if known is None:
            created = PaymentAccount(rider_id=rid)
            session.add(created)
        # Only the riders whose standing changes are loaded as objects: a few per batch.
        account = created or session.get(PaymentAccount, rid, populate_existing=True)
        rider = session.get(Rider, rid)
        assert account is not None and rider is not None
        if block:
            rider.blocked = True
        elif blocked:
            rider.blocked = False  # only a block for debt is lifted by paying
        account.debt_blocked, account.blocked_owed_fen = block, arrears if block else 0
        changes.append(DenyChange(rid, block, arrears))
    session.flush()
    return changes


def _fields(change: DenyChange) -> str:
    return json.dumps({"reason": "debt", "owed_fen": change.owed_fen}, sort_keys=True)


def push(client: redis.Redis, changes: Sequence[DenyChange]) -> None:
    """Tell the edge (after the commit): blocked riders with what they owe, or cleared."""
    if not changes:
        return
    pipe = client.pipeline(transaction=True)
    _queue(pipe, changes)
    pipe.execute()


async def push_async(client: aioredis.Redis, changes: Sequence[DenyChange]) -> None:
    if not changes:
        return
    pipe = client.pipeline(transaction=True)
    _queue(pipe, changes)
    await pipe.execute()


def blocked_now(session: Session) -> list[DenyChange]:
    """Every rider blocked for debt, to rebuild the edge's copy when the worker starts."""
    rows = session.execute(
        select(col(PaymentAccount.rider_id), col(PaymentAccount.blocked_owed_fen)).where(
            col(PaymentAccount.debt_blocked).is_(True)
        )
    )
    return [DenyChange(rid, True, owed) for rid, owed in rows]


def _queue(pipe: Any, changes: Sequence[DenyChange]) -> None:
    # The same commands on a sync or an asyncio pipeline: each only queues them.
    for change in changes:
        if change.blocked:
            pipe.hset(keys.RIDERS, change.rider_id, "blocked")
            pipe.hset(keys.DENY, change.rider_id, _fields(change))
        else:
            pipe.hset(keys.RIDERS, change.rider_id, "ok")
            pipe.hdel(keys.DENY, change.rider_id)
