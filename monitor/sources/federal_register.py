"""The Federal Register documents.json API: one page of results in, items out, and the next page's URL."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from .items import NotAFeed, ParsedFeed, dedupe, make_item


def parse(body: bytes, headers: Mapping[str, str], url: str, fetched_at: dt.datetime) -> ParsedFeed:
    if not body.strip():
        raise NotAFeed("empty body")
    try:
        doc = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        ctype = {k.lower(): v for k, v in headers.items()}.get("content-type", "").split(";")[0].strip()
        raise NotAFeed(f"not a Federal Register response ({ctype or 'not JSON'})") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("results", []), list):
        raise NotAFeed("not a Federal Register response (no 'results' list)")
    if "errors" in doc and "results" not in doc:
        raise NotAFeed(f"Federal Register API error: {json.dumps(doc['errors'])[:200]}")
    items = [_item(r, url, fetched_at) for r in doc.get("results") or [] if isinstance(r, dict)]
    return ParsedFeed(dedupe(items), title=doc.get("description"), next_page_url=_next(doc, url))


def _item(r: Mapping[str, Any], url: str, fetched_at: dt.datetime) -> Any:
    raw_date = r.get("publication_date")
    published = None
    if isinstance(raw_date, str):
        try:
            published = dt.datetime.combine(dt.date.fromisoformat(raw_date), dt.time(), dt.UTC)
        except ValueError:
            published = None
    agencies = ", ".join(
        str(a.get("name") or a.get("raw_name") or "") for a in r.get("agencies") or [] if isinstance(a, dict)
    )
    abstract = str(r.get("abstract") or "")
    doc_type = str(r.get("type") or "")
    text = " — ".join(p for p in (abstract, f"{doc_type}; {agencies}".strip("; ")) if p)
    number = r.get("document_number")
    return make_item(
        guid=f"fr:{number}" if number else None,
        link=r.get("html_url"),
        title=str(r.get("title") or ""),
        body_html=text,
        published=published,
        published_raw=raw_date if isinstance(raw_date, str) else None,
        fetched_at=fetched_at,
        base_url=url,
    )


def _next(doc: Mapping[str, Any], url: str) -> str | None:
    """next_page_url, only when it stays on the API host we were asked to poll."""
    nxt = doc.get("next_page_url")
    if not isinstance(nxt, str) or not nxt:
        return None
    here, there = urlsplit(url), urlsplit(nxt)
    if (there.scheme, there.netloc) != (here.scheme, here.netloc):
        return None
    return nxt
