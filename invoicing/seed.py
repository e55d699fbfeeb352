"""The demo world's e-invoicing accounts: buyer companies, riders' titles, a tax officer.

Called once when the demo world is created (`trips.seed`); the tokens it returns are
the only copies. The companies' codes are made up (Shenzhen's division 440300 and a
fictitious organisation identifier) and completed with a valid GB 32100 check character.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from invoicing.accounts import register_company, register_officer
from invoicing.models import InvoiceTitle
from invoicing.uscc import uscc_check_char

__all__ = ["DEMO_COMPANIES", "seed_invoicing"]

DEMO_COMPANIES = (
    ("91440300MA5FD0001", "深圳市前海示例科技有限公司"),
    ("91440300MA5FD0002", "深圳市南山演示贸易有限公司"),
)


def seed_invoicing(session: Session, rider_ids: Sequence[str], *, now: datetime) -> dict[str, Any]:
    """Create the demo accounts and titles (no commit); returns their credentials.

    The first rider's default title is the first company, so its later trips are
    invoiced to a company that can claim them; the second rider keeps an individual
    default and has the second company as a saved title to re-title to.
    """
    companies = []
    for code17, name in DEMO_COMPANIES:
        code = code17 + uscc_check_char(code17)
        token = register_company(session, tax_id=code, name=name)
        companies.append({"tax_id": code, "name": name, "token": token})
    officer_token = register_officer(session, officer_id="tax-demo", name="深圳市税务局 demo")
    titles: list[tuple[str, str, str, str | None, bool]] = []
    if rider_ids:
        titles.append((rider_ids[0], "company", companies[0]["name"], companies[0]["tax_id"], True))
        titles.append((rider_ids[0], "individual", "张三", None, False))
    if len(rider_ids) > 1:
        titles.append(
            (rider_ids[1], "company", companies[1]["name"], companies[1]["tax_id"], False)
        )
    for rider, kind, name, tax_id, is_default in titles:
        session.add(
            InvoiceTitle(
                rider_id=rider,
                kind=kind,
                name=name,
                tax_id=tax_id,
                is_default=is_default,
                created_at=now,
            )
        )
    return {"companies": companies, "tax_bureau": {"id": "tax-demo", "token": officer_token}}
