"""Tables of the parties (operators, riders, devices) and of the trips and charges.

Trip and charge rows are projections of ledger records (the records are the truth);
each row keeps the index of the record it came from.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Column, LargeBinary
from sqlmodel import Field, SQLModel

from storage.types import UtcDateTime


def _utc() -> Column[datetime]:
    return Column(UtcDateTime(), nullable=False)


class Operator(SQLModel, table=True):
    __tablename__ = "operators"

    id: str = Field(primary_key=True)
    name: str
    tax_id: str  # 18-character unified social credit code (GB 32100-2015)
    regime: str  # general | simplified | exempt
    rate_bp: int  # VAT rate in basis points: 900 = 9 %
    exemption_reason: str | None = None
    numbering_code: str  # the seller's channel digits inside its invoice numbers
    mode: str  # metro | bus | taxi


class Rider(SQLModel, table=True):
    __tablename__ = "riders"

    id: str = Field(primary_key=True)
    token_sha256: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    category: str = "adult"  # adult | student | child | senior
    balance_fen: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    blocked: bool = False
    # When the token stops signing in (plumbing.tokens.token_refusal); None: no valid token.
    token_expires_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime()))


class Device(SQLModel, table=True):
    __tablename__ = "devices"

    id: str = Field(primary_key=True)
    operator_id: str = Field(foreign_key="operators.id")
    kind: str  # gate | validator | meter
    station_id: str | None = None
    route_id: str | None = None
    token_sha256: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class Trip(SQLModel, table=True):
    __tablename__ = "trips"

    event_id: str = Field(primary_key=True)
    rider_id: str = Field(index=True)
    mode: str
    operator_id: str
    entry_station: str | None = None
    exit_station: str | None = None
    route_id: str | None = None
    started_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime()))
    ended_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime()))
    distance_m: int | None = None
    fare_fen: int
    incomplete: bool = False
    quote_json: str
    # What the fare engine needs of this trip when pricing the rider's later trips
    # (transfers, caps); the batcher reloads it after a restart.
    history_json: str
    record_index: int = Field(sa_column=Column(BigInteger, nullable=False, unique=True))
    block_height: int  # not indexed: a block's trips are a record_index range


class Charge(SQLModel, table=True):
    __tablename__ = "charges"

    record_index: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    trip_event_id: str = Field(unique=True)
    rider_id: str = Field(index=True)
    amount_fen: int
    balance_after_fen: int = Field(sa_column=Column(BigInteger, nullable=False))
    charged_at: datetime = Field(sa_column=_utc())


class RiderPhone(SQLModel, table=True):
    """Which rider registered a phone number (trips.signup), by the number's digest only."""

    __tablename__ = "rider_phones"

    phone_sha256: bytes = Field(sa_column=Column(LargeBinary, primary_key=True))
    rider_id: str = Field(foreign_key="riders.id", unique=True)
