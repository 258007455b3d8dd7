"""What every adapter produces: ParsedItem and ParsedFeed, plus the shared item clean-up rules."""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import ipaddress
from dataclasses import dataclass, field, replace
from urllib.parse import urljoin, urlsplit

import nh3

from .strings import _CONTROL as _CONTROL
from .strings import clean, clean_opt, one_line
from .text import html_to_text, plain_text

MAX_KEY = 500
MAX_TEXT = 50_000
MAX_TITLE = 1_000  # characters kept of a title (a 5 MB "title" is not one)
MAX_LINK = 4_096  # a longer link is not kept (cutting a URL makes it wrong)
MAX_RAW_DATE = 200
MAX_HTML = 500_000  # characters of an item's HTML that are sanitised and kept
MAX_TAGS = 10_000  # more tags than this and the HTML is not kept (nh3's time grows faster than linearly with
#                    nesting: 40,000 nested divs take 4.6 s, 10,000 take 0.45 s); its text still is
EARLIEST = dt.datetime(1990, 1, 1, tzinfo=dt.UTC)
FUTURE_SLACK = dt.timedelta(days=2)


@dataclass(frozen=True)
class ParsedItem:
    key: str  # guid, else link, else a hash of title + date
    link: str | None
    title: str
    text: str  # plain text, for matching
    html: str | None  # sanitised HTML, for display
    published: dt.datetime  # UTC; the fetch time when the source gave none or an absurd one
    published_raw: str | None
    content_hash: str


@dataclass(frozen=True)
class ParsedFeed:
    items: tuple[ParsedItem, ...] = ()
    title: str | None = None
    error: str | None = None  # set when the document is not usable: "not a feed (text/html)", "empty body" ...
    next_page_url: str | None = None
    warnings: tuple[str, ...] = field(default=())


class NotAFeed(Exception):
    """The document cannot be read as this source type; the message is the one-line error."""


def clean_feed(feed: ParsedFeed) -> ParsedFeed:
    """The strings of a ParsedFeed made storable (items are already clean: make_item cleans its inputs). The
    adapter gives the feed's title as text (rss.py converts an HTML one)."""
    title = _shorten(plain_text(clean(feed.title)[: MAX_TITLE * 20]), MAX_TITLE) if feed.title else None
    return replace(
        feed,
        title=title or None,
        error=one_line(feed.error) if feed.error is not None else None,
        next_page_url=clean_opt(feed.next_page_url),
        warnings=tuple(one_line(w) for w in feed.warnings),
    )


def sanitise(markup: str | None) -> str | None:
    """Safe HTML for display, or None when there is none, or when it has more than MAX_TAGS tags. `markup` is
    already clean (make_item cleans every string first)."""
    if not markup or not markup.strip() or markup.count("<") > MAX_TAGS:
        return None
    return nh3.clean(markup, url_schemes={"http", "https", "mailto"}, link_rel="noopener noreferrer nofollow")


def as_text(value: str | None, is_html: bool) -> str:
    """A field as plain text: parsed when it is HTML, every character kept when it is not."""
    return html_to_text(value) if is_html else plain_text(value)


def resolve_link(link: str | None, base: str) -> str | None:
    """An absolute http(s) URL (a relative link resolved against the page URL first), else None."""
    if not link or not link.strip() or len(link) > MAX_LINK:
        return None
    link = link.strip()
    try:
        resolved = urljoin(base, link) if base and urlsplit(base).scheme.lower() in ("http", "https") else link
        parts = urlsplit(resolved)
        host = parts.hostname
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number or out of range
    except ValueError:  # "http://[::1", "http://x:99999/"
        return None
    if parts.scheme.lower() not in ("http", "https") or not host or not _valid_host(host):
        return None
    return resolved if len(resolved) <= MAX_LINK else None


def _valid_host(host: str) -> bool:
    if ":" in host:  # only an IPv6 literal has a colon in its hostname
        try:
            ipaddress.IPv6Address(host.split("%")[0])
        except ValueError:
            return False
        return True
    return not _CONTROL.search(host) and " " not in host and "\\" not in host


def published_time(parsed: dt.datetime | None, fetched_at: dt.datetime) -> dt.datetime:
    """A sane UTC publication time, or the fetch time when there is none or it is absurd."""
    if parsed is None:
        return fetched_at
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    parsed = parsed.astimezone(dt.UTC)
    if parsed < EARLIEST or parsed > fetched_at + FUTURE_SLACK:
        return fetched_at
    return parsed


def make_item(
    *,
    guid: str | None,
    link: str | None,
    title: str | None,
    title_is_html: bool,
    body: str | None,
    body_is_html: bool,
    published: dt.datetime | None,
    published_raw: str | None,
    fetched_at: dt.datetime,
    base_url: str,
) -> ParsedItem | None:
    """Build one item; None when it has no title, link or text (nothing to show an analyst). The adapter says
    which of title and body are HTML: only those are parsed as HTML, plain text keeps every character.

    Every string from the source is cleaned first (clean()), so keys that differ only by NUL collapse here."""
    guid, link, title = clean_opt(guid), clean_opt(link), clean_opt(title)
    body = clean(body[:MAX_HTML]) if body else None
    published_raw = clean(published_raw[:MAX_RAW_DATE]) if published_raw is not None else None
    link = resolve_link(link, base_url)
    title_text = _shorten(as_text((title or "")[: MAX_TITLE * 20], title_is_html), MAX_TITLE)
    text = as_text(body, body_is_html)[:MAX_TEXT]
    if not (title_text or link or text):
        return None
    key = (guid or "").strip() or link or _digest(f"{title_text}\n{published_raw or ''}")
    if len(key) > MAX_KEY:
        key = "sha256:" + _digest(key)
    when = published_time(published, fetched_at)
    content_hash = _digest("\x1f".join([title_text, link or "", text, published_raw or ""]))
    shown = title_text or _shorten(text) or link or ""
    shown_html = sanitise(body) if body_is_html else html.escape(body, quote=False) if body and body.strip() else None
    return ParsedItem(key, link, shown, text, shown_html, when, published_raw, content_hash)


def _shorten(text: str, limit: int = 100) -> str:
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0] + "…"


def dedupe(items: list[ParsedItem | None]) -> tuple[ParsedItem, ...]:
    """Drop Nones and later items that repeat a key (some feeds repeat a guid)."""
    seen: set[str] = set()
    out = []
    for it in items:
        if it is not None and it.key not in seen:
            seen.add(it.key)
            out.append(it)
    return tuple(out)


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
