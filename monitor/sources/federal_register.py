"""The Federal Register documents.json API: one page of results in, items out, and the next page's URL."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from .items import NotAFeed, ParsedFeed, ParsedItem, dedupe, make_item
from .strings import MAX_LINE, clean
from .text import html_to_text

MAX_RESULTS = 5_000  # results kept of one page (the API gives at most 1,000)


def parse(body: bytes, headers: Mapping[str, str], url: str, fetched_at: dt.datetime) -> ParsedFeed:
    if not body.strip():
        raise NotAFeed("empty body")
    try:
        doc = json.loads(body)
    except ValueError:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        ctype = {k.lower(): v for k, v in headers.items()}.get("content-type", "").split(";")[0].strip()
        raise NotAFeed(f"not a Federal Register response ({ctype or 'not JSON'})") from None
    if not isinstance(doc, dict):
        raise NotAFeed("not a Federal Register response (no 'results' list)")
    if "errors" in doc and "results" not in doc:
        raise NotAFeed(f"Federal Register API error: {_error_text(doc['errors'])}")
    results = doc.get("results", [])
    if results is None:
        results = []
    if not isinstance(results, list):
        raise NotAFeed("not a Federal Register response (no 'results' list)")
    warnings: tuple[str, ...] = ()
    if len(results) > MAX_RESULTS:
        warnings = (f"kept the first {MAX_RESULTS} of {len(results)} results",)
        results = results[:MAX_RESULTS]
    objects = [r for r in results if isinstance(r, dict)]
    if results and not objects:
        raise NotAFeed(f"{len(results)} results, none of them a JSON object")
    items = dedupe([_item(r, url, fetched_at) for r in objects])
    if objects and not items:
        raise NotAFeed(f"{len(objects)} results, none with a title, link or text")
    description = doc.get("description")
    return ParsedFeed(
        items,
        title=description if isinstance(description, str) else None,
        next_page_url=_next(doc, url),
        warnings=warnings,
    )


def _error_text(errors: object) -> str:
    """The API's `errors` (a string, or lists and objects of them) as plain text: any markup in them is parsed
    away, as an error line is no place for it."""
    parts: list[str] = []

    def walk(v: object, depth: int) -> None:
        if len(parts) >= 20 or depth > 10:
            return
        if isinstance(v, dict):
            v = list(v.values())
        if isinstance(v, list):
            for x in v:
                walk(x, depth + 1)
        elif v is not None:
            parts.append(html_to_text(clean(str(v))))

    walk(errors, 0)
    return "; ".join(p for p in parts if p)[:MAX_LINE] or "(no message)"


def _str(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _item(r: Mapping[str, Any], url: str, fetched_at: dt.datetime) -> ParsedItem | None:
    raw_date = _str(r.get("publication_date"))
    published = None
    if raw_date is not None:
        try:
            published = dt.datetime.combine(dt.date.fromisoformat(raw_date), dt.time(), dt.UTC)
        except ValueError:
            published = None
    agencies = r.get("agencies")
    names = ", ".join(
        str(a.get("name") or a.get("raw_name") or "")
        for a in (agencies if isinstance(agencies, list) else [])
        if isinstance(a, dict)
    )
    abstract = _str(r.get("abstract")) or ""
    doc_type = _str(r.get("type")) or ""
    text = " — ".join(p for p in (abstract, f"{doc_type}; {names}".strip("; ")) if p)
    number = r.get("document_number")
    return make_item(
        guid=f"fr:{number}" if isinstance(number, str | int) and str(number) else None,
        link=_str(r.get("html_url")),
        title=_str(r.get("title")) or "",
        title_is_html=False,  # the API's title and abstract are plain text
        body=text,
        body_is_html=False,
        published=published,
        published_raw=raw_date,
        fetched_at=fetched_at,
        base_url=url,
    )


def next_page(body: bytes, url: str) -> str | None:
    """The next page of a first page, for the fetcher: never raises, whatever the body (deep nesting included)."""
    try:
        doc = json.loads(body)
    except (ValueError, RecursionError):
        return None
    return _next(doc, url) if isinstance(doc, dict) else None


def _next(doc: Mapping[str, Any], url: str) -> str | None:
    """next_page_url, only when it stays on the API host (same scheme, host and port) we were asked to poll."""
    nxt = doc.get("next_page_url")
    if not isinstance(nxt, str) or not nxt:
        return None
    try:
        here, there = urlsplit(url), urlsplit(nxt)
    except ValueError:
        return None
    if there.scheme.lower() not in ("http", "https") or (there.scheme, there.netloc) != (here.scheme, here.netloc):
        return None
    return nxt
