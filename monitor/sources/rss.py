"""RSS 0.9x/1.0/2.0, Atom 0.3/1.0 and RDF through feedparser, fed raw bytes plus the HTTP headers; well-formed
RSS 2.0 and Atom 1.0 through fastfeed instead when it is sure to read them as feedparser does (5-8 times less
CPU to read a 50-item feed, `python bench/parse.py`); what it declines costs its lxml parse on top."""

from __future__ import annotations

import calendar
import datetime as dt
import html
import itertools
import re
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import urljoin

import feedparser

from . import fastfeed
from .items import MAX_TITLE, NotAFeed, ParsedFeed, dedupe, make_item
from .text import html_to_text

# feedparser spends ~60 µs on every element: 100,000 tiny entries hold a worker for 20 s, and a million nested
# elements (6 MB) for a minute. Both are counted in the bytes, which is fast, before parsing.
MAX_ENTRIES = 5_000
MAX_ELEMENTS = 250_000
_ENTRY_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(?:item|entry)[\s/>]")
_ANY_TAG = re.compile(rb"<[A-Za-z_]")
# What feedparser says a text construct holds (`*_detail['type']`): these are markup, anything else is text.
HTML_TYPES = frozenset(("text/html", "application/xhtml+xml"))


def _when(entry: Mapping[str, Any]) -> tuple[dt.datetime | None, str | None]:
    for key in ("published", "updated", "created"):
        raw = entry.get(key)
        parsed: time.struct_time | None = entry.get(f"{key}_parsed")
        if raw is None and parsed is None:
            continue
        when = None
        if parsed is not None:
            try:
                when = dt.datetime.fromtimestamp(calendar.timegm(parsed), dt.UTC)
            except (ValueError, OverflowError, OSError):
                when = None  # year -1, year 99999 ...
        return when, str(raw) if raw is not None else None
    return None, None


def is_html(detail: Mapping[str, Any] | None, default: bool) -> bool:
    """Whether a text construct is HTML, by the type feedparser gives it (`title_detail`, `summary_detail`, each
    `content`): RSS titles are text unless they look like HTML, descriptions are HTML, Atom says `type=`."""
    kind = detail.get("type") if detail else None
    return default if not isinstance(kind, str) else kind.lower() in HTML_TYPES


def _body(entry: Mapping[str, Any]) -> tuple[str, bool]:
    """The entry's summary and its longest content (unless one holds the other), and whether that is HTML.
    When only one of the two is HTML, the text one is escaped into HTML, so neither loses a character."""
    summary: tuple[str, bool] = (entry.get("summary") or "", is_html(entry.get("summary_detail"), True))
    contents = [(c.get("value") or "", is_html(c, True)) for c in entry.get("content") or []]
    longest = max(contents, key=lambda c: len(c[0]), default=("", False))
    if not longest[0]:
        return summary
    if not summary[0] or summary[0][:200] in longest[0]:
        return longest
    if summary[1] == longest[1]:
        return f"{summary[0]}\n{longest[0]}", summary[1]
    return "\n".join(v if markup else html.escape(v, quote=False) for v, markup in (summary, longest)), True


def parse(
    body: bytes, headers: Mapping[str, str], url: str, fetched_at: dt.datetime, *, fast: bool = True
) -> ParsedFeed:
    """`fast=False` always uses feedparser (the differential test compares the two)."""
    if not body.strip():
        raise NotAFeed("empty body")
    lowered = {k.lower(): v for k, v in headers.items()}
    if _more_than(MAX_ENTRIES, _ENTRY_TAG, body):
        raise NotAFeed(f"more than {MAX_ENTRIES} entries")
    if _more_than(MAX_ELEMENTS, _ANY_TAG, body):
        raise NotAFeed(f"more than {MAX_ELEMENTS} elements")
    doc = fastfeed.read(body, lowered) if fast else None
    if doc is not None:
        version, entries, feed, bozo = doc.version, doc.entries, doc.feed, None
    else:
        d = feedparser.parse(body, response_headers=lowered, sanitize_html=False, resolve_relative_uris=False)
        version, entries, feed = d.get("version") or "", d.get("entries") or [], d.get("feed") or {}
        bozo = _reason(d.get("bozo_exception")) if d.get("bozo") else None
    if not version and not entries:
        ctype = lowered.get("content-type", "").split(";")[0].strip()
        raise NotAFeed(f"not a feed ({ctype})" if ctype else "not a feed")
    if bozo is not None and not entries:
        raise NotAFeed(f"malformed feed: {bozo}")
    base = _base(url, lowered.get("content-location"))
    warnings = [f"feed is not well-formed: {bozo}"] if bozo is not None else []
    if len(entries) > MAX_ENTRIES:  # an encoding the tag count cannot see (UTF-16)
        warnings.append(f"kept the first {MAX_ENTRIES} of {len(entries)} entries")
        entries = entries[:MAX_ENTRIES]
    items = []
    for e in entries:
        published, published_raw = _when(e)
        content, content_is_html = _body(e)
        items.append(
            make_item(
                guid=e.get("id"),
                link=e.get("link"),
                title=e.get("title"),
                title_is_html=is_html(e.get("title_detail"), False),
                body=content,
                body_is_html=content_is_html,
                published=published,
                published_raw=published_raw,
                fetched_at=fetched_at,
                base_url=base,
            )
        )
    kept = dedupe(items)
    if entries and not kept:
        raise NotAFeed(f"{len(entries)} entries, none with a title, link or text")
    title = feed.get("title")
    if title and is_html(feed.get("title_detail"), False):
        title = html_to_text(title[: MAX_TITLE * 20])  # as much as is read of an item's title
    return ParsedFeed(kept, title=title, warnings=tuple(warnings))


def _more_than(limit: int, tag: re.Pattern[bytes], body: bytes) -> bool:
    if body.count(b"<") <= limit:  # every tag starts with one: a cheap bound that settles the usual feed
        return False
    return sum(1 for _ in itertools.islice(tag.finditer(body), limit + 1)) > limit


def _base(url: str, content_location: str | None) -> str:
    """What relative links are resolved against: Content-Location (itself relative to the URL), else the URL."""
    if not content_location:
        return url
    try:
        return urljoin(url, content_location)
    except ValueError:  # "http://[::1"
        return url


def _reason(exc: object) -> str:
    text = " ".join(str(exc or "unknown problem").split())
    return text[:200]
