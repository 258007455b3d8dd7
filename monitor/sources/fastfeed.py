"""A fast path for the common case: a well-formed RSS 2.0 or Atom 1.0 document, read with lxml into the few fields
rss.parse uses, exactly as feedparser 6 would give them; None whenever that is not certain, and rss.parse then
asks feedparser.

What it reproduces of feedparser (feedparser/mixin.py, namespaces/_base.py, encodings.py): the choice of encoding
(convert_to_utf8's steps, accepted only when they end in UTF-8 or ASCII without complaint), element names
(namespaces mapped to feedparser's prefixes, lower case), each value stripped, ids and links passed through its
_urljoin, an RSS title that looks like HTML typed as HTML (its looks_like_html), its re-decoding of UTF-8 read as
ISO-8859-1 and its cp1252 mapping of C1 characters, the `&amp;` fix of an item's link, guid/id as the link when it
is a permalink, rel="alternate" links, content:encoded and Atom content copied to the summary, dates read by its own
date parser. It declines (returns None) for everything else: a DOCTYPE or entity, another encoding, a
Content-Location or xml:base (relative links), RSS 0.9x/1.0/RDF, Atom 0.3, text constructs holding markup (Atom
type="xhtml", naked HTML), base64, repeated fields whose order feedparser settles by depth, namespaces declared
below the root, and any element feedparser has a handler for that is not vetted here.
"""

from __future__ import annotations

import codecs
import contextlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import lxml.etree
from feedparser.datetimes import _parse_date
from feedparser.encodings import EBCDIC_MARKER, RE_XML_PI_ENCODING, parse_content_type
from feedparser.html import _cp1252
from feedparser.mixin import _FeedParserMixin
from feedparser.urls import _urljoin

ATOM = "http://www.w3.org/2005/Atom"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
_PREFIX = {uri.lower(): prefix for uri, prefix in _FeedParserMixin.namespaces.items()}
_CANONICAL = frozenset(_PREFIX.values())
_FEED_VERSIONS = frozenset(("http://purl.org/rss/1.0/", "http://my.netscape.com/rdf/simple/0.9/"))
_ENCODINGS = frozenset(("utf-8", "utf8", "us-ascii", "ascii"))
_TEXT_TYPES = frozenset(("text/plain", "text/html"))
_HTML_TYPES = frozenset(_FeedParserMixin.html_types)
_DATES = {
    "pubdate": "published",
    "published": "published",
    "issued": "published",
    "dcterms:issued": "published",
    "updated": "updated",
    "modified": "updated",
    "dc:date": "updated",
    "dcterms:modified": "updated",
    "lastbuilddate": "updated",
    "created": "created",
    "dcterms:created": "created",
}
_KEYS = {**_DATES, "guid": "id", "description": "summary", "content:encoded": "content"}
_ITUNES = frozenset("itunes:author itunes:subtitle itunes:explicit itunes:block itunes:image itunes:keywords".split())
# Elements feedparser has a handler for whose handler touches none of the fields read here (checked in its code).
_HARMLESS_FEED = (
    frozenset(
        "link description subtitle tagline language copyright rights managingeditor webmaster lastbuilddate category "
        "generator cloud id author contributor dc:creator dc:language dc:rights dc:publisher dc:subject".split()
    )
    | frozenset(_DATES)
    | _ITUNES
)
_HARMLESS_ENTRY = (
    frozenset(
        "category author contributor dc:creator dc:subject enclosure source media:content media:thumbnail "
        "media:credit media:category media:keywords media:rating".split()
    )
    | _ITUNES
)
_PERSON = frozenset(("name", "email", "uri"))  # an Atom author's children
_IMAGE = frozenset(("url", "title", "link", "width", "height", "description"))
_looks_like_html = _FeedParserMixin.looks_like_html
_C1 = re.compile("[\x80-\x9f]")
_ENTITY_LEFT = re.compile("&([A-Za-z0-9_]+);")  # feedparser's fix of an entry's link
_DOCTYPE = re.compile(rb"<!(?:DOCTYPE|ENTITY)", re.IGNORECASE)


@dataclass(frozen=True)
class Document:
    """What rss.parse reads of feedparser's result: the version, the entries and the feed, as plain mappings
    with feedparser's keys (id, link, title, title_detail, summary, summary_detail, content, published, ...)."""

    version: str
    entries: list[dict[str, Any]]
    feed: dict[str, Any]


class _Decline(Exception):
    """Not certain to give what feedparser gives: the caller uses feedparser."""


def read(body: bytes, headers: Mapping[str, str]) -> Document | None:
    """The document as feedparser would give it, or None when the fast path is not sure. `headers` have
    lower-case names, as rss.parse gives them to feedparser."""
    if "content-location" in headers or _DOCTYPE.search(body) or not _same_characters(body, headers):
        return None
    # one parser per document: a parser is not safe to share between threads
    parser = lxml.etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, remove_comments=True, remove_pis=True
    )
    try:
        root = lxml.etree.fromstring(body, parser)
    except lxml.etree.XMLSyntaxError:
        return None
    if parser.error_log or root is None:  # a namespace error is logged, not raised
        return None
    try:
        return _Reader(root, body).document()
    except _Decline:
        return None


def _same_characters(body: bytes, headers: Mapping[str, str]) -> bool:
    """Whether feedparser's convert_to_utf8 reads the body as UTF-8 or ASCII without complaint, and lxml, reading
    the bytes by their own declaration, gets the same characters. Its steps, for that case only (running it
    costs a copy of the document and a regular expression that scans a one-line document to its end)."""
    if body[:3] == codecs.BOM_UTF8:
        body = body[3:]
    if b"\x00" in body[:4] or body[:4] == EBCDIC_MARKER:  # UTF-16/32 or EBCDIC, with or without a BOM
        return False
    declared = ""  # feedparser's xml_encoding: RE_XML_PI_ENCODING on the first line (`.` stops at a newline)
    if body[:2] == b"<?":
        end = body.find(b"\n")
        line = body if end < 0 else body[:end]
        if line.count(b"encoding=") > 1:
            return False
        close = line.find(b"?>")
        if close < 0:
            return False
        if b"encoding=" in line:
            match = RE_XML_PI_ENCODING.match(line[: close + 2])
            if not match:  # its match on the whole line could reach past the declaration
                return False
            declared = match.group(1).decode("utf-8", "replace").lower()
        if line[:6] == b"<?xml " and not re.search(rb"""version\s*=\s*["']1\.0["']""", line[:close]):
            return False  # feedparser rewrites the declaration as version 1.0; lxml would read XML 1.1
    if declared not in _ENCODINGS and declared:
        return False  # lxml would decode by the declaration where feedparser decodes by the HTTP charset
    if not headers:
        chosen = declared or "utf-8"
    else:
        mime, charset = parse_content_type(headers.get("content-type") or "")
        if mime in ("application/xml", "application/xml-dtd", "application/xml-external-parsed-entity") or (
            mime.startswith("application/") and mime.endswith("+xml")
        ):
            chosen = charset or declared or "utf-8"
        elif mime in ("text/xml", "text/xml-external-parsed-entity") or (
            mime.startswith("text/") and mime.endswith("+xml")
        ):
            chosen = charset or "us-ascii"
        else:
            return False  # "not an XML media type": feedparser sets bozo
    chosen = chosen.lower()
    if chosen not in _ENCODINGS:
        return False
    # UTF-8: libxml2 fails on bytes that are not UTF-8, as feedparser's decoding does; ASCII must be checked
    return chosen in ("utf-8", "utf8") or body.isascii()


class _Reader:
    def __init__(self, root: Any, data: bytes) -> None:
        self.root = root
        nsmap: dict[str | None, str] = dict(root.nsmap)
        # every declaration on the root, each prefix once: then a name means the same thing everywhere
        if data.count(b"xmlns") != len(nsmap):
            raise _Decline
        self.unknown: dict[str, str] = {}  # a namespace URI feedparser does not know -> the prefix it names it by
        declared = [p.lower() for p in nsmap if p is not None]
        if len(set(declared)) != len(declared):
            raise _Decline
        for prefix, uri in nsmap.items():
            low = uri.lower()
            if low in _FEED_VERSIONS:
                raise _Decline
            canonical = "" if "backend.userland.com/rss" in low else _PREFIX.get(low)
            if canonical is not None:
                # feedparser maps a declared prefix to its own: one that is another of its own would be renamed
                if prefix is not None and prefix in _CANONICAL and prefix != canonical:
                    raise _Decline
                continue
            if prefix is None or prefix.lower() in _CANONICAL or uri in self.unknown:
                raise _Decline
            self.unknown[uri] = prefix.lower()
        self.names: dict[str, str] = {}

    def name(self, tag: Any) -> str:
        """feedparser's name of an element: its namespace's feedparser prefix (none for RSS and Atom) + local."""
        if not isinstance(tag, str):
            raise _Decline
        known = self.names.get(tag)
        if known is not None:
            return known
        uri, _, local = tag[1:].partition("}") if tag[0] == "{" else ("", "", tag)
        low = uri.lower()
        prefix = "" if "backend.userland.com/rss" in low else _PREFIX.get(low)
        if prefix is None:
            prefix = self.unknown.get(uri)
            if prefix is None:
                raise _Decline
        name = f"{prefix}:{local.lower()}" if prefix else local.lower()
        self.names[tag] = name
        return name

    def document(self) -> Document:
        root = self.root
        if root.tag == "rss":
            if _attrs(root).get("version", "")[:2] != "2." or len(root) != 1 or self.name(root[0].tag) != "channel":
                raise _Decline
            return self.feed(root[0], "rss20", "item")
        if root.tag == f"{{{ATOM}}}feed":
            return self.feed(root, "atom10", "entry")
        raise _Decline

    def feed(self, container: Any, version: str, entry_name: str) -> Document:
        if _attrs(container):
            raise _Decline
        atom = version.startswith("atom")
        entries: list[dict[str, Any]] = []
        feed: dict[str, Any] = {}
        for el in container:
            name = self.name(el.tag)
            if name == entry_name:
                entries.append(self.entry(el, atom))
            elif name == "title":
                if "title" in feed:
                    raise _Decline
                value, kind = _text_construct(el, atom)
                feed["title"], feed["title_detail"] = value, {"type": kind}
            elif name == "image" and not atom:
                if _attrs(el) or any(self.name(c.tag) not in _IMAGE or len(c) or _attrs(c) for c in el):
                    raise _Decline
            elif name in ("author", "contributor"):
                self.person(el)
            elif name not in _HARMLESS_FEED:
                self.generic(el)
            elif len(el):
                raise _Decline
            else:
                _attrs(el)
        return Document(version, entries, feed)

    def entry(self, item: Any, atom: bool) -> dict[str, Any]:
        if _attrs(item):
            raise _Decline
        entry: dict[str, Any] = {}
        seen: set[str] = set()
        has_content = False
        for el in item:
            name = self.name(el.tag)
            if name in ("author", "contributor"):
                self.person(el)
                continue
            if len(el):
                raise _Decline
            if name in _HARMLESS_ENTRY:
                _attrs(el)
                continue
            if name == "link" and "href" in (attrs := _attrs(el)):  # Atom's link, also in RSS as atom:link
                if "url" in attrs or "uri" in attrs:
                    raise _Decline
                rel = attrs.get("rel", "alternate")
                kind = attrs.get("type", "application/atom+xml" if rel == "self" else "text/html")
                if rel == "alternate" and _FeedParserMixin.map_content_type(kind) in _HTML_TYPES:
                    entry["link"] = _relative(attrs["href"])
                continue
            key = _KEYS.get(name, name)
            if key in seen:  # feedparser decides between repeats by depth and handler order: not reproduced
                raise _Decline
            seen.add(key)
            if name == "title":
                entry["title"], kind = _text_construct(el, atom)
                entry["title_detail"] = {"type": kind}
            elif name == "link":
                if _attrs(el):
                    raise _Decline
                value = _fix(_relative(_stripped(el)))
                entry["link"] = _ENTITY_LEFT.sub(r"&\g<1>", value.replace("&amp;", "&")) if "&" in value else value
            elif name in ("guid", "id"):
                attrs = _attrs(el)
                if set(attrs) - {"ispermalink"}:
                    raise _Decline
                is_link = attrs.get("ispermalink", "true") == "true"
                value = _stripped(el)
                entry["id"] = value = _fix(_relative(value) if is_link else value)
                if is_link:
                    entry.setdefault("link", value)
            elif name in ("description", "summary") and name == ("summary" if atom else "description"):
                if "summary" in entry and not has_content:  # feedparser would take it as content
                    raise _Decline
                entry["summary"], kind = _text_construct(el, atom, "text/plain" if atom else "text/html")
                entry["summary_detail"] = {"type": kind}
            elif (name == "content" and atom) or name == "content:encoded":
                has_content = True
                value, kind = _text_construct(el, atom, "text/plain" if atom else "text/html")
                entry.setdefault("content", []).append({"type": kind, "value": value})
                entry.setdefault("summary", value)
            elif name in _DATES:
                if _attrs(el):
                    raise _Decline
                entry[key] = value = _fix(_stripped(el))
                entry[f"{key}_parsed"] = _parse_date(value)
            else:
                self.generic(el)
        return entry

    def person(self, el: Any) -> None:
        """An author or contributor: a text, or Atom's name, email and uri."""
        _attrs(el)
        for child in el:
            if self.name(child.tag) not in _PERSON or len(child) or _attrs(child):
                raise _Decline

    def generic(self, el: Any) -> None:
        """An element feedparser has no handler for only lands under its own name; its children must be the
        same kind (a handler child, `<foo><title>`, would act on the entry)."""
        for e in (el, *el):
            name = self.name(e.tag)
            method = name.replace(":", "_")
            if hasattr(_FeedParserMixin, f"_start_{method}") or hasattr(_FeedParserMixin, f"_end_{method}"):
                raise _Decline
            if e is not el and len(e):
                raise _Decline
            _attrs(e)


def _attrs(el: Any) -> dict[str, str]:
    """The attributes as feedparser names them (lower case; rel and type values too), xml:lang left out; None of
    xml:base, base or another namespaced attribute."""
    out = {}
    for key, value in el.items():
        if key == XML_LANG:
            continue
        if key[0] == "{" or key.lower() == "base":
            raise _Decline
        key = key.lower()
        out[key] = value.lower() if key in ("rel", "type") else value
    return out


def _stripped(el: Any) -> str:
    return (el.text or "").strip()


def _text_construct(el: Any, atom: bool, default: str = "text/plain") -> tuple[str, str]:
    """A title, summary or content: its value and feedparser's type for it."""
    attrs = _attrs(el)
    if set(attrs) - {"type"}:
        raise _Decline
    kind = _FeedParserMixin.map_content_type(attrs.get("type", default))
    if kind not in _TEXT_TYPES:
        raise _Decline
    value = _stripped(el)
    # looks_like_html is False without "</" or "&" (its first test), and that test is most of its cost
    if not atom and kind == "text/plain" and ("</" in value or "&" in value) and _looks_like_html(value):
        kind = "text/html"
    return _fix(value), kind


def _relative(value: str) -> str:
    """feedparser's resolve_uri with no base (no Content-Location, no xml:base): its slash fix only, which drops
    the slashes after a leading "scheme://" and so changes nothing without ":///"."""
    return _urljoin("", value) if ":///" in value else value


def _fix(value: str) -> str:
    """What feedparser's pop() does to every value: UTF-8 that was read as ISO-8859-1 is decoded again, and C1
    characters are mapped as cp1252."""
    if value.isascii():
        return value
    with contextlib.suppress(UnicodeEncodeError, UnicodeDecodeError):
        value = value.encode("iso-8859-1").decode("utf-8")
    return value.translate(_cp1252) if _C1.search(value) else value
