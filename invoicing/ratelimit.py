"""Rate limits of public verification, as fixed-window counters in Redis.

Each request increments two counters, one per invoice number and one per client, keyed
by the current window (`fc:rl:verify:<scope>:<id>:<window number>`), with one `MULTI`
of `INCR` and `EXPIRE`; a counter past its limit refuses the request until the window
ends. Per invoice stops someone guessing the date and total of one number; per client
stops someone walking through numbers. The client is the peer address the server sees:
behind a load balancer, pass the forwarded address (a trusted proxy setting), or every
client shares one counter.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import redis.asyncio as aioredis

from gates import keys
from invoicing.errors import RateLimited

__all__ = ["KEY_PREFIX", "VerifyLimits", "check_verify_limits", "client_key", "invoice_key"]

KEY_PREFIX = keys.VERIFY_RATE_LIMIT


@dataclass(frozen=True, slots=True)
class VerifyLimits:
    per_invoice: int = 20
    per_client: int = 120
    window_s: int = 60


def invoice_key(number: str, window: int) -> str:
    return f"{KEY_PREFIX}:invoice:{number}:{window}"


def client_key(client: str, window: int) -> str:
    return f"{KEY_PREFIX}:client:{client}:{window}"


async def check_verify_limits(
    redis: aioredis.Redis,
    limits: VerifyLimits,
    *,
    number: str,
    client: str,
    now_s: float | None = None,
) -> None:
    """Count one verification; raise `RateLimited` if either counter is past its limit."""
    now_s = time.time() if now_s is None else now_s
    window = int(now_s // limits.window_s)
    keys = (client_key(client, window), invoice_key(number, window))
    async with redis.pipeline(transaction=True) as pipe:
        for key in keys:
            pipe.incr(key)
            # Twice the window: a key outlives its window however late the INCR came.
            pipe.expire(key, 2 * limits.window_s)
        client_count, _, invoice_count, _ = await pipe.execute()
    retry_after = max(1, math.ceil((window + 1) * limits.window_s - now_s))
    if int(client_count) > limits.per_client:
        raise RateLimited(
            f"expected at most {limits.per_client} verifications per {limits.window_s} s "
            f"from one client, got {client_count}; retry in {retry_after} s",
            retry_after_s=retry_after,
        )
    if int(invoice_count) > limits.per_invoice:
        raise RateLimited(
            f"expected at most {limits.per_invoice} verifications of invoice {number} per "
            f"{limits.window_s} s, got {invoice_count}; retry in {retry_after} s",
            retry_after_s=retry_after,
        )
