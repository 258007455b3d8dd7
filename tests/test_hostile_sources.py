"""Feeds published by an attacker, served from a real HTTP server on 127.0.0.1: each ends as a named outcome with
one readable line, nothing unsafe or unstorable is stored, and the good feed polled in the same cycle still gets
its items (on SQLite and, with MONITOR_TEST_DATABASE_URL, on PostgreSQL)."""

from __future__ import annotations

import asyncio
import datetime as dt
import gzip
import json
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from monitor.clock import FixedClock
from monitor.settings import Http
from monitor.sources.fetch import FeedState, Fetcher
from monitor.sources.items import MAX_TITLE
from monitor.sources.parse import parse_pages
from tests.conftest import TODAY, HomeDir, write_feeds
from tests.httpserver import Response, Server, rss

GOOD = rss(("Tariff schedule published", "The schedule."), ("Ministers meet in Geneva", "Talks."))
NOW = dt.datetime.fromisoformat(TODAY)
JSON = {"Content-Type": "application/json"}
FAST = {"MONITOR_HTTP__TIMEOUT_S": "1.5"}


def rows(home: HomeDir, sql: str) -> list[tuple[Any, ...]]:
    url = home.env.get("MONITOR_DATABASE_URL") or f"sqlite:///{home.path}/db/monitor.sqlite3"
    engine = create_engine(url)
    with engine.connect() as c:
        found = [tuple(r) for r in c.execute(text(sql)).all()]
    engine.dispose()
    return found


def stored(home: HomeDir, feed_id: str, columns: str = "key, link, title") -> list[tuple[Any, ...]]:
    return rows(home, f"SELECT {columns} FROM items WHERE feed_id = '{feed_id}' ORDER BY key")


def poll(home: HomeDir, **env: str) -> dict[str, dict[str, Any]]:
    r = home.cli("poll", "--json", **env)
    assert r.exit_code == 0, r.stderr
    return {f["id"]: f for f in json.loads(r.stdout)["feeds"]}


def cycle(home: HomeDir, server: Server, hostile: list[dict[str, Any]], **env: str) -> dict[str, dict[str, Any]]:
    """One poll of the hostile feeds next to a good one, which must come through untouched."""
    server.routes["/good"] = Response(body=GOOD)
    write_feeds(home, [{"id": "good", "type": "rss", "url": server.url("/good")}, *hostile])
    report = poll(home, **env)
    assert (report["good"]["outcome"], report["good"]["new"], report["good"]["error"]) == ("new", 2, None)
    assert stored(home, "good") == [
        ("item-0", server.url("/news/0"), "Tariff schedule published"),
        ("item-1", server.url("/news/1"), "Ministers meet in Geneva"),
    ]
    return report


def outcome(report: dict[str, dict[str, Any]], feed_id: str) -> tuple[str, str | None]:
    return report[feed_id]["outcome"], report[feed_id]["error"]


def fr_page(server: Server, n: int, next_path: str | None) -> Response:
    doc = {
        "description": f"Page {n}",
        "next_page_url": server.url(next_path) if next_path else None,
        "results": [
            {
                "document_number": f"2026-{n}{k}",
                "title": f"Notice {n}.{k}",
                "html_url": f"https://www.federalregister.gov/d/2026-{n}{k}",
                "publication_date": "2026-11-14",
                "type": "Notice",
                "agencies": [{"name": "Trade Representative"}],
            }
            for k in range(2)
        ],
    }
    return Response(body=json.dumps(doc).encode(), headers=JSON)


# ---------------------------------------------------------------- documents


def test_deeply_nested_federal_register_json(home: HomeDir, server: Server) -> None:
    server.routes["/deep.json"] = Response(body=b"[" * 200_000, headers=JSON)
    server.routes["/deep-object.json"] = Response(body=b'{"results": ' + b'{"a": ' * 100_000, headers=JSON)
    report = cycle(
        home,
        server,
        [
            {"id": "deep", "type": "federal_register", "url": server.url("/deep.json")},
            {"id": "deep-object", "type": "federal_register", "url": server.url("/deep-object.json")},
        ],
    )
    assert outcome(report, "deep") == ("error", "document nested too deeply")
    assert outcome(report, "deep-object") == ("error", "document nested too deeply")
    health = {f["id"]: f for f in home.json("feeds")}
    assert health["deep"]["last_error"] == "document nested too deeply"
    assert health["good"]["last_success"] == TODAY


@pytest.mark.parametrize(
    "page2,warning",
    [
        (Response(500, b"oops"), "page 2: HTTP 500"),
        (Response(body=b"{}", headers=JSON, delay=3), "page 2: timeout after 1.5 s"),
        (Response(body=b'{"results": [' + b" " * 200_000 + b"]}", headers=JSON), "page 2: body over 0.1 MB"),
        (Response(body=b'{"results": [', headers=JSON), "page 2: not a Federal Register response (application/json)"),
        (Response(body=b"[" * 90_000, headers=JSON), "page 2: document nested too deeply"),
    ],
    ids=["http-500", "timeout", "over-cap", "bad-json", "nested"],
)
def test_federal_register_page_two_problem_keeps_page_one(
    home: HomeDir, server: Server, page2: Response, warning: str
) -> None:
    server.routes["/p1.json"] = fr_page(server, 1, "/p2.json")
    server.routes["/p2.json"] = page2
    server.routes["/p3.json"] = fr_page(server, 3, None)
    env = {**FAST, "MONITOR_HTTP__MAX_BYTES": "100000"}
    report = cycle(home, server, [{"id": "fr", "type": "federal_register", "url": server.url("/p1.json")}], **env)
    assert (report["fr"]["outcome"], report["fr"]["new"], report["fr"]["error"]) == ("new", 2, None)
    assert report["fr"]["warnings"] == [warning]
    assert stored(home, "fr") == [
        ("fr:2026-10", "https://www.federalregister.gov/d/2026-10", "Notice 1.0"),
        ("fr:2026-11", "https://www.federalregister.gov/d/2026-11", "Notice 1.1"),
    ]
    assert server.hits("/p3.json") == 0
    assert {f["id"]: f for f in home.json("feeds")}["fr"]["consecutive_failures"] == 0

    # The problem is a warning of the fetch (transport) or of the parse (document), never the feed's error.
    http = Http(timeout_s=1.5, max_bytes=100_000)
    state = FeedState("fr", "federal_register", server.url("/p1.json"))

    async def fetch() -> Any:
        async with Fetcher(http, FixedClock(NOW)) as fetcher:
            return await fetcher.fetch(state)

    fetched = asyncio.run(fetch())
    parsed = parse_pages("federal_register", fetched.bodies, fetched.headers, fetched.url, NOW)
    assert (fetched.outcome, fetched.error, parsed.error) == ("fetched", None, None)
    assert fetched.warnings + parsed.warnings == (warning,)
    assert [i.key for i in parsed.items] == ["fr:2026-10", "fr:2026-11"]


def test_poll_table_shows_a_page_two_warning(home: HomeDir, server: Server) -> None:
    server.routes["/p1.json"] = fr_page(server, 1, "/p2.json")
    server.routes["/p2.json"] = Response(500, b"oops")
    write_feeds(home, [{"id": "fr", "type": "federal_register", "url": server.url("/p1.json")}])
    r = home.cli("poll")
    assert r.exit_code == 0, r.stderr
    assert "(warning: page 2: HTTP 500)" in r.stdout
    assert "1 feed polled, 0 failed" in r.stdout


def test_federal_register_next_page_stays_on_the_api_host(home: HomeDir, server: Server) -> None:
    with Server() as other:
        other.routes["/p2.json"] = fr_page(other, 2, None)
        server.routes["/port.json"] = Response(
            body=json.dumps({"results": [], "next_page_url": other.url("/p2.json")}).encode(), headers=JSON
        )
        server.routes["/scheme.json"] = Response(
            body=json.dumps({"results": [], "next_page_url": "file:///etc/passwd"}).encode(), headers=JSON
        )
        server.routes["/meta.json"] = Response(
            body=json.dumps({"results": [], "next_page_url": "http://169.254.169.254/latest"}).encode(), headers=JSON
        )
        report = cycle(
            home,
            server,
            [
                {"id": n, "type": "federal_register", "url": server.url(f"/{n}.json")}
                for n in ("port", "scheme", "meta")
            ],
        )
        assert other.hits("/p2.json") == 0
    assert {n: outcome(report, n) for n in ("port", "scheme", "meta")} == {
        "port": ("empty", None),
        "scheme": ("empty", None),
        "meta": ("empty", None),
    }


def test_federal_register_results_that_are_not_objects(home: HomeDir, server: Server) -> None:
    server.routes["/numbers.json"] = Response(body=b'{"results": [1, "two", null, [4]]}', headers=JSON)
    server.routes["/wrong-types.json"] = Response(
        body=json.dumps(
            {
                "description": ["not", "a", "string"],
                "results": [
                    {"title": {"x": 1}, "html_url": 5, "agencies": 7, "publication_date": 20261114},
                    {"document_number": "2026-1", "title": "Kept", "html_url": ["x"], "agencies": "USTR"},
                ],
            }
        ).encode(),
        headers=JSON,
    )
    report = cycle(
        home,
        server,
        [
            {"id": "numbers", "type": "federal_register", "url": server.url("/numbers.json")},
            {"id": "wrong-types", "type": "federal_register", "url": server.url("/wrong-types.json")},
        ],
    )
    assert outcome(report, "numbers") == ("error", "4 results, none of them a JSON object")
    assert (report["wrong-types"]["outcome"], report["wrong-types"]["new"]) == ("new", 1)
    assert stored(home, "wrong-types", "key, link, title, published_raw") == [("fr:2026-1", None, "Kept", None)]


def test_federal_register_errors_with_markup_and_control_characters(home: HomeDir, server: Server) -> None:
    errors = {"errors": {"conditions": ['<b>bad</b>\u0007 agency\x00\n\r <script>alert(1)</script>"x"', 42]}}
    server.routes["/err.json"] = Response(body=json.dumps(errors).encode(), headers=JSON)
    report = cycle(home, server, [{"id": "err", "type": "federal_register", "url": server.url("/err.json")}])
    assert outcome(report, "err") == ("error", 'Federal Register API error: bad agency "x"; 42')
    assert {f["id"]: f for f in home.json("feeds")}["err"][
        "last_error"
    ] == 'Federal Register API error: bad agency "x"; 42'


def test_nul_and_lone_surrogates_are_never_stored(home: HomeDir, server: Server) -> None:
    """PostgreSQL text cannot hold NUL; UTF-8 cannot encode a lone surrogate. Both are cleaned out at the edge."""
    server.routes["/nul.xml"] = Response(
        body=b'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>T&#0;itle</title>'
        b"<item><title>Tari\x00ff notice&#0;</title><link>/a\x00b</link><guid>g\x00uid-1</guid>"
        b"<pubDate>Mon, 01 Dec 2025 10:00:00 GMT\x00</pubDate><description>Te\x00xt &#0;here</description></item>"
        b"</channel></rss>"
    )
    doc = {
        "results": [
            {
                "document_number": "2026-\u0000\ud800x",
                "title": "Sur\ud800rogate \U0001f600 and NUL\u0000",
                "abstract": "Ab\udfffstract",
                "html_url": "https://www.federalregister.gov/d/\u0000\udc00x",
                "publication_date": "2026-11-\u000014\ud800",
            }
        ]
    }
    server.routes["/sur.json"] = Response(body=json.dumps(doc).encode(), headers=JSON)
    server.routes["/err.json"] = Response(body=json.dumps({"errors": ["bad\u0000 \ud800thing"]}).encode(), headers=JSON)
    report = cycle(
        home,
        server,
        [
            {"id": "nul", "type": "rss", "url": server.url("/nul.xml")},
            {"id": "sur", "type": "federal_register", "url": server.url("/sur.json")},
            {"id": "err", "type": "federal_register", "url": server.url("/err.json")},
        ],
    )
    assert (report["nul"]["outcome"], report["nul"]["new"]) == ("new", 1)
    assert (report["sur"]["outcome"], report["sur"]["new"]) == ("new", 1)
    assert outcome(report, "err") == ("error", "Federal Register API error: bad thing")
    cols = "key, link, title, text, published_raw"
    assert stored(home, "nul", cols) == [
        ("guid-1", server.url("/ab"), "Tariff notice", "Text here", "Mon, 01 Dec 2025 10:00:00 GMT")
    ]
    assert stored(home, "sur", cols) == [
        (
            "fr:2026-x",
            "https://www.federalregister.gov/d/x",
            "Surrogate \U0001f600 and NUL",
            "Abstract",
            "2026-11-14",
        )
    ]


def test_links_are_absolute_http_urls_or_none(home: HomeDir, server: Server) -> None:
    links = [
        "vbscript:msgbox(1)",
        "VBScript:msgbox(1)",
        " javascript:alert(1)",
        "java\tscript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "file:///etc/passwd",
        "ftp://example.org/x",
        "http://:80/no-host",
        "http://[::1",
        "http://example.org:99999/",
        "/relative/path",
        "https://example.org/ok",
        "//cdn.example.org/x",
    ]
    entries = "".join(
        f"<item><title>Link {i}</title><guid>{i:02d}</guid><link>{link.replace('<', '&lt;')}</link></item>"
        for i, link in enumerate(links)
    )
    server.routes["/links.xml"] = Response(body=f'<rss version="2.0"><channel>{entries}</channel></rss>'.encode())
    report = cycle(home, server, [{"id": "links", "type": "rss", "url": server.url("/links.xml")}])
    assert report["links"]["new"] == len(links)
    assert [link for _, link, _ in stored(home, "links")] == [None] * 10 + [
        server.url("/relative/path"),
        "https://example.org/ok",
        "http://cdn.example.org/x",
    ]


def test_html_listing_with_a_million_nested_elements(home: HomeDir, server: Server) -> None:
    good = b'<ul class="news"><li><a href="/n/1">Listed</a><span class="date">12 March 2026</span></li></ul>'
    n = 1_000_000
    page = b"<html><body>" + good + b"<div>" * n + good.replace(b"Listed", b"Deep") + b"</div>" * n + b"</body></html>"
    server.routes["/deep.html"] = Response(body=page, headers={"Content-Type": "text/html"})
    server.routes["/flat.html"] = Response(
        body=b'<html><body><ul class="news">' + b'<li><a href="/x">t</a></li>' * 6_000 + b"</ul></body></html>",
        headers={"Content-Type": "text/html"},
    )
    select = {"item": "ul.news li", "title": "a", "link": "a@href", "date": ".date"}
    report = cycle(
        home,
        server,
        [
            {"id": "deep", "type": "html", "url": server.url("/deep.html"), "select": select},
            {"id": "flat", "type": "html", "url": server.url("/flat.html"), "select": select},
        ],
        MONITOR_HTTP__MAX_BYTES="12000000",
    )
    assert (report["deep"]["outcome"], report["deep"]["new"]) == ("new", 1)  # libxml2 stops at 256 levels
    assert stored(home, "deep", "link, title, published_raw") == [(server.url("/n/1"), "Listed", "12 March 2026")]
    assert (report["flat"]["outcome"], report["flat"]["new"]) == ("new", 1)  # 6,000 rows read to 5,000, one link


@pytest.mark.parametrize(
    "body,error",
    [
        (
            b'<rss version="2.0"><channel><title>t</title>'
            + b"".join(b"<item><title>t%d</title><guid>g%d</guid></item>" % (i, i) for i in range(100_000))
            + b"</channel></rss>",
            "more than 5000 entries",
        ),
        (
            b'<rss version="2.0"><channel><title>t</title>'
            + b"<x>" * 1_000_000
            + b"</x>" * 1_000_000
            + b"<item><title>a</title></item></channel></rss>",
            "more than 250000 elements",
        ),
    ],
    ids=["100k-items", "million-nested"],
)
def test_rss_too_big_to_parse(home: HomeDir, server: Server, body: bytes, error: str) -> None:
    server.routes["/big.xml"] = Response(body=body)
    report = cycle(home, server, [{"id": "big", "type": "rss", "url": server.url("/big.xml")}])
    assert outcome(report, "big") == ("error", error)


def test_five_megabyte_title(home: HomeDir, server: Server) -> None:
    server.routes["/title.xml"] = Response(
        body=b'<rss version="2.0"><channel><item><guid>big</guid><title>'
        + b"A" * 5_000_000
        + b"</title><link>https://example.org/a</link><pubDate>"
        + b"9" * 100_000
        + b"</pubDate></item></channel></rss>"
    )
    report = cycle(home, server, [{"id": "title", "type": "rss", "url": server.url("/title.xml")}])
    assert (report["title"]["outcome"], report["title"]["new"]) == ("new", 1)
    assert stored(home, "title", "key, link, title, published_raw") == [
        ("big", "https://example.org/a", "A" * MAX_TITLE + "…", "9" * 200)
    ]
    assert rows(home, "SELECT count(*) FROM items WHERE feed_id = 'title' AND published = first_seen") == [(1,)]


def test_description_of_deeply_nested_html_keeps_its_text_not_its_html(home: HomeDir, server: Server) -> None:
    # nh3 needs seconds for tens of thousands of nested elements (minutes for 100,000): such HTML is not kept.
    nested = "&lt;div&gt;" * 60_000 + "Ministers met in Tokyo" + "&lt;/div&gt;" * 60_000
    server.routes["/nested.xml"] = Response(
        body=(
            '<rss version="2.0"><channel><item><guid>deep</guid><title>Japan minerals talks</title>'
            f"<link>https://example.org/deep</link><description>{nested}</description></item>"
            "<item><guid>fine</guid><title>Fine</title><link>https://example.org/fine</link>"
            "<description>&lt;p&gt;Hello &lt;b&gt;world&lt;/b&gt;&lt;/p&gt;</description></item></channel></rss>"
        ).encode()
    )
    report = cycle(home, server, [{"id": "nested", "type": "rss", "url": server.url("/nested.xml")}])
    assert (report["nested"]["outcome"], report["nested"]["new"]) == ("new", 2)
    assert stored(home, "nested", "key, text, html") == [
        ("deep", "Ministers met in Tokyo", None),
        ("fine", "Hello world", "<p>Hello <b>world</b></p>"),
    ]


def test_empty_feed_is_empty_then_unchanged(home: HomeDir, server: Server) -> None:
    server.routes["/empty.xml"] = Response(body=rss())
    server.routes["/empty.json"] = Response(body=b'{"count": 0, "results": []}', headers=JSON)
    feeds = [
        {"id": "empty", "type": "rss", "url": server.url("/empty.xml")},
        {"id": "empty-fr", "type": "federal_register", "url": server.url("/empty.json")},
    ]
    report = cycle(home, server, feeds)
    assert {n: (report[n]["outcome"], report[n]["error"], report[n]["status"]) for n in ("empty", "empty-fr")} == {
        "empty": ("empty", None, 200),
        "empty-fr": ("empty", None, 200),
    }
    health = {f["id"]: f for f in home.json("feeds")}
    assert (health["empty"]["last_success"], health["empty"]["consecutive_failures"]) == (TODAY, 0)
    again = poll(home)
    assert {n: again[n]["outcome"] for n in ("good", "empty", "empty-fr")} == {
        "good": "unchanged",
        "empty": "unchanged",
        "empty-fr": "unchanged",
    }


# ---------------------------------------------------------------- HTTP


def test_content_type_with_control_characters(home: HomeDir, server: Server) -> None:
    server.routes["/ctl"] = Response(
        body=b"<html><body>no</body></html>", headers={"Content-Type": "text/ht\x01ml\x7f"}
    )
    report = cycle(home, server, [{"id": "ctl", "type": "rss", "url": server.url("/ctl")}])
    assert outcome(report, "ctl") == ("error", "not a feed (text/html)")


@pytest.mark.parametrize(
    "retry_after,expected",
    [
        ("1" + "0" * 30, "2026-11-29T12:00:00+00:00"),  # at most 7 days
        ("-5", None),
        ("²", None),
        ("Mon, 32 Foo 2026 99:99:99 GMT", None),
        ("Fri, 31 Dec 9999 23:59:59 +1400", "2026-11-29T12:00:00+00:00"),
        ("Sun, 22 Nov 2026 11:00:00 GMT", TODAY),  # in the past: ask again now
        ("120", "2026-11-22T12:02:00+00:00"),
    ],
)
def test_retry_after_values(home: HomeDir, server: Server, retry_after: str, expected: str | None) -> None:
    server.routes["/busy"] = Response(429, b"slow down", {"Retry-After": retry_after})
    report = cycle(home, server, [{"id": "busy", "type": "rss", "url": server.url("/busy")}])
    assert (*outcome(report, "busy"), report["busy"]["retry_after"]) == ("error", "HTTP 429", expected)


def test_etag_too_long_or_not_ascii_is_not_kept(home: HomeDir, server: Server) -> None:
    server.routes["/long"] = Response(body=rss(("Long", "x")), etag='"' + "a" * 100_000 + '"')
    server.routes["/latin"] = Response(body=rss(("Latin", "x")), headers={"ETag": '"caf\xe9"', "Last-Modified": "\xff"})
    server.routes["/fine"] = Response(body=rss(("Fine", "x")), etag='W/"v1"')
    feeds = [{"id": n, "type": "rss", "url": server.url(f"/{n}")} for n in ("long", "latin", "fine")]
    report = cycle(home, server, feeds)
    assert {n: report[n]["outcome"] for n in ("long", "latin", "fine")} == {
        "long": "new",
        "latin": "new",
        "fine": "new",
    }
    validators = rows(
        home, "SELECT id, etag, last_modified FROM feeds WHERE id IN ('long', 'latin', 'fine') ORDER BY id"
    )
    assert validators == [("fine", 'W/"v1"', None), ("latin", None, None), ("long", None, None)]
    again = poll(home)  # the next request sends only validators that can be sent
    assert {n: again[n]["outcome"] for n in ("long", "latin", "fine")} == {
        "long": "unchanged",
        "latin": "unchanged",
        "fine": "not_modified",
    }
    sent = {p: h.get("if-none-match") for p, h in server.requests[-4:]}
    assert sent == {"/good": None, "/long": None, "/latin": None, "/fine": 'W/"v1"'}


@pytest.mark.parametrize(
    "headers,body,error",
    [
        ({"Content-Length": "9" * 40}, b"x", "connection broken: bad Content-Length"),
        ({"Content-Length": "-1"}, b"x", "connection broken: bad Content-Length"),
        ({"Content-Length": "99999999999"}, b"x", "body over 0.1 MB"),
        (
            {"Content-Encoding": "gzip"},
            GOOD,
            "cannot decode the gzip body: Error -3 while decompressing data: incorrect header check",
        ),
        ({"Content-Encoding": "gzip, br"}, gzip.compress(GOOD), "unsupported Content-Encoding: gzip, br"),
    ],
    ids=["40-digits", "negative", "absurd", "gzip-claimed", "two-codings"],
)
def test_lying_length_and_encoding_headers(
    home: HomeDir, server: Server, headers: dict[str, str], body: bytes, error: str
) -> None:
    server.routes["/liar"] = Response(body=body, headers=headers)
    report = cycle(
        home, server, [{"id": "liar", "type": "rss", "url": server.url("/liar")}], MONITOR_HTTP__MAX_BYTES="100000"
    )
    assert outcome(report, "liar") == ("error", error)


@pytest.mark.parametrize(
    "status,error",
    [
        (999, "HTTP 999"),
        (300, "HTTP 300"),
        (302, "HTTP 302 without a Location"),
        (204, "empty body"),
        (101, "connection broken: Received server _SWITCH_UPGRADE event without a pending proposal"),
        (150, "timeout after 1.5 s"),  # an informational answer that never gets a final one
    ],
)
def test_odd_status_codes(home: HomeDir, server: Server, status: int, error: str) -> None:
    server.routes["/odd"] = Response(status, b"" if status == 204 else GOOD)
    report = cycle(home, server, [{"id": "odd", "type": "rss", "url": server.url("/odd")}], **FAST)
    assert outcome(report, "odd") == ("error", error)


# ---------------------------------------------------------------- redirects


@pytest.mark.parametrize(
    "location,error",
    [
        (
            "http://evil.example:6379/",
            "redirect to another host refused: http://evil.example:6379/ (allow it in http.redirect_hosts)",
        ),
        (
            "//evil.example/feed",
            "redirect to another host refused: http://evil.example/feed (allow it in http.redirect_hosts)",
        ),
        ("file:///etc/passwd", "redirect to a non-HTTP URL refused: file:///etc/passwd"),
        ("ftp://127.0.0.1/feed", "redirect to a non-HTTP URL refused: ftp://127.0.0.1/feed"),
        ("gopher://127.0.0.1:6379/_FLUSHALL", "redirect to a non-HTTP URL refused: gopher://127.0.0.1:6379/_FLUSHALL"),
        ("http://127.0.0.1:6379/", "redirect to another port refused: http://127.0.0.1:6379/"),
        (
            "http://169.254.169.254/latest/meta-data/",
            "redirect to a link-local, unspecified or multicast address refused: http://169.254.169.254/latest/meta-data/",
        ),
        (
            "http://2852039166/",
            "redirect to a link-local, unspecified or multicast address refused: http://2852039166/",
        ),
        ("http://[fe80::1]/", "redirect to a link-local, unspecified or multicast address refused: http://[fe80::1]/"),
        (
            "http://[::ffff:169.254.169.254]/",
            "redirect to a link-local, unspecified or multicast address refused: http://[::ffff:169.254.169.254]/",
        ),
        ("http://0.0.0.0/", "redirect to a link-local, unspecified or multicast address refused: http://0.0.0.0/"),
        ("http://224.0.0.1/", "redirect to a link-local, unspecified or multicast address refused: http://224.0.0.1/"),
        ("/a\x01b\x7f", "bad redirect Location: /a\\x01b\\x7f"),
        (
            "http://exa mple.org/",
            "redirect to another host refused: http://exa%20mple.org/ (allow it in http.redirect_hosts)",
        ),
    ],
)
def test_redirect_refused(home: HomeDir, server: Server, location: str, error: str) -> None:
    server.routes["/redirect"] = Response(302, headers={"Location": location})
    report = cycle(
        home,
        server,
        [{"id": "redirect", "type": "rss", "url": server.url("/redirect")}],
        MONITOR_HTTP__REDIRECT_HOSTS='["169.254.169.254", "0.0.0.0", "224.0.0.1"]',  # listed, still refused
    )
    assert outcome(report, "redirect") == ("error", error)
    assert report["redirect"]["status"] == 302


def test_redirect_to_another_port_of_this_host_refused(home: HomeDir, server: Server) -> None:
    with Server() as other:
        other.routes["/feed"] = Response(body=GOOD)
        server.routes["/away"] = Response(301, headers={"Location": other.url("/feed")})
        report = cycle(home, server, [{"id": "away", "type": "rss", "url": server.url("/away")}])
        assert other.hits("/feed") == 0
    assert outcome(report, "away") == ("error", f"redirect to another port refused: {other.url('/feed')}")


def test_redirects_followed_only_within_the_rules(home: HomeDir, server: Server) -> None:
    port = server.httpd.server_address[1]
    server.routes.update(
        {
            "/spaces": Response(302, headers={"Location": "/good feed"}),
            "/good%20feed": Response(body=rss(("Spaces", "x"))),
            "/to-localhost": Response(307, headers={"Location": f"http://localhost:{port}/local"}),
            "/local": Response(body=rss(("Local", "x"))),
            # a redirect whose own body is over the cap: never read
            "/fat": Response(302, b"x" * 500_000, {"Location": "/thin"}),
            "/thin": Response(body=rss(("Thin", "x"))),
        }
    )
    feeds = [{"id": n, "type": "rss", "url": server.url(f"/{n}")} for n in ("spaces", "to-localhost", "fat")]
    report = cycle(home, server, feeds, MONITOR_HTTP__MAX_BYTES="100000")
    assert {n: outcome(report, n) for n in ("spaces", "to-localhost", "fat")} == {
        "spaces": ("new", None),
        "to-localhost": (
            "error",
            f"redirect to another host refused: http://localhost:{port}/local (allow it in http.redirect_hosts)",
        ),
        "fat": ("new", None),
    }
    assert server.hits("/local") == 0
    again = poll(home, MONITOR_HTTP__MAX_BYTES="100000", MONITOR_HTTP__REDIRECT_HOSTS="[LOCALHOST]")
    assert (again["to-localhost"]["outcome"], again["to-localhost"]["new"]) == ("new", 1)
    assert stored(home, "to-localhost") == [("item-0", f"http://localhost:{port}/news/0", "Local")]
