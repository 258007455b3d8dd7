"""The text of a field that is HTML: parsed as HTML (never cut with a regular expression), tags gone, entities
decoded once, script and style content and comments dropped, block boundaries turned into spaces.

Only fields that ARE HTML come here (an RSS description, an Atom `type="html"` title): plain text keeps every
character, so "cars <3.5t cut to 15%, trucks >3.5t unchanged" stays whole. In HTML itself, `<` before a digit
or a space is text, as in a browser.
"""

from __future__ import annotations

import html.parser
import threading

import lxml.etree

# Elements that run inside a line of text: no space is added around them, so `<b>W</b>orld` stays one word.
# Every other element (p, div, li, td, br, h1, unknown ones ...) separates what comes before and after it.
INLINE = frozenset(
    "a abbr acronym b bdi bdo big cite code data del dfn em font i ins kbd mark nobr q rp rt ruby s samp small "
    "span strike strong sub sup time tt u var wbr".split()
)
DROPPED = frozenset(("script", "style"))  # their content is not text


_LOCAL = threading.local()


def _parser() -> lxml.etree.HTMLParser:
    """This thread's HTML parser: making one per field cost about half of parsing a description, and a parser
    must not be used by two threads at once. Each parse starts with an empty error log."""
    parser: lxml.etree.HTMLParser | None = getattr(_LOCAL, "parser", None)
    if parser is None:
        parser = _LOCAL.parser = lxml.etree.HTMLParser(
            encoding="utf-8", remove_comments=True, remove_pis=True, no_network=True, huge_tree=True
        )
    return parser


def plain_text(text: str | None) -> str:
    """A field that is plain text: every character kept, whitespace collapsed."""
    return " ".join((text or "").split())


def html_to_text(markup: str | None) -> str:
    """A field that is HTML, as plain text with whitespace collapsed."""
    if not markup:
        return ""
    markup = markup.replace("\x00", "")  # no database stores it; the parser would make it U+FFFD
    if "<" not in markup and "&" not in markup:
        return plain_text(markup)
    parts = _lxml_text(markup)
    if parts is None:
        parts = _stream_text(markup)
    return plain_text("".join(parts))


def _lxml_text(markup: str) -> list[str] | None:
    """The text pieces in document order, or None when libxml2 gave up on the document (a FATAL error: more than
    2,048 nested elements), which would silently lose the text after the point where it stopped."""
    parser = _parser()
    # bytes, as lxml refuses a str holding an encoding declaration; lone surrogates cannot be text anyway
    root = lxml.etree.fromstring(markup.encode("utf-8", "ignore"), parser)
    if any(e.level == lxml.etree.ErrorLevels.FATAL for e in parser.error_log):
        return None
    parts: list[str] = []
    if root is None:  # only comments, or nothing
        return parts
    for event, el in lxml.etree.iterwalk(root, events=("start", "end")):
        tag = el.tag if isinstance(el.tag, str) else ""
        block = tag not in INLINE
        if event == "start":
            if block:
                parts.append(" ")
            if el.text and tag not in DROPPED:
                parts.append(el.text)
        else:
            if block:
                parts.append(" ")
            if el.tail:
                parts.append(el.tail)
    return parts


class _Stream(html.parser.HTMLParser):
    """The standard library's tokenizer, which keeps no tree and so has no depth limit."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.dropping = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.dropping = tag in DROPPED
        if tag not in INLINE:
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        self.dropping = False
        if tag not in INLINE:
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if not self.dropping:
            self.parts.append(data)


def _stream_text(markup: str) -> list[str]:
    stream = _Stream()
    cut = markup.rfind("<")
    if cut >= 0 and ">" not in markup[cut:]:  # a tag cut off at the end (a capped body) is not text
        markup = markup[:cut]
    try:
        stream.feed(markup)
        stream.close()
    except AssertionError:  # `<![foo[`: the tokenizer's "unknown status keyword"; the text before it is kept
        pass
    return stream.parts
