"""Salted commitments to the personal fields of a ledger record (record version 2).

The ledger is public and cannot be erased, so a person's data never enters it in
clear. A version-2 record keeps its public fields (amounts, operator or seller, tax,
invoice number and date) and replaces the personal ones by

    personal = hex(SHA-256("farechain/personal-fields/v1" || 0x00 || salt || P))

where ``salt`` is 16 random bytes drawn for this record alone and ``P`` the canonical
JSON (``ledger.records`` encoding) of the personal fields. The *opening* (salt and
``P``) is kept apart, in a private table, and handed to the record's owner in the
receipt. Whoever holds it checks the record; without it the commitment says nothing
(the salt defeats guessing a rider id or a station pair and hashing). Deleting the
opening erases the person while the public log stays valid.

Which fields are personal, per record type (``PERSONAL``): the rider id; stations,
stops and every time finer than the day (the taps, a charge's or payment's moment, an
invoice's issue time, the quote's lines that name stations and its distance); the
rider's running balance (it would link one rider's records to each other); the
provider's reference of a payment (the provider can name its customer); and the
buyer's name and tax id when the buyer is an individual. A company buyer's name and
tax id stay public: they identify a company, not a person, and the tax bureau checks
them. Everything else stays public, so anyone can still total fares, tax and
operators' shares, and the tax bureau can check an invoice's seller, number, date,
amount and tax.

Merging an opening back is a shallow merge one level deep: a personal dict value
(``buyer``, ``quote``) completes the public dict of the same key. The result is the
record as version 1 wrote it, with ``v`` 2, so code that reads records reads both.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import NamedTuple

from ledger.exceptions import RecordError
from ledger.records import decode_value, encode_record, encode_value

__all__ = [
    "DOMAIN",
    "PERSONAL",
    "SALT_SIZE",
    "VERSION",
    "CommittedRecord",
    "Opening",
    "commit_record",
    "commitment",
    "open_record",
]

DOMAIN = b"farechain/personal-fields/v1\x00"
SALT_SIZE = 16
VERSION = 2

# Top-level personal keys per record type; ("quote", "lines") names a key inside a dict.
PERSONAL: dict[str, tuple[tuple[str, ...], ...]] = {
    "trip": (("rider",), ("start",), ("end",), ("quote", "lines"), ("quote", "distance_m")),
    "charge": (("rider",), ("balance_after_fen",), ("at",)),
    "invoice": (("rider",), ("issued_at",)),
    "credit_note": (("rider",), ("issued_at",)),
    "payment": (("rider",), ("provider_ref",), ("balance_after_fen",), ("at",)),
    "refund": (("rider",), ("provider_ref",), ("balance_after_fen",), ("at",)),
    "payment_agreement": (("rider",), ("provider_ref",), ("at",)),
}
# An individual buyer's name and tax id are personal; a company's are not.
_INDIVIDUAL_BUYER = (("buyer", ("name", "tax_id")),)


def _split(paths: tuple[tuple[str, ...], ...]) -> tuple[frozenset[str], _Nested]:
    top = frozenset(p[0] for p in paths if len(p) == 1)
    outers = dict.fromkeys(p[0] for p in paths if len(p) == 2)
    nested = tuple((o, tuple(p[1] for p in paths if len(p) == 2 and p[0] == o)) for o in outers)
    return top, nested


_Nested = tuple[tuple[str, tuple[str, ...]], ...]
_SPLITS = {kind: _split(paths) for kind, paths in PERSONAL.items()}


@dataclass(frozen=True, slots=True)
class Opening:
    """What opens one record's commitment: the salt and the canonical personal fields."""

    subject: str  # the rider the fields are about (whose erasure deletes this)
    salt: bytes
    personal: bytes

    def fields(self) -> dict[str, object]:
        value = decode_value(self.personal)
        if not isinstance(value, dict):
            raise RecordError(f"opening: expected a JSON object, got {type(value).__name__}")
        return value

    def to_bytes(self) -> bytes:
        """The receipt's ``opening`` line: salt then the personal fields' JSON."""
        return self.salt + self.personal

    @classmethod
    def from_bytes(cls, data: bytes) -> Opening:
        if len(data) <= SALT_SIZE:
            raise RecordError(f"opening: expected more than {SALT_SIZE} bytes, got {len(data)}")
        salt, personal = data[:SALT_SIZE], data[SALT_SIZE:]
        subject = decode_value(personal)
        rider = subject.get("rider") if isinstance(subject, dict) else None
        return cls(str(rider or ""), salt, personal)


class CommittedRecord(NamedTuple):
    """A record ready to append: its type, its public bytes and its opening (if any)."""

    kind: str
    body: bytes
    opening: Opening | None


def commitment(salt: bytes, personal: bytes) -> str:
    if len(salt) != SALT_SIZE:
        raise ValueError(f"salt: expected {SALT_SIZE} bytes, got {len(salt)}")
    return hashlib.sha256(DOMAIN + salt + personal).hexdigest()


def commit_record(fields: Mapping[str, object], salt: bytes | None = None) -> CommittedRecord:
    """Split a record into public bytes and an opening; types without personal fields
    (and records of another version) are encoded as they are, with no opening."""
    kind = str(fields.get("type"))
    split = _SPLITS.get(kind)
    if split is None or fields.get("v") != VERSION:
        return CommittedRecord(kind, encode_record(fields), None)
    # The batcher makes three of these per trip, so the split is precomputed per type
    # (top-level keys, then keys inside a dict) rather than walked path by path.
    top, nested = split
    public: dict[str, object] = {}
    personal: dict[str, object] = {}
    for key, value in fields.items():
        if key in top:
            personal[key] = value
        else:
            public[key] = value
    buyer = public.get("buyer")
    if isinstance(buyer, dict) and buyer.get("kind") == "individual":
        nested = nested + _INDIVIDUAL_BUYER
    for outer, keys in nested:
        source = public.get(outer)
        if isinstance(source, dict):
            public[outer] = {k: v for k, v in source.items() if k not in keys}
            inner = {k: source[k] for k in keys if k in source}
            if inner:
                personal[outer] = inner
    rider = personal.get("rider")
    if type(rider) is not str:
        raise RecordError(f"{kind} record: expected a str 'rider', got {rider!r}")
    if salt is None:
        salt = os.urandom(SALT_SIZE)
    elif len(salt) != SALT_SIZE:
        raise ValueError(f"salt: expected {SALT_SIZE} bytes, got {len(salt)}")
    encoded = encode_value(personal)
    public["personal"] = hashlib.sha256(DOMAIN + salt + encoded).hexdigest()  # commitment()
    return CommittedRecord(kind, encode_record(public), Opening(rider, salt, encoded))


def open_record(public: Mapping[str, object], opening: Opening) -> dict[str, object]:
    """The whole record: ``public`` completed by ``opening`` after checking it commits."""
    committed = public.get("personal")
    if not isinstance(committed, str):
        raise RecordError(f"record: expected a 'personal' commitment, got {committed!r}")
    if len(opening.salt) != SALT_SIZE:
        raise RecordError(f"opening: expected a {SALT_SIZE}-byte salt, got {len(opening.salt)}")
    actual = commitment(opening.salt, opening.personal)
    if not hmac.compare_digest(actual, committed):
        raise RecordError(f"opening: expected commitment {committed}, got {actual}")
    whole = {k: v for k, v in public.items() if k != "personal"}
    for key, value in opening.fields().items():
        inner = whole.get(key)
        if isinstance(inner, dict) and isinstance(value, dict):
            whole[key] = {**inner, **value}
        else:
            whole[key] = value
    return whole
