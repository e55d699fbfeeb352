"""Request and response shapes of the device API."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

# Ids travel inside JSON built by a Lua script and inside Redis key names, so they are
# restricted to characters that need no escaping anywhere.
Ident = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._:-]+$")]
# The code the rider's phone shows (ridecodes/wire.py), base64url without padding: 271
# characters for an 8-character rider id. The gate's check says what is wrong with it.
RideCodeText = Annotated[
    str, Field(min_length=1, max_length=400, description="the rider's ride code, base64url")
]


# Strict: a device sends JSON of the documented types; "5000" for a number or true for
# one is a faulty device, not a value to guess at.
_STRICT = ConfigDict(extra="forbid", strict=True)


class TapCreate(BaseModel):
    model_config = _STRICT

    event_id: Ident
    ride_code: RideCodeText
    kind: Literal["entry", "exit", "board"]
    at: AwareDatetime
    # A gate normally taps for its own station; a roaming validator may name one.
    station: Ident | None = None


class TaxiTripCreate(BaseModel):
    model_config = _STRICT

    event_id: Ident
    ride_code: RideCodeText  # scanned when the trip ends
    started_at: AwareDatetime
    ended_at: AwareDatetime
    distance_m: int = Field(ge=0, le=1_000_000)
    waiting_s: int = Field(ge=0, le=86_400)

    @model_validator(mode="after")
    def _ends_after_start(self) -> TaxiTripCreate:
        if self.ended_at < self.started_at:
            raise ValueError("ended_at is before started_at")
        return self


class TapAccepted(BaseModel):
    event_id: str
    status: Literal["opened", "closed", "incomplete", "recorded"]
