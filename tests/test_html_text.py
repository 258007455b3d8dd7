"""HTML to text: only fields that are HTML are parsed (with a real parser), plain text keeps every character.

"cars <3.5t cut to 15%, trucks >3.5t unchanged" once came out as "cars 3.5t unchanged": a regex took everything
from `<` to `>` for a tag, and the evidence with it."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from monitor.sources.parse import parse_body
from monitor.sources.text import _lxml_text, html_to_text, plain_text
from tests.conftest import HomeDir, write_feeds
from tests.httpserver import Response, Server

NOW = dt.datetime(2026, 11, 22, 12, tzinfo=dt.UTC)
CARS = "cars <3.5t cut to 15%, trucks >3.5t unchanged"
URL = "https://example.org/feed"


@pytest.mark.parametrize(
    "markup,text",
    [
        (CARS, CARS),  # `<` before a digit and a lone `>` are text in HTML too
        ("x > y", "x > y"),
        ("1 < 2 and 3 <= 4", "1 < 2 and 3 <= 4"),
        ("<p>Hello <b>world</b></p>", "Hello world"),
        ("<p>A&amp;B <script>x('<p>no</p>')</script>C</p>", "A&B C"),
        ("<style>p { color: red }</style>Styled", "Styled"),
        ("&amp;amp; &lt;b&gt;", "&amp; <b>"),  # entities decoded once
        ("AT&T &nbsp;and&#160;&#x41;", "AT&T and A"),
        ("<p>one</p><p>two</p><ul><li>three</li><li>four</li></ul>five<br>six", "one two three four five six"),
        ("<b>W</b>orld <a href='/x'>US</a>-Japan", "World US-Japan"),  # inline elements do not split words
        ("<!-- a comment -->after<?php echo 1 ?>", "after"),
        ("<?xml version='1.0' encoding='latin-1'?><p>caf\u00e9</p>", "caf\u00e9"),
        ("bell\x07 and \x1b[2J kept, \x00nul not", "bell\x07 and \x1b[2J kept, nul not"),  # shown visibly by cli
        ("", ""),
        ("  spaced \n out  ", "spaced out"),
    ],
)
def test_html_to_text(markup: str, text: str) -> None:
    assert html_to_text(markup) == text


def test_plain_text_keeps_every_character() -> None:
    assert plain_text(f"  {CARS}\n a<b  &amp; <p>x</p> ") == f"{CARS} a<b &amp; <p>x</p>"
    assert plain_text(None) == ""


def test_deeper_than_the_parser_goes_loses_no_text() -> None:
    """libxml2 stops at 2,048 nested elements; the text after that point is still kept."""
    n = 5_000
    markup = "before " + "<div>" * n + "deep <script>gone()</script>" + "</div>" * n + " after <p>a</p><p>b</p>"
    assert html_to_text(markup) == "before deep after a b"
    # a marked section the standard tokenizer cannot read ends the text there, without an exception
    assert html_to_text("<div>" * n + "kept <![foo[ lost") == "kept"


def test_the_reused_parser_starts_each_field_afresh() -> None:
    """One HTML parser per thread is reused: a field after one that defeated libxml2 is read by it again."""
    n = 3000
    deep = "<div>" * n + "deep" + "</div>" * n
    for _ in range(2):
        assert _lxml_text(deep) is None and html_to_text(deep) == "deep"
        assert _lxml_text("<p>x</p>") is not None
        assert html_to_text("<p>a</p><!-- c --><p>b &amp; c</p>") == "a b & c"


def rss_item(title: str, description: str) -> bytes:
    """One RSS 2.0 item; title and description are XML text (escape what XML needs escaped yourself)."""
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title>'
        f"<item><guid>g</guid><title>{title}</title><link>https://example.org/a</link>"
        f"<description>{description}</description></item></channel></rss>"
    ).encode()


def only_item(body: bytes) -> tuple[str, str, str | None]:
    parsed = parse_body("rss", body, {}, URL, NOW)
    assert parsed.error is None
    [item] = parsed.items
    return item.title, item.text, item.html


def test_plain_text_title_and_escaped_html_description_keep_every_word() -> None:
    # title: plain text, `<` escaped for XML; description: HTML, its `<` escaped for HTML and again for XML
    body = rss_item(
        "cars &lt;3.5t cut to 15%, trucks &gt;3.5t unchanged",
        "<![CDATA[<p>cars &lt;3.5t cut to 15%, trucks &gt;3.5t unchanged</p>]]>",
    )
    assert only_item(body) == (CARS, CARS, "<p>cars &lt;3.5t cut to 15%, trucks &gt;3.5t unchanged</p>")


def test_description_escaped_once_keeps_every_word() -> None:
    """`&lt;3.5t` in the XML is the HTML `<3.5t`, which is text in HTML as well."""
    body = rss_item("T", "cars &lt;3.5t cut to 15%, trucks &gt;3.5t unchanged")
    assert only_item(body)[1] == CARS


@pytest.mark.parametrize("title", ["a<b", "x > y", "a<b and x > y", "if a<b then c", "<3 tariffs"])
def test_comparison_signs_in_titles(title: str) -> None:
    xml = title.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    assert only_item(rss_item(xml, "d"))[0] == title


def test_real_html_in_a_description_loses_its_tags() -> None:
    body = rss_item("T", "<![CDATA[<p>Hello <b>world</b></p><script>alert('x')</script> Q&amp;A &amp;amp; more]]>")
    title, text, shown = only_item(body)
    assert (title, text) == ("T", "Hello world Q&A &amp; more")
    assert shown == "<p>Hello <b>world</b></p> Q&amp;A &amp;amp; more"


def test_html_in_an_rss_title_is_still_read_as_html() -> None:
    """An RSS title holding markup (a closing tag or an entity) is HTML to feedparser, and to us."""
    body = rss_item("&lt;b&gt;Tariffs&lt;/b&gt; cut &amp;amp; more", "d")
    assert only_item(body)[0] == "Tariffs cut & more"


def test_atom_says_which_fields_are_html() -> None:
    body = (
        b'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title type="html">Trade &amp;lt;news&amp;gt;'
        b'</title><entry><id>1</id><title type="text">cars &lt;3.5t cut</title>'
        b'<summary type="text">plain a&lt;b summary</summary>'
        b'<content type="html">&lt;p&gt;the longer &lt;b&gt;HTML&lt;/b&gt; content &amp;lt;3&lt;/p&gt;</content></entry>'
        b'<entry><id>2</id><title type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml">X <b>bold</b></div></title>'
        b"</entry></feed>"
    )
    parsed = parse_body("rss", body, {}, URL, NOW)
    assert parsed.title == "Trade <news>"
    first, second = parsed.items
    assert (first.title, first.text) == ("cars <3.5t cut", "plain a<b summary the longer HTML content <3")
    assert first.html == "plain a&lt;b summary\n<p>the longer <b>HTML</b> content &lt;3</p>"
    assert second.title == "X bold"


def test_federal_register_fields_are_plain_text() -> None:
    doc = {
        "results": [{"document_number": "2026-1", "title": CARS, "abstract": "Rates: a<b, <p> stays", "type": "Rule"}]
    }
    [item] = parse_body("federal_register", json.dumps(doc).encode(), {}, URL, NOW).items
    assert (item.title, item.text) == (CARS, "Rates: a<b, <p> stays — Rule")
    assert item.html == "Rates: a&lt;b, &lt;p&gt; stays — Rule"


def test_html_listing_cells_are_text() -> None:
    from monitor.definitions import SelectDef

    page = b'<ul class="news"><li><a href="/n/1">cars &lt;3.5t cut to 15%, trucks &gt;3.5t unchanged</a></li></ul>'
    select = SelectDef(item="ul.news li", title="a", link="a@href")
    [item] = parse_body("html", page, {}, "https://example.org/list", NOW, select).items
    assert item.title == CARS


def test_a_title_with_comparison_signs_matches_its_milestone(home: HomeDir, server: Server) -> None:
    """Korea's tariff milestone needs `tariff` and `15%`, which come after the `<`."""
    title = "Korean cars <3.5t: US tariff cut to 15%, trucks >3.5t unchanged"
    server.routes["/kr.xml"] = Response(
        body=rss_item(title.replace("<", "&lt;").replace(">", "&gt;"), "Washington announced the new rates.")
    )
    write_feeds(home, [{"id": "kr", "type": "rss", "url": server.url("/kr.xml")}])
    r = home.cli("poll", "--json")
    assert r.exit_code == 0, r.stderr
    assert [(f["id"], f["outcome"], f["new"]) for f in json.loads(r.stdout)["feeds"]] == [("kr", "new", 1)]
    [hit] = home.json("matches")  # type: ignore[misc]
    assert (hit["milestone"], hit["item_title"]) == ("kr-tariff-15", title)
