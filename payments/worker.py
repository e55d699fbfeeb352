"""The payments worker: the outbox after the batcher's commit, and everything async.

The batcher never waits on a provider. This worker reads what the batcher committed
through persisted cursors (`payment_cursors`): each charge row past the cursor becomes
one payment (its key derived from the trip, its row inserted in the same transaction
that moves the cursor, so a restart neither skips nor repeats one), and each credit
note reversing a trip for a refund becomes one refund. Then, each round:

1. send every `new` payment (in one `create_payments` request) and refund to the
   provider (same key on every resend);
2. record the provider's answers and the received webhooks (the inbox) in one block,
   the inbox rows marked applied in the same transaction;
3. query attempts the provider has been quiet about for `query_after_s`: failures the
   webhooks never told of are found here (`payments.chase`);
4. try declined payments again on the retry schedule, or write them off (the same);
5. push deny-list changes to the edge.

A crash anywhere repeats at most a provider request, whose key makes it harmless.
Every step reads and writes its rows as sets (`payments.book`, `storage.bulk`), so a
round of hundreds of payments costs a few dozen statements.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import redis
from sqlalchemy import Engine, update
from sqlalchemy import select as sa_select
from sqlalchemy.orm import Session
from sqlmodel import col, select

from ledger.store import LedgerWriter
from payments import arrears
from payments.book import News, Policy, Recorded, record_news
from payments.chase import query_quiet, retry_due
from payments.models import (
    Payment,
    PaymentAccount,
    PaymentCursor,
    PaymentInbox,
    Refund,
)
from payments.outbox import open_refunds
from payments.provider import (
    PaymentAnswer,
    PaymentRequest,
    Provider,
    ProviderUnavailable,
    RefundAnswer,
)
from payments.retention import RetentionPolicy, prune
from payments.service import new_trip_payments
from payments.states import Outcome, PaymentStatus, RefundOutcome
from payments.webhooks import decode_news
from storage.types import among, core_table
from trips.models import Charge

__all__ = ["PaymentWorker", "WorkerLimits"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class WorkerLimits:
    batch: int = 500
    query_after_s: float = 30.0
    poll_interval_s: float = 0.1
    # Fault injection for the crash test: after the provider took a batch, before it is
    # recorded, touch this file and stop dead so the test can kill the process there.
    pause_file: Path | None = None


@dataclass
class Round:
    created: int = 0
    sent: int = 0
    recorded: int = 0
    deny: list[arrears.DenyChange] = field(default_factory=list)

    @property
    def busy(self) -> bool:
        return bool(self.created or self.sent or self.recorded)


class PaymentWorker:
    def __init__(
        self,
        engine: Engine,
        writer: LedgerWriter,
        provider: Provider,
        policy: Policy,
        *,
        redis_client: redis.Redis | None = None,
        limits: WorkerLimits = WorkerLimits(),
        pump: Callable[[], int] | None = None,
        retention: RetentionPolicy | None = None,
    ) -> None:
        self.engine, self.writer, self.provider, self.policy = engine, writer, provider, policy
        self.redis, self.limits, self.pump = redis_client, limits, pump
        self.retention = retention

    def run(self, stop: threading.Event) -> None:
        self.restore_deny_list()
        # An in-process provider (the sandbox) settles and sends its webhooks on a thread
        # of its own, as a real one does on its own machines: its notifications do not
        # wait for the worker's round to end.
        provider = None
        if self.pump is not None:
            provider = threading.Thread(target=self._pump, args=(stop,), name="provider")
            provider.start()
        prune_at = time.monotonic()
        while not stop.is_set():
            try:
                busy = self.run_once(datetime.now(UTC)).busy
            except Exception:
                log.exception("payments round failed; trying again")
                busy = False
                stop.wait(1.0)
            if self.retention is not None and time.monotonic() >= prune_at:
                prune_at = time.monotonic() + self.retention.interval_s
                self.prune(datetime.now(UTC))
            if not busy:
                stop.wait(self.limits.poll_interval_s)
        if provider is not None:
            provider.join()

    def _pump(self, stop: threading.Event) -> None:
        assert self.pump is not None
        while not stop.is_set():
            try:
                sent = self.pump()
            except Exception:
                log.exception("provider round failed; trying again")
                sent = 0
                stop.wait(1.0)
            if not sent:
                stop.wait(self.limits.poll_interval_s / 2)

    def prune(self, now: datetime) -> None:
        """Retention's pass (`payments.retention`); a failure waits for the next one."""
        assert self.retention is not None
        try:
            pruned = prune(self.engine, self.retention, now)
        except Exception:
            log.exception("pruning old payment rows failed; trying at the next interval")
            return
        if pruned.total:
            log.info("pruned %s", pruned)

    def restore_deny_list(self) -> None:
        """Make the edge's deny list the database's again (after a crash or a reseed)."""
        if self.redis is None:
            return
        with Session(self.engine) as session:
            arrears.push(self.redis, arrears.blocked_now(session))

    def run_once(self, now: datetime) -> Round:
        result = Round()
        with Session(self.engine) as session:
            result.created += self._enqueue_charges(session, now)
            result.created += open_refunds(
                session, self.writer, self.policy, now, self.limits.batch
            )
        # The provider's answers, the webhooks received meanwhile and what queries found:
        # one block, one wait for the ledger's lock per round.
        news = self._send(result)
        received, inbox = self._read_inbox()
        news += received + query_quiet(
            self.engine,
            self.provider,
            now=now,
            quiet_for_s=self.limits.query_after_s,
            # At most a fifth of a batch a round: under a backlog most quiet attempts
            # have webhooks on their way, and asking of all would deepen the backlog.
            limit=max(1, self.limits.batch // 5),
        )
        self._mark_pending(news, now)
        self._record([n for n in news if not _is_pending(n)], now, result, inbox=inbox)
        retried, write_offs = retry_due(self.engine, now=now, limit=self.limits.batch)
        result.created += retried
        self._record(write_offs, now, result)
        if self.redis is not None:
            arrears.push(self.redis, result.deny)
        return result

    def _record(
        self, news: list[News], now: datetime, result: Round, inbox: list[str] | None = None
    ) -> None:
        if not news and not inbox:  # webhooks that said nothing new are still marked
            return
        with Session(self.engine) as session:
            recorded: Recorded = record_news(
                session, self.writer, self.policy, news, now, inbox=inbox or ()
            )
        result.recorded += recorded.records
        result.deny += recorded.deny

    def _mark_pending(self, news: list[News], now: datetime) -> None:
        """`new` -> `pending` for the attempts the provider says it has.

        What `record_news` would do with such news (no ledger record, only the status),
        as one UPDATE outside the ledger's lock; news of an older attempt, or of a
        payment past `new`, matches no row, as `apply_news` would change nothing.
        """
        taken = [n.key for n in news if isinstance(n, PaymentAnswer) and _is_pending(n)]
        if not taken:
            return
        with Session(self.engine) as session:
            table = core_table(Payment)
            session.execute(
                update(table)
                .where(among(session, table.c.attempt_key, taken), table.c.status == "new")
                .values(status=str(PaymentStatus.PENDING), updated_at=now)
            )
            session.commit()

    # -- 0: the outbox over committed charges -----------------------------------------
    def _enqueue_charges(self, session: Session, now: datetime) -> int:
        cursor = session.get(PaymentCursor, "charges") or PaymentCursor(name="charges")
        charges = list(
            session.execute(
                select(
                    col(Charge.record_index),
                    col(Charge.trip_event_id),
                    col(Charge.rider_id),
                    col(Charge.amount_fen),
                )
                .where(col(Charge.record_index) > cursor.position)
                .order_by(col(Charge.record_index))
                .limit(self.limits.batch)
            )
        )
        if not charges:
            return 0
        # A free trip (a cap reached) owes nothing. The rows go in as a set, in the
        # transaction that moves the cursor: a restart neither skips nor repeats one.
        created = new_trip_payments(
            session,
            [(event_id, rider_id, amount) for _, event_id, rider_id, amount in charges if amount],
            provider=self.policy.provider,
            now=now,
        )
        cursor.position = charges[-1][0]
        session.add(cursor)
        session.commit()
        return created

    # -- 1: send what the provider has not taken yet ----------------------------------
    def _send(self, result: Round) -> list[News]:
        """Send what the provider has not taken; its answers, to record."""
        with Session(self.engine) as session:
            table = core_table(Payment)
            payments = list(
                session.execute(
                    sa_select(
                        table.c.attempt_key,
                        table.c.rider_id,
                        table.c.kind,
                        table.c.trip_event_id,
                        table.c.amount_fen,
                    )
                    .where(table.c.status == "new")
                    .order_by(table.c.created_at)
                    .limit(self.limits.batch)
                )
            )
            riders = {p.rider_id for p in payments}
            agreements = (
                dict(
                    session.execute(
                        select(
                            col(PaymentAccount.rider_id), col(PaymentAccount.agreement_ref)
                        ).where(
                            among(session, col(PaymentAccount.rider_id), riders),
                            col(PaymentAccount.agreement) == "active",
                        )
                    ).all()
                )
                if riders
                else {}
            )
            refunds = list(
                session.scalars(
                    select(Refund).where(col(Refund.status) == "new").limit(self.limits.batch)
                )
            )
            session.expunge_all()
        news: list[News] = []
        requests: list[PaymentRequest] = []
        for p in payments:
            ref = agreements.get(p.rider_id)
            if p.kind == "trip" and ref is None:
                news.append(
                    PaymentAnswer(p.attempt_key, "", Outcome.DECLINED, p.amount_fen, "no_agreement")
                )
                continue
            requests.append(
                PaymentRequest(
                    key=p.attempt_key,
                    agreement_ref=ref if p.kind == "trip" else None,
                    amount_fen=p.amount_fen,
                    description=p.trip_event_id or "pay-now",
                )
            )
        try:
            if requests:
                # One request for the batch; an item not taken stays `new` for next round.
                news += [a for a in self.provider.create_payments(requests) if a is not None]
            for r in refunds:
                if r.amount_fen == 0:
                    news.append(RefundAnswer(r.key, "", RefundOutcome.SUCCEEDED, 0))
                else:
                    news.append(
                        self.provider.create_refund(
                            key=r.key, payer=r.rider_id, amount_fen=r.amount_fen
                        )
                    )
        except ProviderUnavailable as error:
            log.warning("payment provider unavailable: %s; the rest waits", error)
        result.sent += len(news)
        if news and self.limits.pause_file is not None:
            self.limits.pause_file.touch()
            while True:  # killed here by the crash test
                time.sleep(1)
        return news

    # -- 2: webhooks --------------------------------------------------------------------
    def _read_inbox(self) -> tuple[list[News], list[str]]:
        """The news of webhooks not applied yet, and their ids (marked when recorded)."""
        with Session(self.engine) as session:
            rows = list(
                session.execute(
                    select(col(PaymentInbox.event_id), col(PaymentInbox.body))
                    .where(~col(PaymentInbox.applied))
                    .limit(self.limits.batch)
                )
            )
        return [decode_news(body).about for _, body in rows], [event_id for event_id, _ in rows]


def _is_pending(news: News) -> bool:
    return isinstance(news, PaymentAnswer) and news.outcome is Outcome.PENDING
