"""Request and response shapes of the rider's phone routes and the public key set."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from plumbing.text import one_line_text


class PhoneCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    public_key: str = Field(
        min_length=43, max_length=43, description="raw 32-byte Ed25519 key, base64url"
    )
    label: Annotated[str, Field(min_length=1, max_length=64), AfterValidator(one_line_text)]


class CertificatePublic(BaseModel):
    phone_id: str
    certificate: str  # base64url
    valid_until: datetime
    issuer_key_id: str  # hex


class PhonePublic(BaseModel):
    phone_id: str
    label: str
    public_key: str  # base64url
    enrolled_at: datetime
    revoked_at: datetime | None
    valid_until: datetime | None  # of its newest certificate


class IssuerKeyPublic(BaseModel):
    key_id: str
    public_key: str
    created_at: datetime
    retired_at: datetime | None


class IssuerKeysPublic(BaseModel):
    keys: list[IssuerKeyPublic]
    window_s: int
    max_span_s: int
