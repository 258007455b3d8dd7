"""The string rules every value leaving sources/ follows: storable (no NUL, no lone surrogate), and one line for
errors and warnings. Only the standard library: the fetcher uses them without loading the parsers."""

from __future__ import annotations

import re

MAX_LINE = 300  # an error or warning line

# NUL (PostgreSQL text cannot hold it) and UTF-16 surrogates (UTF-8 cannot encode a lone one: JSON "\ud800").
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]+")


def clean(text: str) -> str:
    """The string without what no database can store: NUL and lone surrogates (a valid pair is joined).

    Every string leaving sources/ (items, titles, errors, warnings, kept header values) goes through this."""
    if text.isascii() and "\x00" not in text:  # two scans in C, far cheaper than the search below
        return text
    if not _UNSTORABLE.search(text):
        return text
    text = text.replace("\x00", "")
    return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "ignore")


def clean_opt(text: str | None) -> str | None:
    return None if text is None else clean(text)


def one_line(text: str, limit: int = MAX_LINE) -> str:
    """An error or warning: storable, control characters gone, whitespace collapsed, at most `limit` characters."""
    text = " ".join(_CONTROL.sub(" ", clean(text)).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def header_value(text: str) -> str:
    """A header value we keep or show: storable, without control characters."""
    return _CONTROL.sub("", clean(text)).strip()
