"""storage.matches.record on a real database (SQLite file or PostgreSQL): what it leaves for the next match."""

from __future__ import annotations

import datetime as dt

from monitor.app import App, open_app
from monitor.clock import FixedClock
from monitor.sources.items import ParsedItem
from monitor.storage import feeds as feed_store
from monitor.storage import matches as store
from tests.conftest import HomeDir, write_feeds
from tests.httpserver import Response, Server, rss

NOW = dt.datetime(2026, 11, 22, 12, tzinfo=dt.UTC)


def test_an_item_rewritten_while_it_is_matched_stays_marked(home: HomeDir, server: Server) -> None:
    """A poll that rewrites an item between `items_to_match` and `record` leaves it marked for matching: its new
    text is matched next time. The item that did not change is marked matched."""
    server.routes["/a"] = Response(body=rss(("one", "first text"), ("two", "second text")))
    write_feeds(home, [{"id": "feed-a", "type": "rss", "url": server.url("/a")}])
    assert home.cli("poll").exit_code == 0
    app = open_app(home.path, FixedClock(NOW))
    try:
        stale = [row for rows in store.items_to_match(app.db, 100, only_pending=False) for row in rows]
        assert [r.title for r in stale] == ["one", "two"]
        assert list(store.items_to_match(app.db, 100, only_pending=True)) == []
        first = stale[0]
        rewritten = ParsedItem("item-0", first.link, "one, rewritten", "new text", None, NOW, None, "rewritten-hash")
        update = feed_store.FeedUpdate("feed-a", NOW, True, 200, None, None, None, None, None, (rewritten,))
        assert feed_store.apply_update(app.db, update) == feed_store.StoredCounts(0, 1)

        store.record(app.db, [store.ItemMatches(r, (), "", "") for r in stale], [], NOW)

        pending = [row for rows in store.items_to_match(app.db, 100, only_pending=True) for row in rows]
        assert [(r.id, r.title, r.text, r.content_hash) for r in pending] == [
            (first.id, "one, rewritten", "new text", "rewritten-hash")
        ]
    finally:
        app.close()


MINISTERIAL = (
    "United States and Japan Convene First Mining, Minerals and Metals Investment Ministerial",
    "Secretary Burgum and Minister Akazawa co-chaired the bilateral ministerial in Tokyo, reviewing joint investments "
    "in mining and processing under the critical minerals framework signed in October.",
)


def _evidence_for(app: App, milestone: str) -> list[str]:
    from monitor.storage import evidence_reads

    return [m.item_title for m in evidence_reads.matches(app.db, milestone=milestone)]


def test_an_item_that_matched_nothing_is_stored_as_matched(home: HomeDir, server: Server) -> None:
    """The parse workers' verdict "matches nothing" is kept with the item (no row read back or rewritten at the end
    of the cycle); what matched something is recorded as evidence, and a rematch finds nothing to change."""
    from monitor import evidence
    from monitor.poll import poll

    server.routes["/a"] = Response(body=rss(MINISTERIAL, ("Local weather", "Rain in the afternoon.")))
    write_feeds(home, [{"id": "feed-a", "type": "rss", "url": server.url("/a")}])
    app = open_app(home.path, FixedClock(NOW))
    try:
        report = poll(app)
        assert (report.new_items, report.new_matches) == (2, 1)
        assert list(store.items_to_match(app.db, 100, only_pending=True)) == []
        assert _evidence_for(app, "jp-minerals-ministerial") == [MINISTERIAL[0]]
        again = evidence.rematch(app)
        assert (again.added, again.removed) == (0, 0)
    finally:
        app.close()


def test_a_milestone_reopened_during_a_cycle_is_matched_against_its_items(home: HomeDir, server: Server) -> None:
    """The ministerial is complete when the cycle starts, so the worker finds the item matches nothing; the
    completion is undone while the cycle runs (after the item is stored). At the end of the cycle the scope is
    not the one the worker matched under: the item is matched again under the scope of now, and is evidence."""
    from monitor import corrections, tracking
    from monitor.poll import poll

    server.routes["/a"] = Response(body=rss(MINISTERIAL))
    write_feeds(home, [{"id": "feed-a", "type": "rss", "url": server.url("/a")}])
    app = open_app(home.path, FixedClock(NOW))
    try:
        tracking.set_status(app, "jp-minerals-ministerial", "complete", on=NOW.date(), by="analyst")
        undone: list[str] = []

        def reopen(outcome: object) -> None:
            corrections.undo(app, "jp-minerals-ministerial", by="analyst")
            undone.append("yes")

        report = poll(app, on_feed=reopen)
        assert undone == ["yes"] and report.new_matches == 1
        assert _evidence_for(app, "jp-minerals-ministerial") == [MINISTERIAL[0]]
    finally:
        app.close()
