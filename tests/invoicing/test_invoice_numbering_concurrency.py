"""Numbers stay gap-free and unique when many transactions issue at once.

Threads reserve numbers against the same database, each in its own transaction (on
PostgreSQL this contends for the row lock `invoicing.issue.reserve_numbers` takes, and
for the first-of-the-year insert); API requests re-title and credit in parallel with the
batcher sealing new trips, each a different ledger writer.
"""

from __future__ import annotations

import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import redis
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from sqlmodel import col, select

from invoicing.audit import check_invoices
from invoicing.issue import reserve_numbers
from invoicing.models import Invoice
from invoicing.numbering import find_gaps, parse_number
from tests.invoicing.api_builders import (
    RIDER_A,
    RIDER_B,
    invoice_trips,
    log_keys,
    make_batcher,
    ride,
    rider,
    short_hops,
)
from tests.invoicing.conftest import System
from trips.audit import audit

THREADS = 8
ROUNDS = 20


def test_concurrent_reservations_are_disjoint_and_gap_free(engine: Engine) -> None:
    start = threading.Barrier(THREADS)

    def reserve(seed: int) -> list[range]:
        rng = random.Random(seed)
        taken = []
        start.wait()  # every thread's first reservation races for the missing row
        for _ in range(ROUNDS):
            count = rng.randint(1, 3)
            with Session(engine) as session:
                first = reserve_numbers(session, "szmc", 2031, count)
                time.sleep(rng.random() / 1000)  # hold the lock a little, as a block would
                if rng.random() < 0.2:
                    session.rollback()  # a failed block gives its numbers back
                    continue
                session.commit()
            taken.append(range(first, first + count))
        return taken

    with ThreadPoolExecutor(THREADS) as pool:
        ranges = [r for taken in pool.map(reserve, range(THREADS)) for r in taken]
    numbers = sorted(n for r in ranges for n in r)
    assert numbers == list(range(1, len(numbers) + 1))
    assert len(numbers) > THREADS * ROUNDS


def test_api_issue_in_parallel_with_the_batcher_keeps_numbers_gap_free(
    system: System, engine: Engine, redis_client: redis.Redis
) -> None:
    client, creds, settings = system
    riders = [RIDER_A, RIDER_B] * 6
    numbers = invoice_trips(client, creds, engine, redis_client, settings, riders)
    hops = short_hops(creds)
    for n in range(12):  # trips waiting for the batcher while the API issues
        # Short hops keep the student under the daily cap: each trip is invoiced.
        ride(client, creds, "r0000003", *hops[n % len(hops)], days_back=0)
    batcher = make_batcher(engine, redis_client, settings)

    def change(job: tuple[str, str]) -> Any:
        number, owner = job
        headers = rider(creds, owner)
        if int(number) % 2:
            body = {"title": {"kind": "individual", "name": f"并发{number[-3:]}"}}
            return client.post(f"/v1/me/invoices/{number}/retitle", json=body, headers=headers)
        return client.post(
            f"/v1/me/invoices/{number}/credit", json={"reason": "refund"}, headers=headers
        )

    with ThreadPoolExecutor(THREADS + 1) as pool:
        sealed = pool.submit(batcher.drain)
        answers = list(pool.map(change, zip(numbers, riders, strict=True)))
        assert sealed.result() == 12
    assert [a.status_code for a in answers] == [200] * len(numbers), [a.text for a in answers]
    with Session(engine) as session:
        issued = list(session.scalars(select(col(Invoice.number))))
        by_sequence: dict[str, list[int]] = {}
        for number in issued:
            by_sequence.setdefault(number[:8], []).append(parse_number(number).sequence)
        for prefix, sequences in by_sequence.items():
            assert find_gaps(sequences).clean, prefix
            assert sorted(sequences) == list(range(1, len(sequences) + 1)), prefix
        # Every change issued a credit note, every re-title a new invoice too.
        new_documents = sum(1 for n in issued if n not in numbers) - 12
        assert new_documents == len(numbers) + sum(1 for n in numbers if int(n) % 2)
        assert check_invoices(session) is None
        report = audit(session, verifier_keys=log_keys(client), origin=settings.ledger.origin)
        assert report.problem is None
