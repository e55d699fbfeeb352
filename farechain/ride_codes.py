"""Ride codes wired from the settings: issuing, the gates' verifier, start-up duties."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import redis
from sqlalchemy.orm import Session

from farechain.settings import Settings
from gates.registry import publish_revoked
from ridecodes import keyfiles
from ridecodes.demo import ensure_demo_phones
from ridecodes.service import Issuing, revoked_serials

DEMO_PHONES = "demo-phones.tsv"


def issuing(settings: Settings) -> Issuing:
    rc = settings.ride_codes
    return Issuing(
        key_path=settings.ride_issuer_key_path,
        set_path=settings.ride_issuer_set_path,
        validity_s=rc.certificate_validity_days * 86_400,
        skew_s=settings.gates.max_clock_skew_s,
        window_s=rc.window_s,
        max_span_s=rc.max_certificate_span_days * 86_400,
    )


def verifier_source(settings: Settings) -> keyfiles.VerifierSource:
    return keyfiles.VerifierSource(
        settings.ride_issuer_set_path,
        window_s=settings.ride_codes.window_s,
        max_span_s=settings.ride_codes.max_certificate_span_days * 86_400,
    )


def ensure_issuer_key(settings: Settings, *, seed: bytes | None = None) -> None:
    keyfiles.ensure_issuer_key(
        settings.ride_issuer_key_path,
        settings.ride_issuer_set_path,
        now=int(time.time()),
        seed=seed,
    )


def prepare(settings: Settings, session: Session, client: redis.Redis) -> int:
    """At start: the issuer key, the demo riders' phones, the revocation set in Redis."""
    ensure_issuer_key(settings)
    now = datetime.now(UTC)
    issued = ensure_demo_phones(
        session,
        issuing(settings),
        credentials_path=settings.var_dir / "demo-credentials.json",
        phones_path=settings.var_dir / DEMO_PHONES,
        now=now,
        backdate_s=settings.gates.max_event_age_h * 3600,
    )
    publish_revoked(client, revoked_serials(session, now=now))
    return issued
