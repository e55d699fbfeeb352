"""The demo operators' back-office accounts: one per operator, tokens returned once."""

from __future__ import annotations

import json
import secrets
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session
from sqlmodel import col, select

from operators.models import OperatorAccount
from plumbing.tokens import hash_token, make_token
from trips.models import Operator

__all__ = ["add_demo_accounts", "seed_operator_accounts"]


def seed_operator_accounts(session: Session) -> list[dict[str, Any]]:
    """An account `<operator>-office` for each operator that has none (no commit)."""
    have = set(session.scalars(select(col(OperatorAccount.operator_id))))
    created = []
    for operator in session.scalars(select(Operator).order_by(col(Operator.id))):
        if operator.id in have:
            continue
        account_id = f"{operator.id}-office"
        token = make_token(account_id, secrets.token_urlsafe(24))
        session.add(
            OperatorAccount(id=account_id, operator_id=operator.id, token_sha256=hash_token(token))
        )
        created.append({"id": account_id, "operator": operator.id, "token": token})
    session.flush()
    return created


def add_demo_accounts(session: Session, credentials_path: Path) -> list[dict[str, Any]]:
    """Create the missing accounts, commit, and list them under `operators` in the demo
    credentials file (a world seeded before operators had accounts gets them too)."""
    created = seed_operator_accounts(session)
    session.commit()
    if created and credentials_path.exists():
        credentials = json.loads(credentials_path.read_text())
        credentials["operators"] = [*credentials.get("operators", []), *created]
        credentials_path.write_text(json.dumps(credentials, indent=2, ensure_ascii=False))
        credentials_path.chmod(0o600)
    return created
