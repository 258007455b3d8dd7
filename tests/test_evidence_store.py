"""storage.matches.record on a real database (SQLite file or PostgreSQL): what it leaves for the next match."""

from __future__ import annotations

import datetime as dt

from monitor.app import open_app
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
