"""Pure item rules: ids, links, times, sanitising. No fixtures."""

from __future__ import annotations

import datetime as dt

import pytest

from monitor.sources.items import clean, dedupe, make_item, one_line, published_time, resolve_link
from monitor.sources.parse import parse_body

NOW = dt.datetime(2026, 11, 22, 12, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    "parsed,expected",
    [
        (None, NOW),
        (dt.datetime(2026, 3, 1, 9, tzinfo=dt.UTC), dt.datetime(2026, 3, 1, 9, tzinfo=dt.UTC)),
        (
            dt.datetime(2026, 3, 1, 18, tzinfo=dt.timezone(dt.timedelta(hours=9))),
            dt.datetime(2026, 3, 1, 9, tzinfo=dt.UTC),
        ),
        (dt.datetime(1970, 1, 1, tzinfo=dt.UTC), NOW),  # absurd: before 1990
        (dt.datetime(2099, 1, 1, tzinfo=dt.UTC), NOW),  # absurd: in the future
        (dt.datetime(2026, 3, 1, 9), dt.datetime(2026, 3, 1, 9, tzinfo=dt.UTC)),  # naive is UTC
    ],
)
def test_published_time(parsed: dt.datetime | None, expected: dt.datetime) -> None:
    assert published_time(parsed, NOW) == expected


@pytest.mark.parametrize(
    "link,expected",
    [
        ("/news/1", "https://example.org/news/1"),
        ("https://other.org/x", "https://other.org/x"),
        ("javascript:alert(1)", None),
        ("vbscript:msgbox(1)", None),
        ("VBSCRIPT:msgbox(1)", None),
        ("data:text/html,x", None),
        ("mailto:a@example.org", None),
        ("ftp://example.org/x", None),
        ("//cdn.example.org/x", "https://cdn.example.org/x"),
        ("http://:80/x", None),
        ("http://exa mple.org/", None),
        ("http://[::1", None),
        ("http://[::1]:8080/x", "http://[::1]:8080/x"),
        ("http://example.org:99999/", None),
        ("https://example.org/" + "a" * 5000, None),
        ("  ", None),
        (None, None),
    ],
)
def test_resolve_link(link: str | None, expected: str | None) -> None:
    assert resolve_link(link, "https://example.org/feed.xml") == expected


@pytest.mark.parametrize("base", ["", "file:///srv/feed.xml", "feeds/local.xml"])
def test_relative_link_without_a_web_base_is_not_kept(base: str) -> None:
    assert resolve_link("/news/1", base) is None
    assert resolve_link("https://example.org/news/1", base) == "https://example.org/news/1"


@pytest.mark.parametrize(
    "raw,expected",
    [
        ("plain", "plain"),
        ("a\x00b", "ab"),
        ("lone \ud800 high, lone \udfff low", "lone  high, lone  low"),
        ("pair \ud83d\ude00 joined", "pair \U0001f600 joined"),
        ("\x00\ud800", ""),
    ],
)
def test_clean_makes_strings_storable(raw: str, expected: str) -> None:
    assert clean(raw) == expected
    clean(raw).encode("utf-8")  # never raises


def test_one_line() -> None:
    assert one_line("bad\x00 \ud800thing\n\r\x07 <here>\t") == "bad thing <here>"
    assert one_line("x" * 400) == "x" * 299 + "…"


def test_keys_that_differ_only_by_unstorable_characters_are_one_item() -> None:
    made = [
        make_item(
            guid=guid,
            link=None,
            title=f"T{n}",
            title_is_html=False,
            body=None,
            body_is_html=False,
            published=None,
            published_raw=None,
            fetched_at=NOW,
            base_url="https://example.org/",
        )
        for n, guid in enumerate(["g-1", "g-\x001", "g-1\ud800"])
    ]
    assert [(i.key, i.title) for i in dedupe(made)] == [("g-1", "T0")]


@pytest.mark.parametrize(
    "origin,location,allowed,refusal",
    [
        ("https://example.org/feed", "/new-feed", [], None),
        ("https://example.org/feed", "https://www.example.org/feed", [], None),
        ("https://www.example.org/feed", "http://example.org/feed", [], None),
        ("http://example.org:8080/feed", "https://example.org/feed", [], None),
        ("http://example.org:8080/feed", "http://example.org:8080/other", [], None),
        ("http://example.org/feed", "https://feeds.feedburner.com/x", ["Feeds.Feedburner.com"], None),
        (
            "http://example.org/feed",
            "https://feeds.feedburner.com/x",
            [],
            "redirect to another host refused: https://feeds.feedburner.com/x (allow it in http.redirect_hosts)",
        ),
        (
            "http://example.org/feed",
            "https://feeds.feedburner.com:8443/x",
            ["feeds.feedburner.com"],
            "redirect to another port refused: https://feeds.feedburner.com:8443/x",
        ),
        (
            "http://example.org/feed",
            "http://www.www.example.org/feed",
            [],
            "redirect to another host refused: http://www.www.example.org/feed (allow it in http.redirect_hosts)",
        ),
        (
            "http://example.org/feed",
            "http://example.org.evil.example/feed",
            [],
            "redirect to another host refused: http://example.org.evil.example/feed (allow it in http.redirect_hosts)",
        ),
        (
            "http://example.org/feed",
            "http://example.org:6379/",
            [],
            "redirect to another port refused: http://example.org:6379/",
        ),
        (
            "http://example.org/feed",
            "javascript:alert(1)",
            [],
            "redirect to a non-HTTP URL refused: javascript:alert(1)",
        ),
        (
            "http://example.org/feed",
            "http://[fe80::1%25eth0]/",
            ["fe80::1"],  # listed, still refused
            "redirect to a link-local, unspecified or multicast address refused: http://[fe80::1%25eth0]/",
        ),
        (
            "http://example.org/feed",
            "http://[ff02::1]/",
            [],
            "redirect to a link-local, unspecified or multicast address refused: http://[ff02::1]/",
        ),
        (
            "http://example.org/feed",
            "http://[::]/",
            [],
            "redirect to a link-local, unspecified or multicast address refused: http://[::]/",
        ),
        (
            "http://example.org/feed",
            "http://0xa9.0xfe.0xa9.0xfe/",
            [],
            "redirect to a link-local, unspecified or multicast address refused: http://0xa9.0xfe.0xa9.0xfe/",
        ),
        ("http://example.org/feed", "/x\n" + "y" * 300, [], "bad redirect Location: /x\\n" + "y" * 195 + "…"),
    ],
)
def test_redirect_rules(origin: str, location: str, allowed: list[str], refusal: str | None) -> None:
    from httpx import URL

    from monitor.sources.fetch import redirect_refusal

    assert redirect_refusal(URL(origin), URL(origin), location, allowed) == refusal


def test_item_key_fallbacks_and_sanitising() -> None:
    common = dict(
        title_is_html=False,
        body='<p onclick="x()">Hi <script>alert(1)</script><b>there</b>\x00</p>',
        body_is_html=True,
        published=None,
        published_raw="garbage",
        fetched_at=NOW,
        base_url="https://example.org/",
    )
    with_guid = make_item(guid="g-1", link="/a", title="T", **common)  # type: ignore[arg-type]
    no_guid = make_item(guid=None, link="/a", title="T", **common)  # type: ignore[arg-type]
    nothing = make_item(guid=None, link=None, title="Only a title", **common)  # type: ignore[arg-type]
    assert with_guid and no_guid and nothing
    assert with_guid.key == "g-1" and no_guid.key == "https://example.org/a"
    assert len(nothing.key) == 64
    assert with_guid.html == "<p>Hi <b>there</b></p>"
    assert with_guid.text == "Hi there"
    assert with_guid.published == NOW and with_guid.published_raw == "garbage"


@pytest.mark.parametrize(
    "body,headers,error",
    [
        (b"", {}, "empty body"),
        (b"   \n", {}, "empty body"),
        (b"<html><body>Access denied</body></html>", {"content-type": "text/html"}, "not a feed (text/html)"),
        (
            b'{"version": "https://jsonfeed.org/version/1"}',
            {"content-type": "application/json"},
            "not a feed (application/json)",
        ),
    ],
)
def test_not_a_feed(body: bytes, headers: dict[str, str], error: str) -> None:
    assert parse_body("rss", body, headers, "https://example.org/feed", NOW).error == error


def test_duplicate_guids_kept_once() -> None:
    body = b"""<rss version="2.0"><channel><title>t</title>
    <item><guid>same</guid><title>first</title></item><item><guid>same</guid><title>second</title></item>
    </channel></rss>"""
    parsed = parse_body("rss", body, {}, "https://example.org/feed", NOW)
    assert [i.title for i in parsed.items] == ["first"]


@pytest.mark.parametrize("coding", ["gzip", "deflate", "deflate-raw", "br", ""])
def test_inflater_round_trip_and_cap(coding: str) -> None:
    import gzip
    import zlib

    import brotli

    from monitor.sources.fetch import Inflater, _Failed

    data = b"<rss>" + b"minerals " * 20_000 + b"</rss>"
    packed = {
        "gzip": gzip.compress,
        "deflate": zlib.compress,
        "br": brotli.compress,
        "": lambda d: d,
        "deflate-raw": lambda d: zlib.compress(d)[2:-4],
    }[coding](data)
    header = "deflate" if coding == "deflate-raw" else coding

    def run(limit: int) -> bytes:
        inf = Inflater(header, limit)
        return b"".join(inf.feed(packed[i : i + 4096]) for i in range(0, len(packed), 4096)) + inf.flush()

    assert run(len(data)) == data
    with pytest.raises(_Failed, match="body over"):
        run(len(data) - 1)


def test_inflater_rejects_garbage_and_unknown_codings() -> None:
    from monitor.sources.fetch import Inflater, _Failed

    with pytest.raises(_Failed, match="cannot decode the gzip body"):
        Inflater("gzip", 10_000).feed(b"this is not gzip at all")
    with pytest.raises(_Failed, match="unsupported Content-Encoding: zstd"):
        Inflater("zstd", 10_000)


def test_listing_rows_beyond_the_cap_are_a_warning() -> None:
    from monitor.definitions import SelectDef

    page = (
        b'<ul class="news">' + b"".join(b'<li><a href="/n/%d">N%d</a></li>' % (i, i) for i in range(5_003)) + b"</ul>"
    )
    select = SelectDef(item="ul.news li", title="a", link="a@href")
    parsed = parse_body("html", page, {}, "https://example.org/list", NOW, select)
    assert (len(parsed.items), parsed.items[-1].title, parsed.error) == (5_000, "N4999", None)
    assert parsed.warnings == ("kept the first 5000 of 5003 elements matching 'ul.news li'",)


@pytest.mark.parametrize(
    "text,expected",
    [
        ("12 March 2026", dt.datetime(2026, 3, 12, tzinfo=dt.UTC)),
        ("Thu, 12 Mar 2026 10:00:00 +0800", dt.datetime(2026, 3, 12, 2, tzinfo=dt.UTC)),
        # a row's own text as its date cell (USTR's listing: "2026-09-30 <br><a>Title</a>"); the title's numbers
        # ("2026 G20", "10th", "Over 50") do not confuse it
        ("2026-09-30 Ambassador Greer Delivers Opening Remarks at the 2026 G20 Trade Ministerial", dt.datetime(2026, 9, 30, tzinfo=dt.UTC)),
        ("2026-09-09 USTR and the UK Convene the 10th Small and Medium Enterprise Dialogue", dt.datetime(2026, 9, 9, tzinfo=dt.UTC)),
        ("Posted on March 5, 2026 by the Ministry", dt.datetime(2026, 3, 5, tzinfo=dt.UTC)),
        ("2026.10.30 산업통상부", dt.datetime(2026, 10, 30, tzinfo=dt.UTC)),
        ("garbage", None),
        ("", None),
    ],
)
def test_lenient_listing_dates(text: str, expected: dt.datetime | None) -> None:
    from monitor.sources.html import lenient_date

    found = lenient_date(text)
    assert (found.astimezone(dt.UTC) if found else None) == expected


@pytest.mark.parametrize(
    "body,headers",
    [
        ("<html><body><ul><li><a href='/x'>Global’s café</a></li></ul></body></html>".encode(), {}),  # UTF-8, no charset
        (
            "<html><body><ul><li><a href='/x'>Global’s café</a></li></ul></body></html>".encode("cp1252"),
            {"Content-Type": "text/html; charset=windows-1252"},  # the HTTP charset wins
        ),
        (
            "<html><head><meta charset='windows-1252'></head><body><ul><li><a href='/x'>Global’s café</a></li></ul></body></html>".encode(
                "cp1252"
            ),
            {"Content-Type": "text/html"},  # no HTTP charset: the page's own
        ),
        ("<html><body><ul><li><a href='/x'>Global’s café</a></li></ul></body></html>".encode(), {"content-type": "text/html; charset=bogus"}),
    ],
)
def test_listing_pages_are_decoded_as_browsers_do(body: bytes, headers: dict[str, str]) -> None:
    from monitor.definitions import SelectDef

    parsed = parse_body("html", body, headers, "https://example.org/list", NOW, SelectDef(item="li", title="a", link="a@href"))
    assert [i.title for i in parsed.items] == ["Global’s café"]


def test_an_empty_date_selector_reads_the_row_itself() -> None:
    from monitor.definitions import SelectDef

    page = b"<ul class='listing'><li> 2026-09-30 <br><a href='/p/1'> Ambassador Greer Delivers Remarks </a></li></ul>"
    select = SelectDef(item="ul.listing li", title="a", link="a@href", date="")
    (item,) = parse_body("html", page, {}, "https://ustr.gov/press", NOW, select).items
    assert (item.title, item.link, item.published) == (
        "Ambassador Greer Delivers Remarks",
        "https://ustr.gov/p/1",
        dt.datetime(2026, 9, 30, tzinfo=dt.UTC),
    )
