"""Self-registration of riders with a phone number and a one-time code.

A rider asks for a code for a mainland mobile number, gets six digits (in the demo they
are written to the server log: no SMS is sent), and trades phone and code for a rider
token (a trips.models.Rider; the number's digest goes in RiderPhone). A phone already
registered gets a fresh token for the same rider (signing in on a new phone); the old
token stops working. The number itself is kept only as a digest, and never reaches the
ledger.

SignupError
├── InvalidPhone   422  not an 11-digit mainland mobile number
├── CodeTooSoon    429  a code was sent less than `RESEND_AFTER_S` ago
└── WrongCode      401  no pending code, an expired one, or the wrong digits
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import redis.asyncio as aioredis
from sqlalchemy.orm import Session

from gates import keys
from plumbing.tokens import RIDER_TOKEN_LIFETIME
from trips.errors import TripsError
from trips.models import Rider, RiderPhone
from trips.tokens import new_rider_token

__all__ = [
    "CODE_TTL_S",
    "MAX_ATTEMPTS",
    "RESEND_AFTER_S",
    "CodeTooSoon",
    "InvalidPhone",
    "Registration",
    "SignupError",
    "WrongCode",
    "normalise_phone",
    "redeem_code",
    "register_rider",
    "send_code",
]

CODE_TTL_S = 300
RESEND_AFTER_S = 30
MAX_ATTEMPTS = 5
_MOBILE = re.compile(r"1[3-9][0-9]{9}")


class SignupError(TripsError):
    title = "Sign-up refused"


class InvalidPhone(SignupError):
    status_code = 422
    title = "Invalid phone number"


class CodeTooSoon(SignupError):
    status_code = 429
    title = "Code sent recently"


class WrongCode(SignupError):
    status_code = 401
    title = "Wrong or expired code"


@dataclass(frozen=True)
class Registration:
    rider_id: str
    token: str
    created: bool  # False: an existing rider signed in again


def normalise_phone(text: str) -> str:
    """The 11 digits of a mainland mobile number; spaces, dashes and +86 are allowed."""
    digits = re.sub(r"[\s-]", "", text)
    digits = digits.removeprefix("+86").removeprefix("0086")
    if not _MOBILE.fullmatch(digits):
        raise InvalidPhone(f"expected an 11-digit mobile number starting 13-19, got {text!r}")
    return digits


def _digest(phone: str) -> bytes:
    return hashlib.sha256(b"farechain/phone/v1\n" + phone.encode()).digest()


def _code_digest(phone: str, code: str) -> bytes:
    return hashlib.sha256(f"{phone}:{code}".encode()).digest()


async def send_code(client: aioredis.Redis, phone: str) -> str:
    """A new one-time code for `phone` (normalised); the caller delivers it."""
    key = keys.signup_code(_digest(phone).hex())
    remaining = await client.ttl(key)
    if remaining > CODE_TTL_S - RESEND_AFTER_S:
        wait = remaining - (CODE_TTL_S - RESEND_AFTER_S)
        raise CodeTooSoon(f"a code was sent already; ask again in {wait} s", retry_after_s=wait)
    code = f"{secrets.randbelow(10**6):06d}"
    async with client.pipeline(transaction=True) as pipe:
        pipe.delete(key)
        pipe.hset(key, mapping={"code": _code_digest(phone, code), "attempts": 0})
        pipe.expire(key, CODE_TTL_S)
        await pipe.execute()
    return code


async def redeem_code(client: aioredis.Redis, phone: str, code: str) -> None:
    """Accept `code` for `phone` once; wrong guesses count, and the fifth ends the code."""
    key = keys.signup_code(_digest(phone).hex())
    stored: bytes | None = await client.hget(key, "code")  # type: ignore[assignment]
    if stored is None:
        raise WrongCode("no code is pending for this number (expired or never sent)")
    if hmac.compare_digest(stored, _code_digest(phone, code)):
        # Only one redeemer wins: a second request with the same code finds it gone.
        if await client.delete(key) == 0:
            raise WrongCode("this code was used already")
        return
    attempts = int(await client.hincrby(key, "attempts", 1))
    if attempts >= MAX_ATTEMPTS:
        await client.delete(key)
        raise WrongCode(f"wrong code {MAX_ATTEMPTS} times: ask for a new one", attempts_left=0)
    left = MAX_ATTEMPTS - attempts
    raise WrongCode(f"wrong code; {left} attempts left", attempts_left=left)


def register_rider(
    session: Session, phone: str, lifetime: timedelta = RIDER_TOKEN_LIFETIME
) -> Registration:
    """A new adult rider for `phone`, or a new token for the rider who has it; commits."""
    digest = _digest(phone)
    link = session.get(RiderPhone, digest)
    if link is not None:
        rider = session.get(Rider, link.rider_id)
        assert rider is not None  # the foreign key holds it
        created = False
    else:
        rider = Rider(id=f"r{secrets.token_hex(6)}", token_sha256=b"", category="adult")
        session.add(rider)
        session.flush()
        session.add(RiderPhone(phone_sha256=digest, rider_id=rider.id))
        created = True
    token = new_rider_token(rider, datetime.now(UTC), lifetime)
    session.add(rider)
    session.commit()
    return Registration(rider.id, token, created)
