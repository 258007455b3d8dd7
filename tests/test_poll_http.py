"""monitor poll against a real HTTP server on 127.0.0.1: every failure mode ends as a clear outcome, and the
other feeds in the same cycle still succeed."""

from __future__ import annotations

import gzip
import json
from typing import Any

from sqlalchemy import create_engine, text

from tests.conftest import HomeDir, write_feeds
from tests.httpserver import Response, Server, rss

FEED = rss(
    ("US and Japan hold critical minerals ministerial", "Ministers met in Tokyo."),
    ("Korea joint fact sheet released", "The fact sheet sets out the deal."),
)


def poll(home: HomeDir, *args: str, **env: str) -> dict[str, Any]:
    r = home.cli("poll", "--json", *args, **env)
    assert r.exit_code == 0, r.stderr
    return json.loads(r.stdout)


def by_id(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {f["id"]: f for f in report["feeds"]}


def items(home: HomeDir) -> list[tuple[str, str, str]]:
    url = home.env.get("MONITOR_DATABASE_URL") or f"sqlite:///{home.path}/db/monitor.sqlite3"
    engine = create_engine(url)
    with engine.connect() as c:
        rows = c.execute(text("SELECT feed_id, key, title FROM items ORDER BY feed_id, key")).all()
    engine.dispose()
    return [tuple(r) for r in rows]  # type: ignore[misc]


def test_every_failure_mode_is_an_outcome(home: HomeDir, server: Server) -> None:
    bomb = gzip.compress(b"\0" * 60_000_000, compresslevel=9)
    server.routes.update(
        {
            "/ok": Response(body=FEED),
            "/moved": Response(301, headers={"Location": "/ok"}),
            "/found": Response(302, headers={"Location": "/ok"}),
            "/permanent": Response(308, headers={"Location": "/ok"}),
            "/gone": Response(410, b"gone"),
            "/busy": Response(429, b"slow down", {"Retry-After": "3600"}),
            "/broken": Response(500, b"oops"),
            "/hang": Response(body=FEED, delay=4),
            "/reset": Response(reset=True),
            "/loop": Response(302, headers={"Location": "/loop"}),
            "/huge": Response(body=b"<rss>" + b"x" * 200_000 + b"</rss>"),
            "/bomb": Response(body=bomb, headers={"Content-Encoding": "gzip"}),
            "/html": Response(
                body=b"<html><head><title>Access Denied</title></head><body>denied</body></html>",
                headers={"Content-Type": "text/html; charset=utf-8"},
            ),
            "/empty": Response(body=b""),
        }
    )
    names = [
        "ok",
        "moved",
        "found",
        "permanent",
        "missing",
        "gone",
        "busy",
        "broken",
        "hang",
        "reset",
        "loop",
        "huge",
        "bomb",
        "html",
        "empty",
    ]
    write_feeds(home, [{"id": n, "type": "rss", "url": server.url(f"/{n}")} for n in names])
    env = {"MONITOR_HTTP__TIMEOUT_S": "1.5", "MONITOR_HTTP__MAX_BYTES": "100000"}
    report = poll(home, **env)
    got = {k: (v["outcome"], v["error"]) for k, v in by_id(report).items()}
    assert got == {
        "ok": ("new", None),
        "moved": ("new", None),
        "found": ("new", None),
        "permanent": ("new", None),
        "missing": ("error", "HTTP 404"),
        "gone": ("error", "HTTP 410"),
        "busy": ("error", "HTTP 429"),
        "broken": ("error", "HTTP 500"),
        "hang": ("error", "timeout after 1.5 s"),
        "reset": got["reset"],
        "loop": ("error", "more than 5 redirects (a redirect loop?)"),
        "huge": ("error", "body over 0.1 MB"),
        "bomb": ("error", "body over 0.1 MB"),
        "html": ("error", "not a feed (text/html)"),
        "empty": ("error", "empty body"),
    }
    assert got["reset"][0] == "error" and got["reset"][1].startswith("connection broken")
    assert report["new_items"] == 8
    assert by_id(report)["busy"]["retry_after"] is not None

    health = {f["id"]: f for f in home.json("feeds")}
    assert health["missing"]["consecutive_failures"] == 1 and health["missing"]["last_status"] == 404
    assert health["ok"]["consecutive_failures"] == 0 and health["ok"]["last_success"]
    assert health["hang"]["last_error"] == "timeout after 1.5 s"
    assert list(health)[0] != "ok"  # failing feeds first

    # The 429 feed is not asked again before its Retry-After; the others are.
    before = server.hits("/busy")
    again = poll(home, **env)
    assert "busy" not in by_id(again)
    assert [d["id"] for d in again["deferred"]] == ["busy"]
    assert server.hits("/busy") == before
    assert (
        health["missing"]["consecutive_failures"] + 1
        == {f["id"]: f for f in home.json("feeds")}["missing"]["consecutive_failures"]
    )


def test_conditional_get_and_unchanged_body(home: HomeDir, server: Server) -> None:
    server.routes["/etag"] = Response(body=FEED, etag='W/"v1"')
    server.routes["/plain"] = Response(body=FEED)
    write_feeds(
        home,
        [
            {"id": "etag", "type": "rss", "url": server.url("/etag")},
            {"id": "plain", "type": "rss", "url": server.url("/plain")},
        ],
    )
    first = by_id(poll(home))
    assert first["etag"]["outcome"] == "new" and first["plain"]["outcome"] == "new"
    second = by_id(poll(home))
    assert second["etag"]["outcome"] == "not_modified" and second["etag"]["status"] == 304
    assert second["plain"]["outcome"] == "unchanged"
    sent = [h for p, h in server.requests if p == "/etag"]
    assert sent[-1].get("if-none-match") == 'W/"v1"'
    assert all(h["user-agent"].startswith("monitor/") for _, h in server.requests)
    assert len(items(home)) == 4


def test_changed_item_is_updated_not_duplicated(home: HomeDir, server: Server) -> None:
    server.routes["/f"] = Response(body=FEED)
    write_feeds(home, [{"id": "f", "type": "rss", "url": server.url("/f")}])
    poll(home)
    server.routes["/f"] = Response(
        body=rss(
            ("US and Japan hold critical minerals ministerial", "Updated text."),
            ("Korea joint fact sheet released", "The fact sheet sets out the deal."),
            ("A third story", "New."),
        )
    )
    report = by_id(poll(home))["f"]
    assert (report["outcome"], report["new"], report["updated"]) == ("new", 1, 1)
    assert len(items(home)) == 3
    assert by_id(poll(home))["f"]["outcome"] == "unchanged"


def test_other_feeds_succeed_when_one_fails(home: HomeDir, server: Server) -> None:
    server.routes["/ok"] = Response(body=FEED)
    write_feeds(
        home,
        [
            {"id": "a-broken", "type": "rss", "url": server.url("/nothing")},
            {"id": "b-ok", "type": "rss", "url": server.url("/ok")},
            {"id": "c-dead", "type": "rss", "url": "http://127.0.0.1:9/"},
        ],
    )
    report = by_id(poll(home))
    assert report["b-ok"]["outcome"] == "new"
    assert report["a-broken"]["outcome"] == report["c-dead"]["outcome"] == "error"


def test_poll_selected_feed_and_unknown_feed(home: HomeDir, server: Server) -> None:
    server.routes["/ok"] = Response(body=FEED)
    write_feeds(
        home,
        [
            {"id": "one", "type": "rss", "url": server.url("/ok")},
            {"id": "two", "type": "rss", "url": server.url("/ok"), "enabled": False},
        ],
    )
    assert list(by_id(poll(home))) == ["one"]
    assert list(by_id(poll(home, "--feed", "two"))) == ["two"]
    r = home.cli("poll", "--feed", "tow")
    assert r.exit_code == 2 and r.stderr == "error: unknown feed 'tow' (did you mean 'two'?)\n"


def test_federal_register_pages(home: HomeDir, server: Server) -> None:
    def page(n: int) -> Response:
        nxt = server.url(f"/fr{n + 1}.json") if n < 4 else None
        doc = {
            "count": 8,
            "next_page_url": nxt,
            "results": [
                {
                    "document_number": f"2025-{n}{k}",
                    "title": f"Implementing reciprocal trade agreement {n}.{k}",
                    "abstract": "Modifies the HTSUS.",
                    "html_url": f"https://www.federalregister.gov/d/2025-{n}{k}",
                    "publication_date": "2025-11-14",
                    "type": "Notice",
                    "agencies": [{"name": "Trade Representative"}],
                }
                for k in range(2)
            ],
        }
        return Response(body=json.dumps(doc).encode(), headers={"Content-Type": "application/json"})

    for n in range(1, 5):
        server.routes[f"/fr{n}.json"] = page(n)
    server.routes["/evil.json"] = Response(
        body=json.dumps({"results": [], "next_page_url": "http://169.254.169.254/latest"}).encode()
    )
    write_feeds(
        home,
        [
            {"id": "fr", "type": "federal_register", "url": server.url("/fr1.json"), "max_pages": 3},
            {"id": "fr-evil", "type": "federal_register", "url": server.url("/evil.json")},
        ],
    )
    report = by_id(poll(home))
    assert report["fr"]["new"] == 6  # 3 pages of 2: the bound holds
    assert server.hits("/fr4.json") == 0
    assert (report["fr-evil"]["outcome"], report["fr-evil"]["new"], report["fr-evil"]["error"]) == ("empty", 0, None)
    keys = [k for f, k, _ in items(home) if f == "fr"]
    assert "fr:2025-10" in keys


def test_html_listing_page(home: HomeDir, server: Server) -> None:
    page = b"""<html><body><ul class="news">
      <li><a href="/media/1">MITI statement on the Agreement on Reciprocal Trade</a><span class="date">12 March 2026</span></li>
      <li><a href="https://www.miti.gov.my/media/2">Second release</a><span class="date">garbage</span></li>
      <li><span>no link here</span></li>
    </ul></body></html>"""
    server.routes["/list"] = Response(body=page, headers={"Content-Type": "text/html"})
    server.routes["/other"] = Response(
        body=b"<html><body><p>redesigned</p></body></html>", headers={"Content-Type": "text/html"}
    )
    select = {"item": "ul.news li", "title": "a", "link": "a@href", "date": ".date"}
    write_feeds(
        home,
        [
            {"id": "miti", "type": "html", "url": server.url("/list"), "select": select},
            {"id": "moved", "type": "html", "url": server.url("/other"), "select": select},
        ],
    )
    report = by_id(poll(home))
    assert report["miti"]["new"] == 2
    assert report["moved"]["error"] == "no items match selector 'ul.news li'"
    rows = items(home)
    assert (("miti", server.url("/media/1"), "MITI statement on the Agreement on Reciprocal Trade")) in rows


def test_a_304_keeps_the_connection_alive(home: HomeDir, server: Server) -> None:
    """A daemon polls again and again: answers without a body (304) must not cost a new connection each."""
    for n in range(3):
        server.routes[f"/f{n}"] = Response(body=rss((f"Story {n}", "text")), etag=f'"v{n}"')
    write_feeds(home, [{"id": f"f{n}", "type": "rss", "url": server.url(f"/f{n}")} for n in range(3)])
    over = {"MONITOR_HTTP__PER_HOST": "1"}  # one connection to the host: three requests, one after another
    assert home.cli("poll", **over).exit_code == 0
    before = server.connections
    r = home.cli("poll", "--json", **over)
    assert [f["outcome"] for f in json.loads(r.stdout)["feeds"]] == ["not_modified"] * 3
    assert server.connections - before == 1



def test_a_feed_at_an_ipv6_address(home: HomeDir) -> None:
    import socket

    import pytest

    if not socket.has_ipv6:
        pytest.skip("no IPv6 on this machine")
    try:
        server = Server("::1")
    except OSError as e:
        pytest.skip(f"cannot listen on [::1]: {e}")
    with server:
        server.routes["/feed"] = Response(body=rss(("Item over IPv6", "An item fetched from [::1].")))
        write_feeds(home, [{"id": "v6", "type": "rss", "url": server.url("/feed")}])
        report = home.json("poll")
        assert isinstance(report, dict)
        [feed] = report["feeds"]
        assert (feed["outcome"], feed["new"]) == ("new", 1), feed
        host = server.requests[0][1]["host"]
        assert host == f"[::1]:{server.httpd.server_address[1]}"  # the Host header brackets the address
