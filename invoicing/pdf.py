"""The printable invoice: one A5 page rendered with fpdf2.

It shows what a Chinese e-invoice (电子发票) shows: number, date, check code, buyer and
seller with their tax IDs, the service with base, rate and tax, and the total in figures
and in capital numerals (大写). A QR code (see `qr`) holds the verification URL and the
ledger record's leaf hash. A credit note is printed as a red-letter invoice: a red title,
negative amounts, and the invoice it reverses.

Fonts: Chinese needs a CJK font. farechain ships one (Noto Sans SC, through a pinned PyPI
package) and embeds the cut of it holding the page's characters; see `invoicing.fonts`,
which also looks for a system font should the package be missing. Without any the page
still renders, never crashes, in the built-in Helvetica: labels in English with
their pinyin, capital numerals in pinyin (柒元整 -> "Qi Yuan Zheng"), any other character
outside Latin-1 as a \\uXXXX escape so nothing is lost, and a note saying so. With a CJK
font, the characters that font lacks (an emoji in a company name) are escaped the same
way. The XML export and the ledger record always carry the original text.

The creation date is the issue time, so the same document renders to the same bytes.
"""

from __future__ import annotations

import io
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from fare.localtime import SHANGHAI
from invoicing.document import InvoiceDocument, yuan
from invoicing.fonts import FONT_CANDIDATES, CjkFont, charset, find_cjk_font, subset_font
from invoicing.qr import qr_png, verification_payload
from invoicing.words import amount_in_words

if TYPE_CHECKING:
    from fpdf import FPDF

# fpdf2 and fontTools are imported where a PDF is made: together they take half a second,
# which every process importing `invoicing` (the batcher, the CLI) would otherwise pay.

__all__ = ["FONT_CANDIDATES", "CjkFont", "find_cjk_font", "render_pdf"]


# label key -> (Chinese, English with pinyin for the fallback). Chinese labels use the
# full-width parentheses of Chinese typography, hence the RUF001 exemptions.
_LABELS: dict[str, tuple[str, str]] = {
    "title": ("电子发票（普通发票）", "Electronic invoice (dianzi fapiao)"),  # noqa: RUF001
    "title_credit": ("红字电子发票（普通发票）", "Credit note, red-letter (hongzi fapiao)"),  # noqa: RUF001
    "number": ("发票号码", "Invoice no. (fapiao haoma)"),
    "date": ("开票日期", "Issue date (kaipiao riqi)"),
    "check_code": ("校验码", "Check code (jiaoyanma)"),
    "buyer": ("购买方", "Buyer (goumaifang)"),
    "seller": ("销售方", "Seller (xiaoshoufang)"),
    "name": ("名称", "Name"),
    "tax_id": ("统一社会信用代码", "Tax ID (USCC)"),
    "individual": ("个人", "individual (geren)"),
    "item": ("项目名称", "Item"),
    "base": ("金额", "Amount excl. tax"),
    "rate": ("税率/征收率", "Rate"),
    "tax": ("税额", "Tax"),
    "exempt": ("免税", "exempt (mianshui)"),
    "total_words": ("价税合计（大写）", "Total incl. tax, in words"),  # noqa: RUF001
    "total_figures": ("（小写）", "in figures"),  # noqa: RUF001
    "remarks": ("备注", "Remarks (beizhu)"),
    "exemption": ("免税依据", "Exemption"),
    "original": ("对应蓝字发票号码", "Reverses invoice"),
    "reason": ("红冲原因", "Reason"),
    "hash": ("账本记录哈希", "Ledger record hash (SHA-256 leaf)"),
    "verify": ("查验", "Verify at"),
    "refund": ("退款", "refund"),
    "fare_correction": ("票价更正", "fare correction"),
    "retitle": ("更换抬头", "re-title"),
}
_PINYIN = {
    "零": "Ling", "壹": "Yi", "贰": "Er", "叁": "San", "肆": "Si", "伍": "Wu", "陆": "Liu",
    "柒": "Qi", "捌": "Ba", "玖": "Jiu", "拾": "Shi", "佰": "Bai", "仟": "Qian", "万": "Wan",
    "亿": "Yi", "元": "Yuan", "角": "Jiao", "分": "Fen", "整": "Zheng", "负": "Fu",
}  # fmt: skip
_FALLBACK_NOTE = (
    "No CJK font is installed (e.g. apt-get install fonts-noto-cjk), so this page uses "
    "English labels with pinyin and shows characters beyond Latin-1 as \\uXXXX escapes; "
    "the XML export and the ledger record carry the original text."
)
_ESCAPE_NOTE = (
    "Characters the font lacks are shown as \\uXXXX escapes; the XML export and the "
    "ledger record carry the original text."
)
_LATIN_1 = frozenset(range(0x20, 0x7F)) | frozenset(range(0xA0, 0x100))
_A5_MM = (148.0, 210.0)
_RED = (200, 30, 30)
_BLACK = (0, 0, 0)


def render_pdf(doc: InvoiceDocument, *, font: CjkFont | Literal["auto"] | None = "auto") -> bytes:
    """The PDF of `doc`; `font=None` forces the Latin fallback, "auto" finds one (the
    bundled font first, see `invoicing.fonts`)."""
    chosen = find_cjk_font() if font == "auto" else font
    with tempfile.TemporaryDirectory(prefix="farechain-pdf-") as scratch:
        page = _Page(doc, chosen, Path(scratch))
        page.draw()
        return page.output()


def printable_code_points(doc: InvoiceDocument) -> frozenset[int]:
    """Every character the page of `doc` may print: what its font subset must hold."""
    fixed = "".join(chinese for chinese, _ in _LABELS.values()) + "".join(_PINYIN) + "¥"
    texts = (
        doc.number, doc.check_code, doc.buyer.name, doc.buyer.tax_id or "", doc.seller.name,
        doc.seller.tax_id or "", doc.description, doc.regime.exemption_reason or "",
        doc.original_number or "", doc.record_hash_hex, doc.verify_url,
    )  # fmt: skip
    return frozenset(range(0x20, 0x7F)) | frozenset(map(ord, fixed + "".join(texts)))


def _escape(char: str) -> str:
    code = ord(char)
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


class _Page:
    def __init__(self, doc: InvoiceDocument, font: CjkFont | None, scratch: Path) -> None:
        from fpdf import FPDF

        self.doc = doc
        # A5 given in millimetres: fpdf2 warns on the name "A5", whose size it once got wrong.
        self.pdf: FPDF = FPDF(orientation="landscape", format=_A5_MM, unit="mm")
        self.pdf.set_auto_page_break(auto=False)
        self.pdf.set_margins(10, 10, 10)
        self.pdf.set_creation_date(doc.issued_at)
        self.pdf.set_title(f"{doc.kind} {doc.number}")
        # Helvetica, built into every PDF reader, draws exactly Latin-1.
        self.charset = _LATIN_1
        self.cjk = font is not None and self._load(font, scratch / "cjk.ttf")
        self.family = "cjk" if self.cjk else "helvetica"
        self.escaped = False
        self.pdf.add_page()

    def _load(self, font: CjkFont, cut: Path) -> bool:
        drawn = charset(font)
        if drawn is None:
            return False
        try:
            # fpdf2 reads fonts from files only, and lazily: the cut stays until output.
            cut.write_bytes(subset_font(font, printable_code_points(self.doc)))
            self.pdf.add_font("cjk", fname=cut)
        except Exception:  # a font fpdf2 cannot use must not stop an invoice
            return False
        self.charset = drawn
        return True

    def output(self) -> bytes:
        return bytes(self.pdf.output())

    def label(self, key: str) -> str:
        chinese, english = _LABELS[key]
        return chinese if self.cjk else english

    def text(self, value: str) -> str:
        """`value` with every character the font cannot draw escaped, so none is lost."""
        if all(ord(c) in self.charset for c in value):
            return value
        self.escaped = True
        return "".join(c if ord(c) in self.charset else _escape(c) for c in value)

    def words(self, fen: int) -> str:
        words = amount_in_words(fen)
        return words if self.cjk else " ".join(_PINYIN[c] for c in words)

    def draw(self) -> None:
        doc, pdf = self.doc, self.pdf
        credit = doc.is_credit_note
        sign = -1 if credit else 1
        pdf.set_text_color(*(_RED if credit else _BLACK))
        pdf.set_font(self.family, size=15)
        pdf.cell(150, 9, self.label("title_credit" if credit else "title"))
        pdf.set_text_color(*_BLACK)
        pdf.image(io.BytesIO(qr_png(self.qr_text())), x=170, y=8, w=30, h=30)

        pdf.set_xy(10, 20)
        pdf.set_font(self.family, size=9)
        issued = doc.issued_at.astimezone(SHANGHAI).strftime("%Y-%m-%d")
        for key, value in (
            ("number", doc.number),
            ("date", issued),
            ("check_code", doc.check_code),
        ):
            self.row(f"{self.label(key)}: {value}", width=150)

        pdf.set_y(40)
        for key, party in (("buyer", doc.buyer), ("seller", doc.seller)):
            self.row(f"{self.label(key)}  {self.label('name')}: {self.text(party.name)}")
            tax_id = party.tax_id or self.label("individual")
            self.row(f"{self.label(key)}  {self.label('tax_id')}: {tax_id}")
        pdf.ln(2)
        self.items(sign)
        pdf.ln(2)
        self.row(
            f"{self.label('total_words')}: {self.words(sign * doc.total_fen)}    "
            f"{self.label('total_figures')}: {_figures(sign * doc.total_fen)}"
        )
        pdf.ln(2)
        self.remarks()

    def items(self, sign: int) -> None:
        doc, pdf = self.doc, self.pdf
        widths = (85, 35, 35, 35)
        exempt = doc.regime.code == "exempt"
        head = [self.label(k) for k in ("item", "base", "rate", "tax")]
        body = [
            self.text(doc.description),
            _figures(sign * doc.base_fen),
            self.label("exempt") if exempt else f"{doc.regime.percent}%",
            "***" if exempt else _figures(sign * doc.tax_fen),
        ]
        # A table wraps a long description instead of running over the next column.
        with pdf.table(
            col_widths=widths, width=sum(widths), line_height=5, first_row_as_headings=False
        ) as table:
            for cells in (head, body):
                row = table.row()
                for value in cells:
                    row.cell(value)

    def remarks(self) -> None:
        doc = self.doc
        lines = [f"{self.label('remarks')}:"]
        if doc.regime.exemption_reason is not None:
            lines.append(f"{self.label('exemption')}: {self.text(doc.regime.exemption_reason)}")
        if doc.original_number is not None:
            lines.append(f"{self.label('original')}: {doc.original_number}")
        if doc.credit_reason is not None:
            lines.append(f"{self.label('reason')}: {self.label(doc.credit_reason.value)}")
        lines.append(f"{self.label('hash')}: {doc.record_hash_hex}")
        lines.append(f"{self.label('verify')}: {self.text(doc.verify_url)}")
        self.pdf.set_font(self.family, size=8)
        for line in lines:
            self.row(line)
        if not self.cjk or self.escaped:
            self.pdf.set_font(self.family, size=7)
            self.row(_ESCAPE_NOTE if self.cjk else _FALLBACK_NOTE)

    def row(self, text: str, *, width: float = 0) -> None:
        from fpdf.enums import WrapMode, XPos, YPos

        self.pdf.multi_cell(
            width, 5, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT, wrapmode=WrapMode.CHAR
        )

    def qr_text(self) -> str:
        return verification_payload(self.doc.verify_url, self.doc.record_hash_hex)


def _figures(fen: int) -> str:
    """Yuan in figures with the yuan sign after any minus: -¥7.00."""
    text = yuan(fen)
    return f"-¥{text[1:]}" if text.startswith("-") else f"¥{text}"
