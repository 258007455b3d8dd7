"""Dispatch bytes to the adapter for a source type. Runs in worker processes: plain values in and out."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from . import federal_register, html, rss
from .items import NotAFeed, ParsedFeed, clean_feed
from .select import SelectDef


def parse_body(
    feed_type: str,
    body: bytes,
    headers: Mapping[str, str],
    url: str,
    fetched_at: dt.datetime,
    select: SelectDef | None = None,
) -> ParsedFeed:
    """Never raises for a bad document: the problem comes back as ParsedFeed.error. Every string in the result
    is storable (clean_feed, and make_item for the items)."""
    return clean_feed(_parse(feed_type, body, headers, url, fetched_at, select))


def _parse(
    feed_type: str,
    body: bytes,
    headers: Mapping[str, str],
    url: str,
    fetched_at: dt.datetime,
    select: SelectDef | None,
) -> ParsedFeed:
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
    """Parse every page of one fetch (the Federal Register pages); the first page decides success, a later page
    that cannot be read ends the reading with a warning and what came before is kept."""
    first = parse_body(feed_type, bodies[0], headers, url, fetched_at, select)
    if first.error or len(bodies) == 1:
        return first
    items = list(first.items)
    warnings = list(first.warnings)
    seen = {i.key for i in items}
    for n, body in enumerate(bodies[1:], start=2):
        page = parse_body(feed_type, body, headers, url, fetched_at, select)
        if page.error:
            warnings.append(f"page {n}: {page.error}")
            break
        warnings += [f"page {n}: {w}" for w in page.warnings]
        items += [i for i in page.items if i.key not in seen]
        seen.update(i.key for i in page.items)
    return ParsedFeed(tuple(items), title=first.title, warnings=tuple(warnings))
