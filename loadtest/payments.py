"""The run's payments: every charged trip paid, and how long after tap-out.

After the batcher has drained, the payments worker is still collecting: `wait_settled`
waits (up to a limit) until each charged trip of this run has a payment and none is in
flight. `check_payments` then reads the ledger's `payment` records of this run (the
truth, as the audit reads trip records) and measures, for each trip whose payment was
captured, the time from the exit tap's arrival at the API (`received_ms` in the trip
record) to the block holding the `captured` record: its block time, and the moment the
sampler first saw that block committed.
"""

from __future__ import annotations

import math
import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field

import orjson
from sqlalchemy import Engine, text

from loadtest.audit import epoch_ms

_IN_FLIGHT = ("new", "pending", "authorised")


@dataclass
class PaymentCheck:
    charged: int = 0  # trips of this run with a fare to pay
    statuses: Counter[str] = field(default_factory=Counter)  # latest status per payment
    lag_ms: list[float] = field(default_factory=list)  # tap-out -> captured block time
    lag_commit_ms: list[float] = field(default_factory=list)  # -> that block seen committed

    @property
    def unsettled(self) -> int:
        return self.charged - self.statuses["captured"] - self.statuses["declined"]


def _counts(engine: Engine, id_prefix: str) -> tuple[int, Counter[str]]:
    like = {"p": id_prefix + "%"}
    with engine.connect() as connection:
        charged = connection.execute(
            text("SELECT count(*) FROM charges WHERE trip_event_id LIKE :p AND amount_fen > 0"),
            like,
        ).scalar_one()
        statuses = Counter(
            {
                str(status): int(n)
                for status, n in connection.execute(
                    text(
                        "SELECT status, count(*) FROM payments"
                        " WHERE trip_event_id LIKE :p GROUP BY status"
                    ),
                    like,
                )
            }
        )
    return int(charged), statuses


def wait_settled(engine: Engine, id_prefix: str, timeout_s: float) -> float:
    """Seconds until every charged trip of the run has a settled payment; NaN if never."""
    began = time.time()
    while time.time() - began < timeout_s:
        charged, statuses = _counts(engine, id_prefix)
        made = sum(statuses.values())
        if made >= charged and not any(statuses[s] for s in _IN_FLIGHT):
            return time.time() - began
        time.sleep(0.5)
    return math.nan


def check_payments(
    engine: Engine,
    *,
    id_prefix: str,
    from_height: int,
    tap_out_ms: Mapping[str, int],
    block_seen_ms: Mapping[int, int],
) -> PaymentCheck:
    check = PaymentCheck()
    check.charged, check.statuses = _counts(engine, id_prefix)
    with engine.connect() as connection:
        blocks = connection.execute(
            text("SELECT height, created_at, first_index FROM blocks WHERE height > :h"),
            {"h": from_height},
        ).all()
        block_ms = {int(h): epoch_ms(created) for h, created, _ in blocks}
        first_index = min((first for _, _, first in blocks), default=None)
        result = connection.execution_options(yield_per=5_000).execute(
            text(
                "SELECT body, block_height FROM ledger_records WHERE idx >= :i AND type = 'payment'"
            ),
            {"i": first_index},
        )
        for body, height in result:
            record = orjson.loads(body)
            event_id = record.get("trip_event_id") or ""
            if record["status"] != "captured" or not event_id.startswith(id_prefix):
                continue
            tapped = tap_out_ms.get(event_id)
            if tapped is None:
                continue
            check.lag_ms.append(block_ms[int(height)] - tapped)
            seen = block_seen_ms.get(int(height))
            if seen is not None:
                check.lag_commit_ms.append(seen - tapped)
    return check
