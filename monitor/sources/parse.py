"""Dispatch bytes to the adapter for a source type. Runs in worker processes: plain values in and out."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from ..definitions import SelectDef
from . import federal_register, html, rss
from .items import NotAFeed, ParsedFeed


def parse_body(
    feed_type: str,
    body: bytes,
    headers: Mapping[str, str],
    url: str,
    fetched_at: dt.datetime,
    select: SelectDef | None = None,
) -> ParsedFeed:
    """Never raises for a bad document: the problem comes back as ParsedFeed.error."""
    try:
        if feed_type == "rss":
            return rss.parse(body, headers, url, fetched_at)
        if feed_type == "federal_register":
            return federal_register.parse(body, headers, url, fetched_at)
        if feed_type == "html":
            assert select is not None, "html feeds are validated to have 'select'"
            return html.parse(body, headers, url, fetched_at, select)
        raise ValueError(f"unknown feed type {feed_type!r}")
    except NotAFeed as e:
        return ParsedFeed(error=str(e))
    except RecursionError:
        return ParsedFeed(error="document nested too deeply")


def parse_pages(
    feed_type: str,
    bodies: tuple[bytes, ...],
    headers: Mapping[str, str],
    url: str,
    fetched_at: dt.datetime,
    select: SelectDef | None = None,
) -> ParsedFeed:
    """Parse every page of one fetch (the Federal Register pages); the first page decides success."""
    first = parse_body(feed_type, bodies[0], headers, url, fetched_at, select)
    if first.error or len(bodies) == 1:
        return first
    items = list(first.items)
    seen = {i.key for i in items}
    for body in bodies[1:]:
        page = parse_body(feed_type, body, headers, url, fetched_at, select)
        if page.error:
            break  # later pages are a bonus; what the first page gave is kept
        items += [i for i in page.items if i.key not in seen]
        seen.update(i.key for i in page.items)
    return ParsedFeed(tuple(items), title=first.title, warnings=first.warnings)
