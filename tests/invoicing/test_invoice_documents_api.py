"""Documents on demand: EN 16931 CII XML that validates, and a PDF whose QR verifies."""

from __future__ import annotations

import io
from urllib.parse import parse_qs, urlsplit

import pypdf
import redis
import zxingcpp
from lxml import etree  # type: ignore[import-untyped,unused-ignore]
from sqlalchemy import Engine

from invoicing import validate_cii_xml, verification_payload
from tests.invoicing.api_builders import RIDER_A, company, invoice_trips, rider
from tests.invoicing.conftest import System

NS = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
}


def _text(xml: bytes, path: str) -> list[str]:
    return [str(node.text) for node in etree.fromstring(xml).iterfind(path, NS)]


def test_invoice_and_credit_note_xml_validate_and_reference(
    system: System, engine: Engine, redis_client: redis.Redis
) -> None:
    client, creds, settings = system
    (number,) = invoice_trips(client, creds, engine, redis_client, settings, [RIDER_A])
    me = rider(creds, RIDER_A)
    answer = client.get(f"/v1/me/invoices/{number}.xml", headers=me)
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/xml"
    xml = answer.content
    validate_cii_xml(xml)
    invoice = client.get(f"/v1/me/invoices/{number}", headers=me).json()
    assert _text(xml, "rsm:ExchangedDocument/ram:ID") == [number]
    assert _text(xml, "rsm:ExchangedDocument/ram:TypeCode") == ["380"]
    settlement = "rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeSettlement"
    total = _text(
        xml,
        f"{settlement}/ram:SpecifiedTradeSettlementHeaderMonetarySummation/ram:GrandTotalAmount",
    )
    assert total == [f"{invoice['total_fen'] // 100}.{invoice['total_fen'] % 100:02d}"]
    buyer = "rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeAgreement/ram:BuyerTradeParty"
    assert _text(xml, f"{buyer}/ram:SpecifiedTaxRegistration/ram:ID") == ["CN" + company(creds)[0]]

    credit = client.post(f"/v1/me/invoices/{number}/credit", json={"reason": "refund"}, headers=me)
    note_number = credit.json()["changes"][1]["number"]
    _, buyer_headers = company(creds)
    # The buyer company reads the credit note too: it is titled to it.
    note = client.get(f"/v1/companies/me/invoices/{note_number}.xml", headers=buyer_headers)
    assert note.status_code == 200
    validate_cii_xml(note.content)
    assert _text(note.content, "rsm:ExchangedDocument/ram:TypeCode") == ["381"]
    assert _text(
        note.content, f"{settlement}/ram:InvoiceReferencedDocument/ram:IssuerAssignedID"
    ) == [number]
    assert any(
        "refund" in t
        for t in _text(note.content, "rsm:ExchangedDocument/ram:IncludedNote/ram:Content")
    )


def test_the_pdf_opens_and_its_qr_code_verifies_the_invoice(
    system: System, engine: Engine, redis_client: redis.Redis
) -> None:
    client, creds, settings = system
    (number,) = invoice_trips(client, creds, engine, redis_client, settings, [RIDER_A])
    me = rider(creds, RIDER_A)
    answer = client.get(f"/v1/me/invoices/{number}.pdf", headers=me)
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/pdf"
    page = pypdf.PdfReader(io.BytesIO(answer.content)).pages[0]
    assert number in page.extract_text()
    (image,) = page.images
    assert image.image is not None
    (decoded,) = [r.bytes.decode() for r in zxingcpp.read_barcodes(image.image)]
    invoice = client.get(f"/v1/me/invoices/{number}", headers=me).json()
    record = client.get(f"/v1/ledger/records/{invoice['record_index']}").json()
    url = (
        f"http://testserver/v1/invoices/verify?number={number}&date={invoice['issue_date']}"
        f"&total_fen={invoice['total_fen']}&check={invoice['check_code'][-6:]}"
    )
    assert decoded == verification_payload(url, record["leaf_hash_hex"])
    # A phone opening the QR code's URL is told the invoice is valid.
    parts = urlsplit(decoded)
    verified = client.get(parts.path, params={k: v[0] for k, v in parse_qs(parts.query).items()})
    assert verified.status_code == 200 and verified.json()["valid"] is True


def test_documents_of_a_missing_or_malformed_number(system: System) -> None:
    client, creds, _ = system
    me = rider(creds, RIDER_A)
    assert client.get("/v1/me/invoices/26440301999999999999.xml", headers=me).status_code == 404
    bad = client.get("/v1/me/invoices/12345.pdf", headers=me)
    assert bad.status_code == 422 and bad.headers["content-type"] == "application/problem+json"
