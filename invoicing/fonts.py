"""The CJK font of the printable invoice, and the cut of it that one page embeds.

A fresh machine has no Chinese font, so farechain ships one: Noto Sans SC (SIL OFL) in the
pinned PyPI package `justmytype-intl-cjk`. It is a 17 MB variable font whose default
weight is Thin, so each page gets a subset: only the glyphs of the characters that page
can print, fixed at Regular weight (400), some 30 KB. The system fonts of `FONT_CANDIDATES`
are used only when the package is missing; they are subset the same way.

Cutting from the whole font costs a fifth of a second and more, most of it fontTools
reading its large tables. So a process first makes a common cut (GB 2312's 6,763 hanzi,
Latin and punctuation, about 2 MB; a few seconds, once) and cuts each page
from that in a few hundredths of a second; only a page with a rarer character is cut from
the whole font. A page with the same characters as a recent one reuses its cut.
"""

from __future__ import annotations

import importlib.resources
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

__all__ = [
    "BUNDLED_FONT_FILE",
    "FONT_CANDIDATES",
    "CjkFont",
    "bundled_cjk_font",
    "charset",
    "common_code_points",
    "common_cut",
    "find_cjk_font",
    "subset_font",
]


@dataclass(frozen=True, slots=True)
class CjkFont:
    """A font file with Chinese glyphs; `index` picks the face inside a .ttc collection."""

    path: Path
    index: int = 0


# Inside the package `justmytype_intl_cjk`; the square brackets are part of the file name.
BUNDLED_FONT_FILE = "fonts/ofl/notosanssc/NotoSansSC[wght].ttf"

# Noto CJK collections list the JP, KR, SC, TC, HK faces in that order: 2 is Simplified.
FONT_CANDIDATES: tuple[CjkFont, ...] = (
    CjkFont(Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"), 2),
    CjkFont(Path("/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc"), 2),
    CjkFont(Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")),
    CjkFont(Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc")),
    CjkFont(Path("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf")),
    CjkFont(Path("/usr/share/fonts/truetype/arphic/uming.ttc")),
    CjkFont(Path("/System/Library/Fonts/PingFang.ttc")),
    CjkFont(Path("C:/Windows/Fonts/msyh.ttc")),
    CjkFont(Path("C:/Windows/Fonts/simhei.ttf")),
)

_REGULAR = 400.0  # the weight axis value of a Regular face
# Tables a PDF's text drawing never reads (layout, vertical metrics, variation leftovers):
# dropping them keeps the cut small and skips decoding the largest of them.
_UNUSED_TABLES = ("GSUB", "GPOS", "GDEF", "BASE", "STAT", "vhea", "vmtx", "VORG", "VVAR")
_PROBE = "发票壹贰元"  # a font that lacks these is no Chinese font
_CAPITAL_NUMERALS = "零壹贰叁肆伍陆柒捌玖拾佰仟万亿元角分整负"


def bundled_cjk_font() -> CjkFont | None:
    """Noto Sans SC from the pinned package, or None where the package is not installed."""
    try:
        root = importlib.resources.files("justmytype_intl_cjk")
    except ModuleNotFoundError:
        return None
    path = Path(str(root / BUNDLED_FONT_FILE))
    return CjkFont(path) if path.is_file() else None


def find_cjk_font(candidates: Iterable[CjkFont] | None = None) -> CjkFont | None:
    """The first candidate that is a readable font covering Chinese, or None.

    By default the bundled font comes first, so a page looks the same on every machine
    that installed farechain, whatever fonts the system has.
    """
    if candidates is None:
        bundled = bundled_cjk_font()
        candidates = (*((bundled,) if bundled else ()), *FONT_CANDIDATES)
    for font in candidates:
        if charset(font) is not None:
            return font
    return None


@cache
def charset(font: CjkFont) -> frozenset[int] | None:
    """The code points the font draws, or None unless it is a readable font with Chinese.

    Checked once per font: parsing a CJK font's character map takes a good part of a second.
    """
    parsed = _glyph_order_and_cmap(font)
    if parsed is None:
        return None
    cmap = frozenset(parsed[1])
    return cmap if all(ord(char) in cmap for char in _PROBE) else None


@lru_cache(maxsize=32)
def subset_font(font: CjkFont, code_points: frozenset[int]) -> bytes:
    """A static TrueType font holding only `code_points` (those the font has), at Regular.

    Cut from the font's common cut when that holds every one of them the font has (the
    usual page: fast), else from the font itself. Raises what fontTools raises for a file
    that is no usable font; the caller falls back.
    """
    parsed = _glyph_order_and_cmap(font)
    if parsed is None:
        raise ValueError(f"expected a readable font at {font.path}, got none")
    drawn = code_points & parsed[1].keys()
    if drawn <= common_code_points():
        return _cut(common_cut(font), drawn)
    return _cut(_font_bytes(font), drawn, index=font.index, order=parsed[0])


@cache
def common_cut(font: CjkFont) -> bytes:
    """The font cut to the characters most pages print, at Regular; made once a process.

    Cutting from the whole font reads its large tables every time (a fifth of a second
    and more); from this cut of some 1 MB it takes a few hundredths."""
    parsed = _glyph_order_and_cmap(font)
    if parsed is None:
        raise ValueError(f"expected a readable font at {font.path}, got none")
    order, cmap = parsed
    drawn = common_code_points() & cmap.keys()
    return _cut(_font_bytes(font), drawn, index=font.index, order=order)


@cache
def common_code_points() -> frozenset[int]:
    """GB 2312's 6,763 hanzi (level 1, the 3,755 most used, and level 2, where 圳 is),
    Latin-1, CJK and general punctuation, full-width forms, arrows, and the capital
    numerals of amounts in words."""
    # Row 0xD7 ends at cell 0xF9: its last five pairs are no characters and are skipped.
    hanzi = bytes(
        byte for row in range(0xB0, 0xF8) for cell in range(0xA1, 0xFF) for byte in (row, cell)
    ).decode("gb2312", errors="ignore")
    ranges = ((0x20, 0x7F), (0xA0, 0x100), (0x2000, 0x2070), (0x2190, 0x2200), (0x3000, 0x3040))
    return frozenset(
        {ord(char) for char in hanzi + _CAPITAL_NUMERALS}
        | {code for low, high in (*ranges, (0xFF00, 0xFFF0)) for code in range(low, high)}
    )


def _cut(
    data: bytes, code_points: frozenset[int], *, index: int = 0, order: Sequence[str] = ()
) -> bytes:
    from fontTools import subset  # type: ignore[import-untyped,unused-ignore]
    from fontTools.ttLib import TTFont  # type: ignore[import-untyped,unused-ignore]
    from fontTools.varLib import instancer  # type: ignore[import-untyped,unused-ignore]

    # recalcTimestamp=False: the same page must make the same bytes.
    opened = TTFont(io.BytesIO(data), fontNumber=index, lazy=True, recalcTimestamp=False)
    if order:
        opened.setGlyphOrder(list(order))
    options = subset.Options()
    options.layout_features = []
    options.hinting = False
    options.notdef_outline = True
    options.name_IDs = ["*"]  # keep the family name and the licence notice
    options.drop_tables += list(_UNUSED_TABLES)
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=sorted(code_points))
    subsetter.subset(opened)
    if "fvar" in opened:
        weight = next((a for a in opened["fvar"].axes if a.axisTag == "wght"), None)
        location = {}
        if weight is not None:
            location["wght"] = min(max(_REGULAR, weight.minValue), weight.maxValue)
        # In place: a copy of the cut font would cost more than the instancing itself.
        instancer.instantiateVariableFont(opened, location, inplace=True, static=True)
    out = io.BytesIO()
    opened.save(out)
    return out.getvalue()


@cache
def _font_bytes(font: CjkFont) -> bytes:
    # Kept in memory: opening from bytes is faster than from the file each page, and
    # fontTools leaves its file open when a file fails to parse.
    return font.path.read_bytes()


@cache
def _glyph_order_and_cmap(font: CjkFont) -> tuple[tuple[str, ...], dict[int, str]] | None:
    from fontTools.ttLib import TTFont  # type: ignore[import-untyped,unused-ignore]

    try:
        data = _font_bytes(font)
        with TTFont(io.BytesIO(data), fontNumber=font.index, lazy=True) as parsed:
            return tuple(parsed.getGlyphOrder()), dict(parsed.getBestCmap() or {})
    except Exception:  # unreadable, not a font, or no such face in the collection
        return None
