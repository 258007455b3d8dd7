"""Text and links from data (feeds, config, the database) made fit for a published page, feed or file.

Markup is escaped by the templates (autoescape); this module handles what escaping does not: characters that
must not reach a page or an XML document (control and bidi characters, lone surrogates, XML non-characters),
and links, of which only absolute http(s) URLs are ever emitted (never `javascript:`, `data:` ...). Pure."""

from __future__ import annotations

import re
from urllib.parse import quote

from ..tracking import url_problem

# what RFC 3986 allows raw in a URL (reserved, unreserved, and % of escapes already there); the rest, such as
# " < > ` { } | \ ^ and non-ASCII, is percent-encoded as a browser would before following the link
_URL_SAFE = ":/?#[]@!$&'()*+,;=%~"

# C0 controls but tab and newline, DEL, C1; explicit bidi embeddings, overrides and isolates (they reorder what
# is shown); lone surrogates and the two non-characters XML 1.0 forbids.
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff\ufffe\uffff]")
_CRLF = re.compile(r"\r\n?")


def _escape(m: re.Match[str]) -> str:
    c = ord(m.group())
    return f"\\x{c:02x}" if c <= 0xFF else f"\\u{c:04x}"


def shown(text: str) -> str:
    """`text` with every control, bidi or otherwise unwritable character as a visible escape (ESC → `\\x1b`,
    U+202E → `\\u202e`); line breaks become `\\n`, tabs stay. As the terminal shows it (cli/safe.py)."""
    return _UNSAFE.sub(_escape, _CRLF.sub("\n", text))


def safe_url(url: str | None) -> str | None:
    """`url` when it is an absolute http(s) URL people can open (tracking.url_problem), with any character a URL
    may not hold raw percent-encoded; else None: a link from a feed that is `javascript:`, relative, or has
    spaces or control characters is shown as no link."""
    if not url or url_problem(url) is not None:
        return None
    return quote(url, safe=_URL_SAFE)


def shorten(text: str, limit: int) -> str:
    """`text` cut at a word boundary to at most `limit` characters, with an ellipsis when cut."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:.-–—") + "…"
