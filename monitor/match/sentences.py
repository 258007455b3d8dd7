"""Sentences of a text, for `A near B` (both sides in one sentence). Pure: text in, text out."""

from __future__ import annotations

import re
from collections.abc import Iterator

_SENTENCE_END = re.compile(r"[.!?]+[\"'”’)\]]*\s+|[。！？!?；;\n]+")
_ABBREVIATIONS = frozenset(
    "mr mrs ms dr st no vs jan feb mar apr jun jul aug sep sept oct nov dec inc corp co ltd gov sen rep gen prof "
    "jr sr est approx dept".split()
)


def split_sentences(text: str) -> list[str]:
    """Sentences of `text`: split after . ! ? (not after an initial such as the S of "U.S." or an abbreviation
    such as "Mr.") and at CJK full stops, semicolons and line breaks."""
    return [text[a:b] for a, b in sentence_spans(text)]


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Where each sentence of split_sentences(text) is in `text`: (start, end)."""
    out: list[tuple[int, int]] = []
    start = 0
    for mo in _sentence_ends(text):
        if text[mo.start()] == "." and _initial_or_abbreviation(text, start, mo.start() + 1):
            continue
        out.append((start, mo.start()))
        start = mo.end()
    out.append((start, len(text)))
    return [(a, b) for a, b in out if text[a:b].strip()]


_END_CHARS = ".!?。！？；;\n"  # the characters a match of _SENTENCE_END can start with (the first of either branch)


def _sentence_ends(text: str) -> Iterator[re.Match[str]]:
    """What _SENTENCE_END.finditer(text) yields, found faster: a match starts only at one of _END_CHARS, so the
    pattern is tried only where str.find puts one (in order, from the end of the last match), instead of at
    every place of the text (a regex scan of 1 KB of text costs several times as much here)."""
    places = sorted(at for c in _END_CHARS if c in text for at in _places(text, c))
    pos = 0
    for at in places:
        if at < pos:
            continue
        mo = _SENTENCE_END.match(text, at)
        if mo is not None:
            yield mo
            pos = mo.end()


def _places(text: str, c: str) -> Iterator[int]:
    at = text.find(c)
    while at >= 0:
        yield at
        at = text.find(c, at + 1)


_LONGEST_ABBREVIATION = max(map(len, _ABBREVIATIONS))


def _initial_or_abbreviation(text: str, start: int, end: int) -> bool:
    """Whether the last word of text[start:end] (last_word) is one letter or one of _ABBREVIATIONS, looking back over
    at most one character more than the longest abbreviation: a longer word is neither (case folding never makes a
    word shorter), so the rest of it need not be stepped over one character at a time."""
    w = last_word(text, start, end, longest=_LONGEST_ABBREVIATION + 1)
    return bool(w) and (len(w) == 1 or w.casefold() in _ABBREVIATIONS)


def _word_char(c: str) -> bool:
    """Whether `c` is a character of a word, as the regular expression \\w has it (a letter, a digit, _)."""
    return c.isalnum() or c == "_"


def last_word(text: str, start: int, end: int, longest: int | None = None) -> str:
    """The last run of word characters in text[start:end] ("" if none): what the regex (\\w+)\\W*$ finds there, by
    stepping back from the end over a few characters instead of trying the pattern at every place of the slice.
    With `longest`, at most its last `longest` characters (enough to tell whether it is a given short word)."""
    while end > start and not _word_char(text[end - 1]):
        end -= 1
    first = end
    stop = start if longest is None else max(start, end - longest)
    while first > stop and _word_char(text[first - 1]):
        first -= 1
    return text[first:end]
