"""HTML listing pages: CSS selectors pick the items, their title, link (`a@href`) and date."""

from __future__ import annotations

import codecs
import datetime as dt
import re
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


_MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"
# A date written out inside other text ("2026-09-30 Ambassador Greer ...", "Posted on 12 March 2026 by ..."): the
# first of these forms found is the date. Year first (ISO, 2026/09/30, 2026.09.30), day first, month first.
_DATE_IN_TEXT = re.compile(
    rf"\b\d{{4}}[-/.]\d{{1,2}}[-/.]\d{{1,2}}\b|\b\d{{1,2}}\s+{_MONTH}\s+\d{{4}}\b|\b{_MONTH}\s+\d{{1,2}},?\s+\d{{4}}\b",
    re.IGNORECASE,
)
_DEFAULT = dt.datetime(2000, 1, 1)


def lenient_date(text: str | None) -> dt.datetime | None:
    """A date cell's time: the whole text when it is a date ("12 March 2026", "Thu, 12 Mar 2026 10:00 +0800");
    else the first date written out in it, so a row's own text works as the date cell ("2026-09-30 Title");
    else whatever a fuzzy reading finds."""
    if not text:
        return None
    text = text[:MAX_RAW_DATE]  # fuzzy parsing of a megabyte of "date" is slow and never a date
    found = _DATE_IN_TEXT.search(text)
    for candidate, fuzzy in ((text, False), (found.group(0) if found else None, False), (text, True)):
        if candidate is None:
            continue
        try:
            when = dateparser.parse(candidate, fuzzy=fuzzy, default=_DEFAULT)
        except (ValueError, OverflowError, TypeError):
            continue
        return when.replace(tzinfo=dt.UTC) if when.tzinfo is None else when
    return None


_CHARSET = re.compile(r"charset\s*=\s*[\"']?([A-Za-z0-9._:-]+)", re.IGNORECASE)


def _encoding(body: bytes, headers: Mapping[str, str]) -> str | None:
    """How to decode the page, as browsers do: the HTTP charset; else the document's own declaration (lxml reads a
    <meta charset> or a byte-order mark itself: None); else UTF-8 when the bytes are UTF-8 (lxml would otherwise
    read them as Latin-1, and "Global’s" would become "Globalâs")."""
    ctype = {k.lower(): v for k, v in headers.items()}.get("content-type", "")
    declared = _CHARSET.search(ctype)
    if declared:
        try:
            return codecs.lookup(declared.group(1)).name
        except LookupError:
            pass  # an unknown label: as if none were given
    if body[:3] == codecs.BOM_UTF8 or _CHARSET.search(body[:2048].decode("ascii", "replace")):
        return None
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return "utf-8"


def parse(body: bytes, headers: Mapping[str, str], url: str, fetched_at: dt.datetime, select: SelectDef) -> ParsedFeed:
    if not body.strip():
        raise NotAFeed("empty body")
    try:
        encoding = _encoding(body, headers)
        parser = lxml.html.HTMLParser(encoding=encoding) if encoding else None
        doc = lxml.html.document_fromstring(body, parser=parser, base_url=url)
    except (lxml.etree.LxmlError, ValueError, LookupError) as e:
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
        raw_date = _pick(row, select.date) if select.date is not None else None  # "": the row's own text
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
