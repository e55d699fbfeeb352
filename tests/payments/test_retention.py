"""Retention: applied webhooks after 72 h and the sandbox's settled rows after 7 days go;
nothing still owed an answer goes, and a webhook repeated after its row went is harmless."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, update
from sqlalchemy.orm import Session
from sqlmodel import select

from farechain.payments_setup import make_retention
from payments.models import Payment, PaymentInbox
from payments.retention import Pruned, RetentionPolicy, prune
from payments.sandbox_models import SandboxPayment
from payments.worker import PaymentWorker
from tests.payments.conftest import Pay


def _count(pay: Pay, table: type) -> int:
    with Session(pay.engine) as session:
        return int(session.scalar(select(func.count()).select_from(table)) or 0)


def _paid_world(pay: Pay) -> tuple[PaymentWorker, list[tuple[bytes, dict[str, str]]]]:
    """Trips paid through webhooks; the bodies the sandbox sent, to send again later."""
    sent: list[tuple[bytes, dict[str, str]]] = []
    sandbox = pay.sandbox()

    def deliver(body: bytes, headers: dict[str, str]) -> int:
        sent.append((body, headers))
        return pay.deliver(body, headers)

    worker = pay.worker(sandbox)
    worker.pump = lambda: sandbox.pump(deliver)
    pay.agree()
    pay.ride(8)
    pay.settle(worker)
    return worker, sent


def test_each_table_keeps_rows_for_its_time_then_prunes_them(pay: Pay) -> None:
    _paid_world(pay)
    inbox, sandbox = _count(pay, PaymentInbox), _count(pay, SandboxPayment)
    assert inbox > 0 and sandbox >= 4
    policy = RetentionPolicy(batch=3)  # several batches per table
    now = datetime.now(UTC)
    assert prune(pay.engine, policy, now) == Pruned()
    assert prune(pay.engine, policy, now + timedelta(hours=71)) == Pruned()
    after_3_days = prune(pay.engine, policy, now + timedelta(hours=73))
    assert after_3_days == Pruned(inbox=inbox)
    assert _count(pay, PaymentInbox) == 0 and _count(pay, SandboxPayment) == sandbox
    after_8_days = prune(pay.engine, policy, now + timedelta(days=8))
    assert after_8_days.sandbox_payments == sandbox and _count(pay, SandboxPayment) == 0
    # Farechain's own payment rows and records are never pruned.
    with Session(pay.engine) as session:
        assert {p.status for p in session.scalars(select(Payment))} == {"captured"}
    assert pay.audit() is None


def test_a_pass_prunes_at_most_its_batches_and_the_next_goes_on(pay: Pay) -> None:
    _paid_world(pay)
    inbox = _count(pay, PaymentInbox)
    assert inbox > 2
    policy = RetentionPolicy(batch=1, max_batches=2, sandbox_keep=None)
    later = datetime.now(UTC) + timedelta(hours=73)
    assert prune(pay.engine, policy, later) == Pruned(inbox=2)
    assert _count(pay, PaymentInbox) == inbox - 2
    while prune(pay.engine, policy, later).total:
        pass
    assert _count(pay, PaymentInbox) == 0


def test_rows_still_owed_an_answer_are_kept(pay: Pay) -> None:
    _paid_world(pay)
    with Session(pay.engine) as session:
        session.execute(update(PaymentInbox).values(applied=False))
        session.execute(update(SandboxPayment).values(status="pending"))
        session.commit()
    later = datetime.now(UTC) + timedelta(days=30)
    assert prune(pay.engine, RetentionPolicy(), later) == Pruned()
    # Another provider's books are not ours: only the inbox is pruned.
    assert prune(pay.engine, RetentionPolicy(sandbox_keep=None), later) == Pruned()


def test_a_webhook_repeated_after_its_row_was_pruned_changes_nothing(pay: Pay) -> None:
    worker, sent = _paid_world(pay)
    records = len(pay.records("payment"))
    prune(pay.engine, RetentionPolicy(), datetime.now(UTC) + timedelta(hours=73))
    assert _count(pay, PaymentInbox) == 0
    for body, headers in sent:
        assert pay.deliver(body, headers) in (200, 202)
    assert _count(pay, PaymentInbox) > 0  # taken in again, as new
    pay.settle(worker)
    assert len(pay.records("payment")) == records
    assert pay.audit() is None


def test_the_worker_prunes_on_its_interval(pay: Pay) -> None:
    worker, _ = _paid_world(pay)
    assert _count(pay, PaymentInbox) > 0
    worker.retention = RetentionPolicy(inbox_keep=timedelta(0), interval_s=0.05)
    stop = threading.Event()
    runner = threading.Thread(target=worker.run, args=(stop,))
    runner.start()
    try:
        for _ in range(100):
            if _count(pay, PaymentInbox) == 0:
                break
            stop.wait(0.05)
    finally:
        stop.set()
        runner.join()
    assert _count(pay, PaymentInbox) == 0


def test_the_settings_give_the_policy() -> None:
    from farechain.settings import PaymentSettings, Settings

    settings = Settings(
        payments=PaymentSettings(inbox_keep_h=1.5, sandbox_keep_h=24, prune_interval_s=60)
    )
    policy = make_retention(settings, sandbox=True)
    assert policy.inbox_keep == timedelta(hours=1.5) and policy.interval_s == 60
    assert policy.sandbox_keep == timedelta(hours=24)
    assert make_retention(settings, sandbox=False).sandbox_keep is None
