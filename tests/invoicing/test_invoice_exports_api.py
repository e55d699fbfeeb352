"""Bulk export: an async job writing a zip of valid CII XML with a manifest of hashes."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from datetime import UTC, datetime

import pypdf
import redis
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from invoicing import validate_cii_xml
from invoicing.exports import create_export
from invoicing.schemas import InvoiceFilter
from tests.invoicing.api_builders import RIDER_A, RIDER_B, invoice_trips, rider, tax_headers
from tests.invoicing.conftest import System


def test_an_export_holds_every_match_with_hashes_that_check(
    system: System, engine: Engine, redis_client: redis.Redis
) -> None:
    client, creds, settings = system
    numbers = invoice_trips(
        client, creds, engine, redis_client, settings, [RIDER_A, RIDER_B, RIDER_A, "r0000003"]
    )
    client.post(
        f"/v1/me/invoices/{numbers[0]}/credit",
        json={"reason": "fare_correction"},
        headers=rider(creds, RIDER_A),
    )
    tax = tax_headers(creds)
    started = client.post("/v1/tax/exports", json={}, headers=tax)
    assert started.status_code == 202, started.text
    job_id = started.json()["id"]
    job = client.get(f"/v1/tax/exports/{job_id}", headers=tax).json()
    assert job["status"] == "done" and job["invoice_count"] == 5 and job["error"] is None
    download = client.get(f"/v1/tax/exports/{job_id}/download", headers=tax)
    assert download.status_code == 200 and download.headers["content-type"] == "application/zip"
    data = download.content
    assert hashlib.sha256(data).hexdigest() == job["archive_sha256"]
    assert len(data) == job["archive_bytes"]
    archive = zipfile.ZipFile(io.BytesIO(data))
    manifest = json.loads(archive.read("manifest.json"))
    assert manifest["invoices"] == 5 and manifest["format"] == "farechain-invoice-export/v1"
    listed = [f["path"] for f in manifest["files"]]
    assert sorted(listed) == sorted(n for n in archive.namelist() if n.startswith("invoices/"))
    for entry in manifest["files"]:
        content = archive.read(entry["path"])
        assert hashlib.sha256(content).hexdigest() == entry["sha256"]
        assert len(content) == entry["bytes"]
        validate_cii_xml(content)
    assert {f["number"] for f in manifest["files"]} >= set(numbers)
    sums: dict[str, str] = {}
    for line in archive.read("SHA256SUMS").decode().splitlines():
        digest, path = line.split("  ", 1)
        sums[path] = digest
    assert sums["manifest.json"] == hashlib.sha256(archive.read("manifest.json")).hexdigest()
    assert set(sums) == {*listed, "manifest.json"}
    kinds = {f["kind"] for f in manifest["files"]}
    assert kinds == {"invoice", "credit_note"}


def test_an_export_with_pdfs_and_a_filter(
    system: System, engine: Engine, redis_client: redis.Redis
) -> None:
    client, creds, settings = system
    invoice_trips(client, creds, engine, redis_client, settings, [RIDER_A, RIDER_B])
    tax = tax_headers(creds)
    started = client.post(
        "/v1/tax/exports", json={"rider_id": RIDER_B, "formats": ["pdf", "xml"]}, headers=tax
    ).json()
    assert started["formats"] == ["pdf", "xml"]
    data = client.get(f"/v1/tax/exports/{started['id']}/download", headers=tax).content
    archive = zipfile.ZipFile(io.BytesIO(data))
    names = sorted(n for n in archive.namelist() if n.startswith("invoices/"))
    assert len(names) == 2 and names[0].endswith(".pdf") and names[1].endswith(".xml")
    assert len(pypdf.PdfReader(io.BytesIO(archive.read(names[0]))).pages) == 1


def test_export_errors(system: System, engine: Engine) -> None:
    client, creds, _ = system
    tax = tax_headers(creds)
    assert client.get("/v1/tax/exports/nope", headers=tax).status_code == 404
    assert client.get("/v1/tax/exports/nope/download", headers=tax).status_code == 404
    bad = client.post(
        "/v1/tax/exports",
        json={"issued_from": "2026-02-01", "issued_to": "2026-01-01"},
        headers=tax,
    )
    assert bad.status_code == 422 and "issued_from <= issued_to" in bad.json()["detail"]
    assert client.post("/v1/tax/exports", json={"formats": []}, headers=tax).status_code == 422
    assert client.post("/v1/tax/exports", json={"formats": ["doc"]}, headers=tax).status_code == 422
    assert client.post("/v1/tax/exports", json={}).status_code == 401
    with Session(engine) as session:
        pending = create_export(
            session,
            officer_id="tax-demo",
            query=InvoiceFilter(),
            formats=["xml"],
            base_url="http://testserver/",
            now=datetime.now(UTC),
        )
    answer = client.get(f"/v1/tax/exports/{pending.id}/download", headers=tax)
    assert answer.status_code == 409 and "got one pending" in answer.json()["detail"]
