"""Tables of the riders' phones and the certificates issued to them.

A certificate row keeps what revocation needs (serial, validity); the certificate's
bytes are rebuilt by nobody: a phone holds its own, and a renewal issues a new one.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, LargeBinary
from sqlmodel import Field, SQLModel

from storage.types import UtcDateTime


def _utc(nullable: bool = False) -> Column[datetime]:
    return Column(UtcDateTime(), nullable=nullable)


class Phone(SQLModel, table=True):
    __tablename__ = "phones"

    id: str = Field(primary_key=True)
    rider_id: str = Field(foreign_key="riders.id", index=True)
    public_key: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    label: str
    enrolled_at: datetime = Field(sa_column=_utc())
    revoked_at: datetime | None = Field(default=None, sa_column=_utc(nullable=True))


class RideCertificate(SQLModel, table=True):
    __tablename__ = "ride_certificates"

    serial: str = Field(primary_key=True)  # 16 hex digits, as the revocation set keeps it
    phone_id: str = Field(foreign_key="phones.id", index=True)
    issuer_key_id: str  # 8 hex digits
    valid_from: datetime = Field(sa_column=_utc())
    valid_until: datetime = Field(sa_column=_utc())
