"""The rider's phones: enrol a key, issue and renew its certificate, revoke it.

Plain functions over a session; the caller passes the issuing configuration and
publishes revocations to the gates (`gates.registry.revoke_serials`).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import func
from sqlalchemy.orm import Session
from sqlmodel import col, select

from ridecodes import keyfiles
from ridecodes.errors import PhoneKeyInvalid, PhoneNotFound, PhoneRevoked, RideCodeMalformed
from ridecodes.issuer import IssuerSigner, issue_certificate
from ridecodes.models import Phone, RideCertificate
from ridecodes.wire import Category, Certificate, from_b64url

__all__ = [
    "Issuing",
    "certificate_row",
    "enrol_phone",
    "issue_for",
    "list_phones",
    "parse_phone_key",
    "renew_certificate",
    "revoke_phone",
    "revoked_serials",
]

Revoked = list[tuple[str, int]]  # (serial hex, valid_until unix s)


@dataclass(frozen=True, slots=True)
class Issuing:
    """How certificates are issued: the issuer key files and their validity."""

    key_path: Path
    set_path: Path
    validity_s: int
    # A certificate starts this much before it is issued, so a gate whose clock is
    # a little behind the issuer's does not refuse a phone just enrolled.
    skew_s: int
    window_s: int
    max_span_s: int

    def signer(self) -> IssuerSigner:
        # Read at each issue: a rotation takes effect without a restart. Issuing is rare.
        return keyfiles.load_issuer_signer(self.key_path)


def parse_phone_key(text: str) -> bytes:
    try:
        raw = from_b64url(text, "public key")
    except RideCodeMalformed as error:
        raise PhoneKeyInvalid(error.detail) from None
    if len(raw) != 32:
        raise PhoneKeyInvalid(f"expected a raw 32-byte Ed25519 key, got {len(raw)} bytes")
    Ed25519PublicKey.from_public_bytes(raw)
    return raw


def enrol_phone(
    session: Session,
    *,
    rider_id: str,
    category: str,
    public_key: bytes,
    label: str,
    issuing: Issuing,
    now: datetime,
) -> tuple[Phone, Certificate]:
    phone = Phone(
        id=f"ph-{secrets.token_hex(6)}",
        rider_id=rider_id,
        public_key=public_key,
        label=label,
        enrolled_at=now,
    )
    session.add(phone)
    session.flush()
    certificate = issue_for(session, phone, category, issuing, now=now)
    session.commit()
    return phone, certificate


def renew_certificate(
    session: Session,
    *,
    rider_id: str,
    category: str,
    phone_id: str,
    issuing: Issuing,
    now: datetime,
) -> tuple[Phone, Certificate]:
    phone = _own_phone(session, rider_id, phone_id)
    if phone.revoked_at is not None:
        raise PhoneRevoked(f"phone {phone_id!r} was revoked; enrol a new key")
    certificate = issue_for(session, phone, category, issuing, now=now)
    session.commit()
    return phone, certificate


def issue_for(
    session: Session,
    phone: Phone,
    category: str,
    issuing: Issuing,
    *,
    now: datetime,
    valid_from: datetime | None = None,
) -> Certificate:
    """A new certificate for `phone`, recorded (not committed)."""
    start = valid_from or now - timedelta(seconds=issuing.skew_s)
    until = now + timedelta(seconds=issuing.validity_s)
    certificate = issue_certificate(
        issuing.signer(),
        rider=phone.rider_id,
        phone_key=phone.public_key,
        valid_from=int(start.timestamp()),
        valid_until=int(until.timestamp()),
        category=Category[category.upper()],
    )
    session.add(certificate_row(phone.id, certificate))
    return certificate


def certificate_row(phone_id: str, certificate: Certificate) -> RideCertificate:
    return RideCertificate(
        serial=certificate.serial.hex(),
        phone_id=phone_id,
        issuer_key_id=certificate.issuer_key_id.hex(),
        valid_from=datetime.fromtimestamp(certificate.valid_from, UTC),
        valid_until=datetime.fromtimestamp(certificate.valid_until, UTC),
    )


def list_phones(session: Session, *, rider_id: str) -> list[tuple[Phone, datetime | None]]:
    newest = (
        select(RideCertificate.phone_id, func.max(RideCertificate.valid_until).label("until"))
        .group_by(col(RideCertificate.phone_id))
        .subquery()
    )
    rows = session.execute(
        select(Phone, newest.c.until)
        .outerjoin(newest, newest.c.phone_id == Phone.id)
        .where(Phone.rider_id == rider_id)
        .order_by(col(Phone.enrolled_at), col(Phone.id))
    )
    return [(phone, until) for phone, until in rows]


def revoke_phone(session: Session, *, rider_id: str, phone_id: str, now: datetime) -> Revoked:
    """Mark the phone revoked; its certificates still valid, for the gates' revocation set.

    Revoking twice is harmless and gives the same serials (a retry after a lost answer
    publishes them again).
    """
    phone = _own_phone(session, rider_id, phone_id)
    if phone.revoked_at is None:
        phone.revoked_at = now
        session.add(phone)
    revoked = _valid_serials(session, now, RideCertificate.phone_id == phone_id)
    session.commit()
    return revoked


def revoked_serials(session: Session, *, now: datetime) -> Revoked:
    """Every revoked certificate not yet expired: the gates' revocation set, from scratch."""
    revoked_phones = select(Phone.id).where(col(Phone.revoked_at).is_not(None))
    return _valid_serials(session, now, col(RideCertificate.phone_id).in_(revoked_phones))


def _valid_serials(session: Session, now: datetime, *where: object) -> Revoked:
    rows = session.execute(
        select(RideCertificate.serial, RideCertificate.valid_until).where(
            RideCertificate.valid_until > now,
            *where,  # type: ignore[arg-type]
        )
    )
    return [(serial, int(until.timestamp())) for serial, until in rows]


def _own_phone(session: Session, rider_id: str, phone_id: str) -> Phone:
    phone = session.get(Phone, phone_id)
    if phone is None or phone.rider_id != rider_id:
        raise PhoneNotFound(f"no phone {phone_id!r} among your phones")
    return phone
