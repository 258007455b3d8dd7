"""What every adapter produces: ParsedItem and ParsedFeed, plus the shared item clean-up rules."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

import nh3

from ..match.normalize import strip_html

MAX_KEY = 500
MAX_TEXT = 50_000
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


def plain(text: str | None) -> str:
    return " ".join(strip_html((text or "").replace("\x00", " ")).split())


def sanitise(html: str | None) -> str | None:
    if not html or not html.strip():
        return None
    return nh3.clean(
        html.replace("\x00", ""), url_schemes={"http", "https", "mailto"}, link_rel="noopener noreferrer nofollow"
    )


def resolve_link(link: str | None, base: str) -> str | None:
    if not link or not link.strip():
        return None
    resolved = urljoin(base, link.strip()) if base and not base.startswith("file:") else link.strip()
    scheme = urlsplit(resolved).scheme.lower()
    return None if scheme in ("javascript", "data", "file") else resolved


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
    body_html: str | None,
    published: dt.datetime | None,
    published_raw: str | None,
    fetched_at: dt.datetime,
    base_url: str,
) -> ParsedItem | None:
    """Build one item; None when it has no title, link or text (nothing to show an analyst)."""
    link = resolve_link(link, base_url)
    title_text = plain(title)
    text = plain(body_html)[:MAX_TEXT]
    if not (title_text or link or text):
        return None
    key = (guid or "").replace("\x00", "").strip() or link or _digest(f"{title_text}\n{published_raw or ''}")
    if len(key) > MAX_KEY:
        key = "sha256:" + _digest(key)
    when = published_time(published, fetched_at)
    content_hash = _digest("\x1f".join([title_text, link or "", text, published_raw or ""]))
    shown = title_text or _shorten(text) or link or ""
    return ParsedItem(key, link, shown, text, sanitise(body_html), when, published_raw, content_hash)


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
