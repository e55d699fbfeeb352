"""Amounts in Chinese capital numerals (大写金额), as printed on invoices and cheques.

Capital numerals (壹贰叁...) replace the everyday ones (一二三...) because they cannot be
altered with a stroke. The writing follows the People's Bank of China's rules for filling
in bills and settlement vouchers (正确填写票据和结算凭证的基本规定):

- yuan are grouped by four digits under 亿 and 万; each group spells 仟, 佰, 拾;
- a run of zeros inside the number is written as a single 零, and zeros at the end of a
  group are not written: 1001 -> 壹仟零壹元, 10010 -> 壹万零壹拾元; where the rules let
  the 零 be left out (a zero 元 place before a non-zero 角, or zeros before a group that
  starts at 仟) we leave it out: 1680.32 -> 壹仟陆佰捌拾元叁角贰分;
- 拾 keeps its leading 壹 (壹拾贰元), since 拾贰 could be altered into 叁拾贰;
- 整 follows an amount that ends at 元 (柒元整); after 角 the rules make it optional and
  we leave it out (壹拾贰元伍角); after 分 it is never written;
- a zero 角 followed by 分 is written 零 (壹元零伍分); amounts below one yuan start with
  their first non-zero unit (伍角, 伍分); zero is 零元整; negative amounts (red-letter
  invoices) are prefixed with 负.

`parse_amount_words` is the inverse, so the writing can be checked by round trip.
"""

from __future__ import annotations

from invoicing.errors import InvalidAmount

__all__ = ["amount_in_words", "parse_amount_words"]

_DIGITS = "零壹贰叁肆伍陆柒捌玖"
_PLACES = ("", "拾", "佰", "仟")
_GROUPS = ("", "万", "亿")
_MAX_FEN = 10**12 * 100 - 1  # 9999亿9999万9999元9角9分: three groups of four digits


def amount_in_words(fen: int) -> str:
    """`fen` written in capital numerals: 700 -> 柒元整, 1250 -> 壹拾贰元伍角."""
    if type(fen) is not int:
        raise InvalidAmount(f"expected an integer number of fen, got {fen!r}")
    if fen < 0:
        return "负" + amount_in_words(-fen)
    if fen > _MAX_FEN:
        raise InvalidAmount(f"expected at most {_MAX_FEN} fen, got {fen}")
    yuan, cents = divmod(fen, 100)
    jiao, fen_digit = divmod(cents, 10)
    if fen == 0:
        return "零元整"
    parts: list[str] = []
    if yuan:
        parts.append(_spell_integer(yuan) + "元")
    if jiao:
        parts.append(_DIGITS[jiao] + "角")
    elif fen_digit and yuan:
        parts.append("零")
    if fen_digit:
        parts.append(_DIGITS[fen_digit] + "分")
    elif not jiao:
        parts.append("整")
    return "".join(parts)


def _spell_integer(number: int) -> str:
    groups: list[int] = []
    while number:
        number, group = divmod(number, 10_000)
        groups.append(group)
    out: list[str] = []
    pending_zero = False
    for index in range(len(groups) - 1, -1, -1):
        group = groups[index]
        if group == 0:
            pending_zero = bool(out)
            continue
        # A group below 1000 after a written group hides a zero in its thousands place.
        if out and (pending_zero or group < 1000):
            out.append("零")
        out.append(_spell_group(group) + _GROUPS[index])
        pending_zero = False
    return "".join(out)


def _spell_group(group: int) -> str:
    digits = f"{group:04d}"
    out: list[str] = []
    zero = False
    started = False
    for place, char in zip(range(3, -1, -1), digits, strict=True):
        digit = int(char)
        if digit == 0:
            zero = started
            continue
        if zero:
            out.append("零")
            zero = False
        out.append(_DIGITS[digit] + _PLACES[place])
        started = True
    return "".join(out)


def parse_amount_words(words: str) -> int:
    """The number of fen that `words` spells; the inverse of `amount_in_words`."""
    text = words
    sign = 1
    if text.startswith("负"):
        sign, text = -1, text[1:]
    if text.endswith("整"):
        text = text[:-1]
    if not text:
        raise InvalidAmount(f"expected an amount in capital numerals, got {words!r}")
    yuan_text, sep, small = text.partition("元")
    if not sep:
        yuan_text, small = "", text
    fen = _parse_integer(yuan_text, words) * 100
    small = small.removeprefix("零")
    for unit, factor in (("角", 10), ("分", 1)):
        head, sep, rest = small.partition(unit)
        if sep:
            if len(head) != 1 or head not in _DIGITS[1:]:
                raise InvalidAmount(f"expected one digit before {unit}, got {head!r} in {words!r}")
            fen += _DIGITS.index(head) * factor
            small = rest.removeprefix("零")
    if small:
        raise InvalidAmount(f"expected nothing after 分, got {small!r} in {words!r}")
    return sign * fen


def _parse_integer(text: str, words: str) -> int:
    total = 0
    section = 0  # the value of the current four-digit group
    digit = 0
    for char in text:
        if char in _DIGITS:
            digit = _DIGITS.index(char)
        elif char in "拾佰仟":
            if not digit:
                raise InvalidAmount(f"expected a digit before {char}, got none in {words!r}")
            section += digit * 10 ** _PLACES.index(char)
            digit = 0
        elif char in "万亿":
            total += (section + digit) * (10_000 if char == "万" else 10**8)
            section = digit = 0
        else:
            raise InvalidAmount(f"expected capital numerals, got {char!r} in {words!r}")
    return total + section + digit
