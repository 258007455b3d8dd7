"""Money amounts in one form: "$550 billion", "US$550bn", "550 bln", "550 billion dollars", "5500億ドル" and
"5,500억 달러" are all "550 billion".

News writes one figure many ways; rules name it once. Amounts are compared by value (number × scale); the
currency is dropped, as a term's `$` always was, so "$550 billion" in a rule finds "550 bln" in a headline.
Pure: text in, text (or spans) out.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

# Scales written after a number, in words or abbreviations (lower case: the text is case-folded first).
_WORD_SCALES = {
    "trillion": 12, "tn": 12, "trn": 12, "tril": 12,
    "billion": 9, "bn": 9, "bln": 9, "bil": 9, "billions": 9,
    "million": 6, "mn": 6, "mln": 6, "mil": 6, "millions": 6,
}  # fmt: skip
_LETTER_SCALES = {"t": 12, "b": 9, "m": 6, "k": 3}  # only right after the number, with a currency: "$550B", "$5m"
_CJK_SCALES = {"万": 4, "萬": 4, "만": 4, "億": 8, "亿": 8, "억": 8, "兆": 12, "조": 12}
_OUT_SCALES = ((12, "trillion"), (9, "billion"), (6, "million"))

_CURRENCY_BEFORE = r"(?:us\$|u\.s\.\s?\$|usd|\$|s\$|a\$|rm|₩|krw|¥|jpy|円|€|eur|£|฿|thb|₫|vnd|cny|rmb|元)"
_CURRENCY_AFTER = (
    r"(?:(?:u\.?s\.?\s|us\s|american\s)?dollars?|usd|won|yen|ringgit|baht|dong|yuan|renminbi|euros?"
    r"|ドル|円|달러|원|美元|美金|元|日元|韩元|韓元)"
)
_NUMBER = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"

_SCALE_WORD = "|".join(sorted(_WORD_SCALES, key=len, reverse=True))
_AMOUNT = re.compile(
    rf"(?<![0-9A-Za-z.,])(?P<cur>{_CURRENCY_BEFORE}\s?)?(?P<num>{_NUMBER})"
    rf"(?:(?P<cjk>[万萬만億亿억兆조])|(?P<letter>[tbmk])(?![\w])|[\s-]?(?P<word>{_SCALE_WORD})(?![\w]))"
    rf"(?:[\s-]?(?P<after>{_CURRENCY_AFTER})(?![a-z]))?",
    re.IGNORECASE,
)
# what every amount in ASCII text contains: a scale word (each written form's shortest start; "illion" covers
# million, billion, trillion) with a digit just before it, or a currency sign
_SCALE_HINTS = ("illion", "bn", "bln", "bil", "mn", "mln", "mil", "tn", "trn", "tril")


_DIGIT_RUN = re.compile(r"[0-9]+")
_DIGITS = b"0123456789"
_HINT_REACH = 12  # a scale word counts as a hint when it starts at most this many characters after a digit
_LONGEST_HINT = max(map(len, _SCALE_HINTS))


def _ascii_hint(text: str) -> bool:
    """Whether ASCII `text` may hold an amount: a `$`, or a scale word (in any case) with a digit in the 12
    characters before it (the full pattern then decides). Looked for after each run of digits (a scale word
    starts with a letter, so after a run's last digit), not at each place where a scale word occurs: "mil" and
    "bil" start many words without a number. Most texts have no digit at all: that is told first by deleting the
    digits from the bytes (one pass in C, a fourth of what a regular expression scan for a digit costs)."""
    if "$" in text:
        return True
    raw = text.encode("ascii")
    if len(raw.translate(None, _DIGITS)) == len(raw):
        return False
    low = text.lower()
    for run in _DIGIT_RUN.finditer(low):
        after = low[run.end() : run.end() + _HINT_REACH - 1 + _LONGEST_HINT]
        for hint in _SCALE_HINTS:
            if 0 <= after.find(hint) < _HINT_REACH:
                return True
    return False


_HAS_SCALE = re.compile(r"\d\s?-?(?:[万萬만億亿억兆조]|[tbmk](?!\w)|(?:tr|bi|bn|bl|mi|mn|ml|tn))", re.IGNORECASE)


# An amount's number starts at most this many characters after the amount does (a currency before it, "u.s. $",
# and a space): its width is checked by a test.
_LEAD = 7
_DIGIT = re.compile(r"\d")
# What follows the number of any amount: digits, commas and points ending in a digit, then a scale's first
# character (every scale word starts with t, b or m). An amount tried in the window before a digit has its number
# start at that digit (a currency holds no digit), so where this does not match there, none of the window's starts
# can match: one cheap test instead of up to eight tries of the whole pattern.
# The first character of each currency written before a number ("$", "u" of US$ and USD, ...): a start before the
# number that is another ASCII character cannot begin an amount (non-ASCII ones are tried: case folding).
_CURRENCY_STARTS = frozenset(alt.lstrip("\\")[0] for alt in _CURRENCY_BEFORE[3:-1].split("|"))
_SCALED = re.compile(r"[\d.,]*\d[\s-]?[tbmk万萬만億亿억兆조]", re.IGNORECASE)


def _amount_matches(text: str) -> Iterator[re.Match[str]]:
    """What _AMOUNT.finditer(text) yields, found faster: an amount holds a digit, so the pattern is tried only at
    the few places up to _LEAD characters before each digit, in order, instead of at every place of the text
    (the same matches: from each start the same pattern is tried, and a start is never skipped where a match
    could begin; the lookbehind sees the text before a start); a window is skipped when _SCALED says none of
    its starts can match."""
    pos = 0
    while (digit := _DIGIT.search(text, pos)) is not None:
        d = digit.start()
        if _SCALED.match(text, d) is None:  # no scale after the number at d: no amount starts in its window
            pos = d + 1
            continue
        for start in range(max(pos, d - _LEAD), d + 1):
            c = text[start]
            if start < d and c.isascii() and c.lower() not in _CURRENCY_STARTS:
                continue  # neither the number nor a currency can start here
            mo = _AMOUNT.match(text, start)
            if mo is not None:
                yield mo
                pos = mo.end()
                break
        else:
            pos = d + 1


@dataclass(frozen=True)
class Amount:
    start: int
    end: int
    canonical: str  # "550 billion"


def _canonical(number: str, exponent: int) -> str | None:
    try:
        value = Decimal(number.replace(",", "")).scaleb(exponent)
    except InvalidOperation:
        return None
    if value == 0:
        return None
    for exp, word in _OUT_SCALES:
        if value >= Decimal(10) ** exp:
            mantissa = value.scaleb(-exp).normalize()
            return f"{_plain(mantissa)} {word}"
    return _plain(value.normalize())


def _plain(d: Decimal) -> str:
    text = format(d, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def may_hold_amount(text: str) -> bool:
    """False when `text` (any case) surely holds no amount, and nothing in it would be rewritten by with_amounts:
    a cheap test made before the full pattern. For ASCII text a few str.find calls, several times cheaper than a
    regex scan of the whole text."""
    return _ascii_hint(text) if text.isascii() else _HAS_SCALE.search(text) is not None


def find_amounts(text: str) -> Iterator[Amount]:
    """Every amount with a scale in `text` (any case), with its span and canonical form. A bare number (2025,
    15%) is not an amount; a single-letter scale ("550b") counts only with a currency before it."""
    if not may_hold_amount(text):
        return
    for mo in _amount_matches(text):
        letter = mo.group("letter")
        if letter is not None:
            if mo.group("cur") is None:
                continue
            exponent = _LETTER_SCALES[letter.lower()]
        elif mo.group("cjk") is not None:
            exponent = _CJK_SCALES[mo.group("cjk")]
        else:
            exponent = _WORD_SCALES[mo.group("word").lower()]
        canonical = _canonical(mo.group("num"), exponent)
        if canonical is not None:
            yield Amount(mo.start(), mo.end(), canonical)


def with_amounts(text: str) -> str:
    """`text` with every amount replaced by its canonical form, padded with spaces so it stays a separate word
    where words have no spaces between them ("5500億ドルの投資" → "550 billion の投資")."""
    out: list[str] = []
    at = 0
    for a in find_amounts(text):
        out += [text[at : a.start], f" {a.canonical} "]
        at = a.end
    if not out:
        return text
    out.append(text[at:])
    return "".join(out)
