"""Phones for the demo riders, so `farechain demo` and the load test show real codes.

Each demo rider gets one phone whose private key and certificate are written to
`var/demo-phones.tsv` (rider, phone id, base64url seed, base64url certificate; secrets,
like the demo credentials). The certificates start `backdate_s` before now, so the load
test's simulated clock (hours or a day behind) lies inside them; they are renewed at a
start that finds them past half their validity.
"""

from __future__ import annotations

import csv
import json
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import insert
from sqlalchemy.orm import Session

from ridecodes.issuer import issue_certificate
from ridecodes.models import Phone, RideCertificate
from ridecodes.phone import Phone as Handset
from ridecodes.service import Issuing, certificate_row
from ridecodes.wire import Category, b64url, from_b64url, parse_certificate

__all__ = ["DemoPhone", "ensure_demo_phones", "read_demo_phones"]


@dataclass(frozen=True, slots=True)
class DemoPhone:
    rider: str
    phone_id: str
    seed: bytes
    certificate: bytes

    def handset(self) -> Handset:
        phone = Handset.from_seed(self.seed)
        phone.certificate = self.certificate
        return phone


def read_demo_phones(path: Path) -> dict[str, DemoPhone]:
    if not path.exists():
        return {}
    with path.open(newline="") as file:
        return {
            row[0]: DemoPhone(row[0], row[1], from_b64url(row[2]), from_b64url(row[3]))
            for row in csv.reader(file, delimiter="\t")
        }


def ensure_demo_phones(
    session: Session,
    issuing: Issuing,
    *,
    credentials_path: Path,
    phones_path: Path,
    now: datetime,
    backdate_s: int,
) -> int:
    """Enrol or renew the demo riders' phones; returns how many certificates were issued."""
    riders = json.loads(credentials_path.read_text())["riders"]
    phones = read_demo_phones(phones_path)
    renew_before = int((now + timedelta(seconds=issuing.validity_s / 2)).timestamp())
    signer = issuing.signer()
    start = int((now - timedelta(seconds=backdate_s)).timestamp())
    until = int((now + timedelta(seconds=issuing.validity_s)).timestamp())
    new_phones, new_certificates = [], []
    for rider in riders:
        phone = phones.get(rider["id"])
        if phone is not None:
            held = parse_certificate(phone.certificate)
            if held.valid_until > renew_before and held.issuer_key_id == signer.key_id:
                continue
            handset = phone.handset()
        else:
            handset = Handset()
            phone_id = f"ph-{secrets.token_hex(6)}"
            new_phones.append(
                {
                    "id": phone_id,
                    "rider_id": rider["id"],
                    "public_key": handset.public_key,
                    "label": "demo phone",
                    "enrolled_at": now,
                    "revoked_at": None,
                }
            )
            phone = DemoPhone(rider["id"], phone_id, handset.seed(), b"")
        certificate = issue_certificate(
            signer,
            rider=rider["id"],
            phone_key=handset.public_key,
            valid_from=start,
            valid_until=until,
            category=Category[str(rider.get("category", "adult")).upper()],
        )
        new_certificates.append(certificate_row(phone.phone_id, certificate).model_dump())
        phones[rider["id"]] = DemoPhone(
            rider["id"], phone.phone_id, phone.seed, certificate.to_bytes()
        )
    for table, rows in ((Phone, new_phones), (RideCertificate, new_certificates)):
        for chunk in _chunks(rows, 5_000):
            session.execute(insert(table), chunk)
    session.commit()
    if new_certificates:
        _write(phones_path, phones.values())
    return len(new_certificates)


def _chunks(rows: list[dict[str, object]], size: int) -> Iterable[list[dict[str, object]]]:
    for begin in range(0, len(rows), size):
        yield rows[begin : begin + size]


def _write(path: Path, phones: Iterable[DemoPhone]) -> None:
    scratch = path.with_name(path.name + ".new")
    with scratch.open("w", newline="") as file:
        writer = csv.writer(file, delimiter="\t", lineterminator="\n")
        for p in phones:
            writer.writerow([p.rider, p.phone_id, b64url(p.seed), b64url(p.certificate)])
    scratch.chmod(0o600)
    scratch.replace(path)
