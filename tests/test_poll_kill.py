"""Killing `monitor poll` with SIGKILL mid-cycle and running it again loses nothing and duplicates nothing."""

from __future__ import annotations

import json
import signal
import time

from sqlalchemy import create_engine, text

from tests.conftest import HomeDir, write_feeds
from tests.httpserver import Response, Server, rss

FEEDS = 12
PER_FEED = 3


def counts(home: HomeDir) -> tuple[int, int, int]:
    url = home.env.get("MONITOR_DATABASE_URL") or f"sqlite:///{home.path}/db/monitor.sqlite3"
    engine = create_engine(url)
    with engine.connect() as c:
        total = c.execute(text("SELECT count(*) FROM items")).scalar_one()
        distinct = c.execute(text("SELECT count(DISTINCT feed_id || '|' || key) FROM items")).scalar_one()
        unfinished = c.execute(text("SELECT count(*) FROM poll_runs WHERE finished_at IS NULL")).scalar_one()
    engine.dispose()
    return total, distinct, unfinished


def test_sigkill_mid_cycle_then_poll_again(home: HomeDir, server: Server) -> None:
    for n in range(FEEDS):
        body = rss(*[(f"Feed {n} story {k}", "text") for k in range(PER_FEED)])
        server.routes[f"/f{n}"] = Response(body=body, delay=0.4)
    write_feeds(home, [{"id": f"f{n}", "type": "rss", "url": server.url(f"/f{n}")} for n in range(FEEDS)])
    proc = home.process("poll", "--json")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and counts(home)[0] == 0:  # wait until the first feeds are stored
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    stored, distinct, unfinished = counts(home)
    assert proc.returncode == -signal.SIGKILL
    assert 0 < stored < FEEDS * PER_FEED, "the kill must land mid-cycle"
    assert stored % PER_FEED == 0  # a feed's items are all stored or none
    assert unfinished == 1

    r = home.cli("poll", "--json")
    assert r.exit_code == 0, r.stderr
    report = json.loads(r.stdout)
    assert report["new_items"] == FEEDS * PER_FEED - stored
    assert counts(home)[:2] == (FEEDS * PER_FEED, FEEDS * PER_FEED)
    again = json.loads(home.cli("poll", "--json").stdout)
    assert again["new_items"] == 0 and {f["outcome"] for f in again["feeds"]} == {"unchanged"}
