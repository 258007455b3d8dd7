"""HTML listing pages: CSS selectors pick the items, their title, link (`a@href`) and date."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import lxml.etree
import lxml.html
from dateutil import parser as dateparser

from .items import MAX_RAW_DATE, NotAFeed, ParsedFeed, dedupe, make_item
from .select import SelectDef

MAX_ROWS = 5_000  # rows of a listing page that are read


def _split(selector: str) -> tuple[str, str | None]:
    css, sep, attr = selector.rpartition("@")
    return (css.strip(), attr.strip()) if sep else (selector.strip(), None)


def _pick(el: lxml.html.HtmlElement, selector: str) -> str | None:
    css, attr = _split(selector)
    found = el.cssselect(css) if css else [el]
    if not found:
        return None
    node = found[0]
    value = node.get(attr) if attr else node.text_content()
    return " ".join(value.split()) if value else None


def lenient_date(text: str | None) -> dt.datetime | None:
    if not text:
        return None
    text = text[:MAX_RAW_DATE]  # fuzzy parsing of a megabyte of "date" is slow and never a date
    try:
        when = dateparser.parse(text, fuzzy=True, default=dt.datetime(2000, 1, 1))
    except (ValueError, OverflowError, TypeError):
        return None
    return when.replace(tzinfo=dt.UTC) if when.tzinfo is None else when


def parse(body: bytes, headers: Mapping[str, str], url: str, fetched_at: dt.datetime, select: SelectDef) -> ParsedFeed:
    if not body.strip():
        raise NotAFeed("empty body")
    try:
        doc = lxml.html.document_fromstring(body, base_url=url)
    except (lxml.etree.LxmlError, ValueError) as e:
        raise NotAFeed(f"not an HTML page: {e}") from None
    rows = doc.cssselect(select.item)
    if not rows:
        raise NotAFeed(f"no items match selector {select.item!r}")
    warnings: tuple[str, ...] = ()
    if len(rows) > MAX_ROWS:
        warnings = (f"kept the first {MAX_ROWS} of {len(rows)} elements matching {select.item!r}",)
        rows = rows[:MAX_ROWS]
    items = []
    for row in rows:
        raw_date = _pick(row, select.date) if select.date else None
        items.append(
            make_item(
                guid=None,
                link=_pick(row, select.link),
                title=_pick(row, select.title),  # text_content(): already text
                title_is_html=False,
                body=None,
                body_is_html=False,
                published=lenient_date(raw_date),
                published_raw=raw_date,
                fetched_at=fetched_at,
                base_url=url,
            )
        )
    kept = dedupe([i for i in items if i is not None and i.link])
    if not kept:
        raise NotAFeed(f"selector {select.item!r} matched {len(rows)} elements but none had a title and link")
    title = doc.findtext(".//title")
    return ParsedFeed(kept, title=title, warnings=warnings)
