"""The PDF opens, says what the invoice says, and its QR code decodes to the verifier."""

from __future__ import annotations

import importlib.resources
import io
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pypdf
import pytest
import zxingcpp
from fontTools.ttLib import TTFont  # type: ignore[import-untyped,unused-ignore]
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from invoicing import (
    LEAF_PARAMETER,
    CjkFont,
    CreditReason,
    InvoiceDocument,
    Party,
    exempt,
    find_cjk_font,
    qr_png,
    render_pdf,
    verification_payload,
)
from invoicing.fonts import (
    bundled_cjk_font,
    charset,
    common_code_points,
    common_cut,
    subset_font,
)
from invoicing.pdf import printable_code_points
from tests.invoicing.invoice_builders import make_document

HASH = "ab" * 32


def _decode(image: Image.Image) -> list[str]:
    # Raw bytes: qrcode writes UTF-8, and the HRI text mode would render controls as <US>.
    return [result.bytes.decode() for result in zxingcpp.read_barcodes(image)]


def _page(pdf: bytes) -> pypdf.PageObject:
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 1
    return reader.pages[0]


def _qr_in(pdf: bytes) -> list[str]:
    images = _page(pdf).images
    assert len(images) == 1
    image = images[0].image
    assert image is not None
    return _decode(image)


def test_payload_adds_the_leaf_hash_to_the_query() -> None:
    assert verification_payload("https://v.example/check?n=1", HASH) == (
        f"https://v.example/check?n=1&leaf={HASH}"
    )
    assert (
        verification_payload("https://v.example/p/7", HASH) == f"https://v.example/p/7?leaf={HASH}"
    )


@settings(max_examples=25, deadline=None)
@given(st.text(min_size=1, max_size=300))
def test_qr_png_decodes_to_its_text(text: str) -> None:
    assert _decode(Image.open(io.BytesIO(qr_png(text)))) == [text]


def test_fallback_pdf_without_a_cjk_font() -> None:
    doc = make_document(total_fen=1250)
    pdf = render_pdf(doc, font=None)
    text = _page(pdf).extract_text()
    for expected in (
        doc.number,
        doc.check_code,
        "2026-03-01",
        "914403001922038216",
        "91440300708461136T",
        "Yi Shi Er Yuan Wu Jiao",  # 壹拾贰元伍角
        "¥12.50",
        "¥11.47",
        "¥1.03",
        "9%",
        "No CJK font is installed",
    ):
        assert expected in text, expected
    assert "\\u6df1\\u5733" in text  # 深圳, escaped rather than lost


def test_the_qr_code_in_the_pdf_decodes_to_the_verification_url() -> None:
    doc = make_document()
    (decoded,) = _qr_in(render_pdf(doc, font=None))
    assert decoded == verification_payload(doc.verify_url, doc.record_hash_hex)
    url = urlsplit(decoded)
    assert url._replace(query="").geturl() == doc.verify_url
    assert parse_qs(url.query)[LEAF_PARAMETER] == [doc.record_hash_hex]


def test_a_credit_note_prints_negative_amounts_and_its_original() -> None:
    doc = make_document(
        total_fen=700,
        regime=exempt("公共交通免税"),
        original_number="26440001000000000001",
        credit_reason=CreditReason.REFUND,
    )
    text = _page(render_pdf(doc, font=None)).extract_text()
    assert "Credit note" in text
    assert "Fu Qi Yuan Zheng" in text  # 负柒元整
    assert "-¥7.00" in text
    assert "26440001000000000001" in text
    assert "exempt" in text


@pytest.mark.parametrize("broken", ["missing", "not-a-font", "latin-only", "no-such-face"])
def test_an_unusable_font_falls_back_instead_of_crashing(tmp_path: Path, broken: str) -> None:
    # matplotlib (a dependency) ships DejaVu Sans: a real font without Chinese glyphs.
    dejavu = importlib.resources.files("matplotlib") / "mpl-data/fonts/ttf/DejaVuSans.ttf"
    font = CjkFont(tmp_path / "font.ttf")
    if broken == "not-a-font":
        font.path.write_bytes(b"this is not a TrueType font")
    elif broken == "latin-only":
        font.path.write_bytes(dejavu.read_bytes())
    elif broken == "no-such-face":
        font = CjkFont(font.path, index=7)
        font.path.write_bytes(dejavu.read_bytes())
    text = _page(render_pdf(make_document(), font=font)).extract_text()
    assert "No CJK font is installed" in text


def test_rendering_is_deterministic() -> None:
    doc = make_document()
    assert render_pdf(doc, font=None) == render_pdf(doc, font=None)


def test_find_cjk_font_skips_files_that_are_not_chinese_fonts(tmp_path: Path) -> None:
    empty = tmp_path / "empty.ttc"
    empty.write_bytes(b"")
    dejavu = importlib.resources.files("matplotlib") / "mpl-data/fonts/ttf/DejaVuSans.ttf"
    latin = tmp_path / "latin.ttf"
    latin.write_bytes(dejavu.read_bytes())
    unusable = (CjkFont(tmp_path / "missing.ttf"), CjkFont(empty), CjkFont(latin))
    assert find_cjk_font(unusable) is None
    real = find_cjk_font()
    if real is not None:
        assert find_cjk_font((*unusable, real)) == real


def test_characters_beyond_latin_1_are_escaped_not_lost() -> None:
    doc = make_document(buyer=Party("Ünïcødé 😀 שלום"), description="地铁 ride")
    text = _page(render_pdf(doc, font=None)).extract_text()
    assert "Ünïcødé \\U0001f600 \\u05e9\\u05dc\\u05d5\\u05dd" in text
    assert "\\u5730\\u94c1 ride" in text


# The font farechain ships (a pinned PyPI package): no test here needs a system font.
BUNDLED = bundled_cjk_font()


def _font_files(pdf: bytes) -> list[bytes]:
    """The TrueType programs embedded in the PDF (fpdf2 embeds each as a CID font's)."""
    page: Any = _page(pdf)
    fonts = page["/Resources"]["/Font"]
    found = []
    for name in fonts:
        for child in fonts[name].get("/DescendantFonts", []):
            descriptor = child.get_object()["/FontDescriptor"]
            found.append(descriptor["/FontFile2"].get_object().get_data())
    return found


def test_the_bundled_font_is_installed_and_found_before_any_system_font() -> None:
    assert BUNDLED is not None, "justmytype-intl-cjk (a pinned dependency) is not installed"
    assert BUNDLED.path.name == "NotoSansSC[wght].ttf"
    assert find_cjk_font() == BUNDLED


def test_chinese_pdf_on_a_machine_without_system_fonts() -> None:
    # Only the bundled font is offered: what a fresh machine without fonts-* packages has.
    assert BUNDLED is not None
    font = find_cjk_font([BUNDLED])
    doc: InvoiceDocument = make_document(total_fen=1250)
    pdf = render_pdf(doc, font=font)
    text = _page(pdf).extract_text()
    for expected in (
        "电子发票",
        "深圳市地铁集团有限公司",
        "腾讯科技（深圳）有限公司",  # noqa: RUF001
        "壹拾贰元伍角",
        "价税合计",
        "车公庙",
        doc.number,
        "¥12.50",
    ):
        assert expected in text, expected
    assert "\\u" not in text
    assert "No CJK font" not in text
    (decoded,) = _qr_in(pdf)
    assert decoded == verification_payload(doc.verify_url, doc.record_hash_hex)


def test_the_embedded_font_is_a_small_regular_cut() -> None:
    assert BUNDLED is not None
    pdf = render_pdf(make_document(), font=BUNDLED)
    (program,) = _font_files(pdf)
    assert len(pdf) < 100_000  # the whole font is 17 MB
    with TTFont(io.BytesIO(program)) as embedded:
        assert "fvar" not in embedded  # a static instance, not the variable font
        assert embedded["OS/2"].usWeightClass == 400  # Regular, not the default Thin
        assert len(embedded.getGlyphOrder()) < 200


@settings(max_examples=10, deadline=None)
@given(
    st.text(alphabet=st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF), max_size=12),
    st.booleans(),
)
def test_the_cut_holds_exactly_the_characters_asked_for(chinese: str, common: bool) -> None:
    # Either path: a page of common characters is cut from the common cut, any other
    # page from the whole font.
    assert BUNDLED is not None
    if common:
        chinese = "".join(c for c in chinese if ord(c) in common_code_points())
    wanted = frozenset(map(ord, "发票" + chinese))
    with TTFont(io.BytesIO(subset_font(BUNDLED, wanted))) as cut:
        drawn = set(cut.getBestCmap())
        assert "fvar" not in cut and cut["OS/2"].usWeightClass == 400
    available = charset(BUNDLED)
    assert available is not None
    assert drawn == wanted & available


def test_an_ordinary_page_is_cut_from_the_common_cut() -> None:
    # Its labels, numerals, Shenzhen's names and the demo companies' are all common, so
    # rendering it never reads the whole 17 MB font again.
    assert BUNDLED is not None
    page = printable_code_points(make_document(buyer=Party("深圳市前海示例科技有限公司")))
    available = charset(BUNDLED)
    assert available is not None
    assert page & available <= common_code_points()
    assert ord("圳") in common_code_points() and ord("😀") not in common_code_points()
    with TTFont(io.BytesIO(common_cut(BUNDLED))) as common:
        assert len(common.getBestCmap()) > 6_763


def test_a_chinese_pdf_renders_to_the_same_bytes_each_time() -> None:
    doc = make_document(buyer=Party("确定性测试"))
    first = render_pdf(doc, font=BUNDLED)
    subset_font.cache_clear()  # cut the font again rather than reuse the first cut
    assert render_pdf(doc, font=BUNDLED) == first


def test_characters_the_cjk_font_lacks_are_escaped() -> None:
    doc = make_document(buyer=Party("腾讯 😀"))
    text = _page(render_pdf(doc, font=BUNDLED)).extract_text()
    assert "腾讯 \\U0001f600" in text
    assert "Characters the font lacks are shown" in text
