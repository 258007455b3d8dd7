"""Sentences of a text, for `A near B` (both sides in one sentence). Pure: text in, text out."""

from __future__ import annotations

import re

_SENTENCE_END = re.compile(r"[.!?]+[\"'”’)\]]*\s+|[。！？!?；;\n]+")
_ABBREVIATIONS = frozenset(
    "mr mrs ms dr st no vs jan feb mar apr jun jul aug sep sept oct nov dec inc corp co ltd gov sen rep gen prof "
    "jr sr est approx dept".split()
)


def split_sentences(text: str) -> list[str]:
    """Sentences of `text`: split after . ! ? (not after an initial such as the S of "U.S." or an abbreviation
    such as "Mr.") and at CJK full stops, semicolons and line breaks."""
    out: list[str] = []
    start = 0
    for mo in _SENTENCE_END.finditer(text):
        if mo.group()[0] == ".":
            w = last_word(text, start, mo.start() + 1)
            if w and (len(w) == 1 or w.casefold() in _ABBREVIATIONS):
                continue
        out.append(text[start : mo.start()])
        start = mo.end()
    out.append(text[start:])
    return [s for s in out if s.strip()]


def _word_char(c: str) -> bool:
    """Whether `c` is a character of a word, as the regular expression \\w has it (a letter, a digit, _)."""
    return c.isalnum() or c == "_"


def last_word(text: str, start: int, end: int) -> str:
    """The last run of word characters in text[start:end] ("" if none): what the regex (\\w+)\\W*$ finds there, by
    stepping back from the end over a few characters instead of trying the pattern at every place of the slice."""
    while end > start and not _word_char(text[end - 1]):
        end -= 1
    first = end
    while first > start and _word_char(text[first - 1]):
        first -= 1
    return text[first:end]
