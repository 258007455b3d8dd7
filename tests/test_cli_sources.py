"""Sources from the command line (feeds add / disable / enable / test, items) and what `poll` and `feeds` print,
through the real CLI, with feeds from a local HTTP server."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from tests.conftest import HomeDir, write_feeds
from tests.httpserver import Response, Server, rss

ON_TOPIC = ("US and Japan hold critical minerals ministerial", "Ministers met in Tokyo on mining and metals.")
FILLER = ("City council budget vote", "The council met on the school budget.")
FEED = rss(ON_TOPIC, FILLER)


def feeds_yaml(home: HomeDir) -> Path:
    return home.path / "config" / "feeds.yaml"


def snapshot(home: HomeDir) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the tables a poll writes, to show a command wrote none."""
    url = home.env.get("MONITOR_DATABASE_URL") or f"sqlite:///{home.path}/db/monitor.sqlite3"
    engine = create_engine(url)
    try:
        with engine.connect() as c:
            return {
                t: [tuple(r) for r in c.execute(text(f"SELECT * FROM {t} ORDER BY 1"))]
                for t in ("feeds", "items", "matches", "match_sources", "poll_runs")
            }
    finally:
        engine.dispose()


def two_feeds(home: HomeDir, server: Server) -> None:
    server.routes["/a"] = Response(body=FEED, etag='"a1"')
    server.routes["/b"] = Response(body=rss(FILLER, title="B"))
    write_feeds(
        home,
        [
            {"id": "feed-a", "type": "rss", "url": server.url("/a")},
            {"id": "feed-b", "type": "rss", "url": server.url("/b")},
        ],
    )


# ---------------------------------------------------------------- feeds add / disable / enable


def test_add_keeps_the_file_and_appends_the_entry(home: HomeDir) -> None:
    before = feeds_yaml(home).read_text()
    r = home.cli("feeds", "add", "https://www.mofa.go.jp/press/rss.xml", "--tier", "official", "--country", "jp")
    assert r.exit_code == 0, r.stderr
    assert "added feed mofa-go-jp-press-rss (rss)" in r.stdout
    after = feeds_yaml(home).read_text()
    assert after.startswith(before)  # comments, order, quoting and layout of what was there: byte for byte
    assert after[len(before) :] == (
        "  - id: mofa-go-jp-press-rss\n"
        "    type: rss\n"
        "    url: https://www.mofa.go.jp/press/rss.xml\n"
        "    tier: official\n"
        "    countries: [JP]\n"
    )
    assert [p.name for p in feeds_yaml(home).parent.iterdir() if p.name.startswith(".")] == []  # no temp file left
    health = {f["id"]: f for f in home.json("feeds")}
    assert health["mofa-go-jp-press-rss"]["type"] == "rss"  # the next command syncs it like any config edit


def test_add_with_every_option_and_sniffed_type(home: HomeDir) -> None:
    fr = "https://www.federalregister.gov/api/v1/documents.json?conditions[term]=minerals"
    assert home.cli("feeds", "add", fr).exit_code == 0
    r = home.cli("feeds", "add", "https://example.org/news", "--id", "ex-news", "--type", "rss", "--title", "Ex: news")
    assert r.exit_code == 0, r.stderr
    text_ = feeds_yaml(home).read_text()
    assert "  - id: federalregister-gov-api-v1-documents\n    type: federal_register\n" in text_
    assert "  - id: ex-news\n    title: 'Ex: news'\n    type: rss\n    url: https://example.org/news\n" in text_
    # the same host and path again: a URL already configured is refused, a new one gets the next free id
    dup = home.cli("feeds", "add", "https://example.org/news")
    assert dup.exit_code == 2 and "already configured as feed 'ex-news'" in dup.stderr
    assert home.cli("feeds", "add", "https://example.org/news?page=2").exit_code == 0
    assert "  - id: example-org-news\n" in feeds_yaml(home).read_text()
    assert home.cli("feeds", "add", "https://example.org/news?page=3").exit_code == 0
    assert "  - id: example-org-news-2\n" in feeds_yaml(home).read_text()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["http://169.254.169.254/latest"], "feeds[1].url: only http(s) URLs or files inside the home are polled"),
        (["https://example.org/x", "--country", "JPN"], "feeds[1].countries: not a two-letter country code: 'JPN'"),
        (["https://example.org/x", "--id", "Bad Id"], "feeds[1].id: String should match pattern"),
        (["https://example.org/x", "--id", "mine"], "--id: feed 'mine' already exists"),
        (["https://example.org/x", "--type", "atom"], "--type: unknown source type 'atom'"),
        (["https://example.org/x", "--tier", "gov"], "--tier: unknown tier 'gov'"),
        (["https://example.org/x", "--type", "html"], "feeds[1]"),  # an html listing needs selectors
        (["../outside.xml"], "only http(s) URLs or files inside the home"),
    ],
)
def test_a_refused_entry_leaves_the_file_as_it_was(home: HomeDir, args: list[str], message: str) -> None:
    feeds_yaml(home).write_text("feeds:  # one of mine\n  - {id: mine, type: rss, url: 'https://example.org/mine'}\n")
    before = feeds_yaml(home).read_bytes()
    r = home.cli("feeds", "add", *args)
    assert r.exit_code == 2, r.stdout
    assert r.stderr.startswith("error: ") and message in r.stderr, r.stderr
    assert feeds_yaml(home).read_bytes() == before


def test_disable_and_enable_edit_in_place(home: HomeDir, server: Server) -> None:
    two_feeds(home, server)
    path = feeds_yaml(home)
    path.write_text(
        "# my feeds\nfeeds:\n"
        f"  - id: feed-a   # the main one\n    type: rss\n    url: {server.url('/a')}\n"
        f"  # the other one\n  - id: feed-b\n    type: rss\n    url: {server.url('/b')}\n"
    )
    before = path.read_text()
    r = home.cli("feeds", "disable", "feed-a")
    assert r.exit_code == 0 and "feed feed-a disabled" in r.stdout
    assert path.read_text() == before.replace(
        f"    url: {server.url('/a')}\n", f"    url: {server.url('/a')}\n    enabled: false\n"
    )
    report = json.loads(home.cli("poll", "--json").stdout)
    assert [f["id"] for f in report["feeds"]] == ["feed-b"]  # a disabled feed is not polled
    again = home.cli("feeds", "disable", "feed-a")
    assert again.exit_code == 0 and "already disabled: nothing changed" in again.stdout
    assert home.cli("feeds", "enable", "feed-a").exit_code == 0
    assert "    enabled: true\n" in path.read_text() and path.read_text().startswith("# my feeds\n")
    assert [f["id"] for f in json.loads(home.cli("poll", "--json").stdout)["feeds"]] == ["feed-a", "feed-b"]
    unknown = home.cli("feeds", "disable", "feed-c")
    assert unknown.exit_code == 2 and "unknown feed 'feed-c' (did you mean" in unknown.stderr


def test_feeds_alone_still_lists_health(home: HomeDir, server: Server) -> None:
    two_feeds(home, server)
    home.cli("poll")
    doc = home.json("feeds")
    assert [f["id"] for f in doc] == ["feed-a", "feed-b"]
    assert set(doc[0]) >= {"id", "type", "url", "last_checked", "last_success", "last_status", "consecutive_failures"}
    r = home.cli("feeds")
    assert r.exit_code == 0 and "2 feeds" in r.stdout and "feed-a" in r.stdout


# ---------------------------------------------------------------- feeds test


def test_feeds_test_shows_items_and_matches_and_stores_nothing(home: HomeDir, server: Server) -> None:
    two_feeds(home, server)
    home.cli("feeds")  # synced: the snapshot has the feed rows
    before = snapshot(home)
    r = home.cli("feeds", "test", "feed-a")
    assert r.exit_code == 0, r.stderr
    assert ON_TOPIC[0] in r.stdout and FILLER[0] in r.stdout
    assert "jp-minerals-ministerial" in r.stdout and "2025-12-01" in r.stdout
    assert "2 items (2 to store), 1 matching a milestone; nothing was stored" in r.stdout
    doc = home.json("feeds", "test", "feed-a")
    assert doc["feed"] == "feed-a" and doc["configured"] is True and doc["error"] is None
    first = doc["items"][0]
    assert first["title"] == ON_TOPIC[0] and first["link"] == server.url("/news/0") and first["state"] == "new"
    assert [m["milestone"] for m in first["matches"]] == ["jp-minerals-ministerial"]
    assert first["matches"][0]["signal"] in ("completion", "progress", "delay", "none")
    assert doc["items"][1]["matches"] == []
    assert snapshot(home) == before  # no item, match, health or poll run written
    # after a poll the same items are stored already: test says so, and still fetches (no conditional GET)
    home.cli("poll")
    hits = server.hits("/a")
    again = home.json("feeds", "test", "feed-a")
    assert [i["state"] for i in again["items"]] == ["stored", "stored"]
    assert server.hits("/a") == hits + 1
    assert "if-none-match" not in server.requests[-1][1]


def test_feeds_test_a_url_not_configured(home: HomeDir, server: Server) -> None:
    server.routes["/new"] = Response(body=FEED)
    before = feeds_yaml(home).read_bytes()
    doc = home.json("feeds", "test", server.url("/new"))
    assert doc["configured"] is False and doc["feed"] == "127-0-0-1-new" and len(doc["items"]) == 2
    assert feeds_yaml(home).read_bytes() == before
    assert home.json("items") == []


def test_feeds_test_failures(home: HomeDir, server: Server) -> None:
    server.routes["/gone"] = Response(410, b"gone")
    r = home.cli("feeds", "test", server.url("/gone"))
    assert r.exit_code == 1 and "error: HTTP 410" in r.stdout
    r = home.cli("feeds", "test", "wh-fact-sheet")
    assert r.exit_code == 2 and "unknown feed 'wh-fact-sheet' (did you mean 'wh-fact-sheets'" in r.stderr
    r = home.cli("feeds", "test", "http://169.254.169.254/")
    assert r.exit_code == 2 and "link-local" in r.stderr


# ---------------------------------------------------------------- items


def test_items_browse_matched_or_not(home: HomeDir, server: Server) -> None:
    two_feeds(home, server)
    assert home.json("items") == []
    home.cli("poll")
    docs = home.json("items")
    assert len(docs) == 3
    assert set(docs[0]) >= {"id", "feed", "title", "link", "published", "first_seen", "milestones"}
    by_title = {(d["feed"], d["title"]): d for d in docs}
    assert by_title[("feed-a", ON_TOPIC[0])]["milestones"] == ["jp-minerals-ministerial"]
    assert by_title[("feed-b", FILLER[0])]["milestones"] == []
    assert [d["feed"] for d in home.json("items", "--feed", "feed-b")] == ["feed-b"]
    assert [d["title"] for d in home.json("items", "--search", "TOKYO")] == [ON_TOPIC[0]]
    assert home.json("items", "--search", "100%") == []  # % is a character, not a wildcard
    assert len(home.json("items", "--since", "2025-12-02")) == 1  # the rss() helper dates item i on day 1 + i
    assert len(home.json("items", "--limit", "1")) == 1
    r = home.cli("items")
    assert r.exit_code == 0 and "3 items" in r.stdout and "jp-minerals-ministerial" in r.stdout
    bad = home.cli("items", "--feed", "feed-c")
    assert bad.exit_code == 2 and "unknown feed 'feed-c'" in bad.stderr
    assert home.cli("items", "--since", "yesterday").exit_code == 2


# ---------------------------------------------------------------- poll output


def many_feeds(home: HomeDir, server: Server, n: int = 12) -> None:
    for i in range(n):
        server.routes[f"/f{i}"] = Response(body=rss((f"Story {i}", "text")), etag=f'"e{i}"')
    server.routes["/down"] = Response(503, b"down")
    feeds = [{"id": f"agency-press-releases-{i:02d}", "type": "rss", "url": server.url(f"/f{i}")} for i in range(n)]
    write_feeds(home, [*feeds, {"id": "ministry-of-trade-media-releases", "type": "rss", "url": server.url("/down")}])


def test_poll_prints_a_summary_and_only_what_changed_or_failed(home: HomeDir, server: Server) -> None:
    many_feeds(home, server)
    first = home.cli("poll")
    assert first.exit_code == 0
    assert "13 feeds polled, 1 failed: 12 new items, 0 updated, 0 new matches" in first.stdout
    server.routes["/f3"] = Response(body=rss(("Story 3", "text"), ("Story 3b", "more")), etag='"e3b"')
    second = home.cli("poll")
    rows = [ln.split("│")[1].strip() for ln in second.stdout.splitlines() if ln.count("│") > 2]
    assert rows == ["agency-press-releases-03", "ministry-of-trade-media-releases"]
    assert "13 feeds polled, 1 failed: 1 new item, 0 updated, 0 new matches" in second.stdout
    assert "(11 unchanged not shown: --all lists every feed)" in second.stdout
    every = home.cli("poll", "--all")
    assert sum(1 for ln in every.stdout.splitlines() if "not_modified" in ln) == 12


def test_a_first_poll_of_many_feeds_lists_failures_and_twenty_new(home: HomeDir, server: Server) -> None:
    many_feeds(home, server, n=30)
    r = home.cli("poll")
    ids = [ln.split("│")[1].strip() for ln in r.stdout.splitlines() if ln.count("│") > 2]
    assert ids[:19] == [f"agency-press-releases-{i:02d}" for i in range(19)] and len(ids) == 20
    assert "ministry-of-trade-media-releases" in ids  # every failure is listed
    assert "31 feeds polled, 1 failed: 30 new items, 0 updated, 0 new matches" in r.stdout
    assert "(11 more with new items not shown: --all lists every feed)" in r.stdout


def test_poll_fail_on_error(home: HomeDir, server: Server) -> None:
    many_feeds(home, server, n=1)
    assert home.cli("poll").exit_code == 0  # a cycle that ran
    r = home.cli("poll", "--fail-on-error")
    assert r.exit_code == 1 and "1 failed" in r.stdout
    assert home.cli("poll", "--fail-on-error", "--json").exit_code == 1
    ok = home.cli("poll", "--fail-on-error", "--feed", "agency-press-releases-00")
    assert ok.exit_code == 0


@pytest.mark.parametrize("width", [80, 120])
def test_poll_and_feeds_fit_the_terminal(home: HomeDir, server: Server, width: int) -> None:
    many_feeds(home, server, n=2)
    server.routes["/down"] = Response(503, b"down", {"Retry-After": "x" * 10})
    home.cli("poll")
    ids = ["agency-press-releases-00", "agency-press-releases-01", "ministry-of-trade-media-releases"]
    date = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d")
    for args in (["poll", "--all"], ["feeds"]):
        r = home.cli(*args, COLUMNS=str(width))
        assert r.exit_code == 0, r.stderr
        lines = r.stdout.splitlines()
        assert max(len(ln.rstrip()) for ln in lines) <= width, r.stdout
        for feed_id in ids:  # whole, on one line: it is what the next command takes
            assert any(feed_id in ln for ln in lines), (feed_id, r.stdout)
        if args == ["feeds"]:
            assert sum(len(date.findall(ln)) for ln in lines) >= 3, r.stdout  # dates never split
            assert any("HTTP 503" in ln for ln in lines)


def test_items_matched_in_the_parse_workers_are_what_rematch_finds(home: HomeDir, server: Server) -> None:
    """Four feeds or more are parsed (and their items matched) in worker processes; matching the stored items
    again in this process finds exactly the same evidence: nothing to add, nothing to remove."""
    for n in range(5):
        server.routes[f"/w{n}"] = Response(body=rss(ON_TOPIC, FILLER, (f"Story {n}", "text"), title=f"W{n}"))
    write_feeds(home, [{"id": f"w{n}", "type": "rss", "url": server.url(f"/w{n}")} for n in range(5)])
    report = json.loads(home.cli("poll", "--json").stdout)
    assert report["new_items"] == 15 and report["new_matches"] == 1  # one story in five feeds: one match
    matches = home.json("matches")
    assert [m["milestone"] for m in matches] == ["jp-minerals-ministerial"] and len(matches[0]["sources"]) == 5
    again = home.json("rematch")
    assert (again["added"], again["removed"]) == (0, 0)
