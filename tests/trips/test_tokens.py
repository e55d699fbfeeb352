"""Rider and company tokens expire and can be revoked, through the API and the CLI."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, update
from sqlalchemy.orm import Session
from sqlmodel import col
from typer.testing import CliRunner

from farechain.cli import app
from farechain.settings import Settings
from invoicing.models import Company
from plumbing.tokens import token_refusal
from tests.builders import rider_headers
from trips.models import Rider

System = tuple[TestClient, dict[str, Any], Settings]
NOW = datetime(2026, 12, 5, 8, 0, tzinfo=UTC)


def test_token_refusal_known_answers() -> None:
    from plumbing.tokens import REVOKED, hash_token

    stored, later = hash_token("r1.secret"), NOW + timedelta(days=1)
    assert token_refusal("r1.secret", stored, later, NOW) is None
    assert token_refusal("r1.other", stored, later, NOW) == "unknown token"
    assert "expired at 2026-12-05T08:00:00+00:00" in (
        token_refusal("r1.secret", stored, NOW, NOW) or ""
    )
    assert "expired" in (token_refusal("r1.secret", stored, None, NOW) or "")
    assert "revoked" in (token_refusal("r1.secret", REVOKED, later, NOW) or "")


def _detail(answer: Any) -> str:
    assert answer.status_code == 401, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    return str(answer.json()["detail"])


def test_a_rider_token_lasts_30_days_and_revoking_it_ends_it(
    system: System, engine: Engine
) -> None:
    client, creds, _ = system
    me = rider_headers(creds, "r0000001")
    with Session(engine) as session:
        rider = session.get(Rider, "r0000001")
        assert rider is not None and rider.token_expires_at is not None
        left = rider.token_expires_at - datetime.now(UTC)
    assert timedelta(days=29, hours=23) < left <= timedelta(days=30)
    assert client.get("/v1/me", headers=me).status_code == 200
    assert client.delete("/v1/me/token", headers=me).status_code == 204
    assert "revoked" in _detail(client.get("/v1/me", headers=me))
    assert "revoked" in _detail(client.delete("/v1/me/token", headers=me))
    # Another rider is untouched.
    assert client.get("/v1/me", headers=rider_headers(creds, "r0000002")).status_code == 200


@pytest.mark.parametrize("expires_at", [datetime.now(UTC) - timedelta(seconds=1), None])
def test_an_expired_rider_token_is_refused(
    system: System, engine: Engine, expires_at: datetime | None
) -> None:
    client, creds, _ = system
    with Session(engine) as session:
        session.execute(
            update(Rider).where(col(Rider.id) == "r0000003").values(token_expires_at=expires_at)
        )
        session.commit()
    assert "expired" in _detail(client.get("/v1/me", headers=rider_headers(creds, "r0000003")))


def test_a_company_token_lasts_a_year_and_can_be_revoked(system: System, engine: Engine) -> None:
    client, creds, _ = system
    entry = creds["companies"][0]
    headers = {"Authorization": f"Bearer {entry['token']}"}
    with Session(engine) as session:
        company = session.get(Company, entry["tax_id"])
        assert company is not None and company.token_expires_at is not None
        left = company.token_expires_at - datetime.now(UTC)
    assert timedelta(days=364) < left <= timedelta(days=365)
    assert client.get("/v1/companies/me/invoices", headers=headers).status_code == 200
    assert client.delete("/v1/companies/me/token", headers=headers).status_code == 204
    assert "revoked" in _detail(client.get("/v1/companies/me/invoices", headers=headers))
    with Session(engine) as session:
        session.execute(
            update(Company)
            .where(col(Company.tax_id) == creds["companies"][1]["tax_id"])
            .values(token_expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
        session.commit()
    other = {"Authorization": f"Bearer {creds['companies'][1]['token']}"}
    assert "expired" in _detail(client.get("/v1/companies/me/invoices", headers=other))


def test_the_cli_issues_and_revokes_tokens(
    system: System, engine: Engine, database_url: str
) -> None:
    client, creds, settings = system
    env = {"FARECHAIN_VAR_DIR": str(settings.var_dir), "DATABASE_URL": database_url}
    runner = CliRunner(env=env)
    old = rider_headers(creds, "r0000004")
    issued = runner.invoke(app, ["tokens", "issue", "rider", "r0000004", "--days", "2"])
    assert issued.exit_code == 0, issued.output
    token = issued.stdout.strip().splitlines()[0]
    assert token.startswith("r0000004.")
    new = {"Authorization": f"Bearer {token}"}
    assert client.get("/v1/me", headers=new).status_code == 200
    assert _detail(client.get("/v1/me", headers=old)) == "rider token refused: unknown token"
    with Session(engine) as session:
        rider = session.get(Rider, "r0000004")
        assert rider is not None and rider.token_expires_at is not None
        assert rider.token_expires_at - datetime.now(UTC) <= timedelta(days=2)
    revoked = runner.invoke(app, ["tokens", "revoke", "rider", "r0000004"])
    assert revoked.exit_code == 0, revoked.output
    assert "revoked" in _detail(client.get("/v1/me", headers=new))
    tax_id = creds["companies"][0]["tax_id"]
    company = runner.invoke(app, ["tokens", "issue", "company", tax_id])
    assert company.exit_code == 0, company.output
    headers = {"Authorization": f"Bearer {company.stdout.strip().splitlines()[0]}"}
    assert client.get("/v1/companies/me/invoices", headers=headers).status_code == 200
    missing = runner.invoke(app, ["tokens", "revoke", "rider", "r9999999"])
    assert missing.exit_code == 1 and "no rider 'r9999999'" in missing.output
