"""Parse cost per feed: the fast path (sources/fastfeed.py) against feedparser, on the bench's feeds.

The feeds are those bench/poll.py serves (make_feed: 50 items of news filler and labelled items, RSS 2.0). Each
figure is CPU time of this thread per feed, the median of --runs passes over all feeds; nothing else runs in
the process, but other jobs on the machine still make figures drift: compare the rows of one run.

  read      the document into feedparser's fields only: feedparser.parse, or fastfeed.read
  rss.parse the whole adapter as the parse workers run it: read, then the item clean-up (make_item) of every item

    python bench/parse.py                 # 100 feeds x 50 items, 5 runs (about a minute)
    python bench/parse.py --feeds 50 --runs 3
    python bench/parse.py --profile       # cProfile of rss.parse on the fast path, top functions by own time
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import pstats
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import feedparser  # noqa: E402
from poll import labelled, make_feed  # noqa: E402

from monitor.sources import fastfeed, rss  # noqa: E402

HEADERS = {"content-type": "application/rss+xml"}  # what bench/poll.py's server sends
URL = "https://example.org/feed"
FETCHED = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)


def per_feed(fn: Callable[[bytes], object], bodies: list[bytes], runs: int) -> float:
    """Median over runs of CPU seconds per feed."""
    times = []
    for _ in range(runs):
        t0 = time.thread_time()
        for body in bodies:
            fn(body)
        times.append((time.thread_time() - t0) / len(bodies))
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--feeds", type=int, default=100)
    ap.add_argument("--items", type=int, default=50)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--profile", action="store_true")
    a = ap.parse_args()
    warnings.simplefilter("ignore")
    on, near = labelled()
    bodies = [make_feed(n, a.items, on, near) for n in range(a.feeds)]
    assert all(fastfeed.read(b, HEADERS) is not None for b in bodies), "the fast path declines a bench feed"

    def fast(body: bytes) -> object:
        return rss.parse(body, HEADERS, URL, FETCHED)

    if a.profile:
        profile = cProfile.Profile()
        profile.runcall(lambda: [fast(b) for b in bodies])
        pstats.Stats(profile).sort_stats("tottime").print_stats(25)
        return

    def slow(body: bytes) -> object:
        return rss.parse(body, HEADERS, URL, FETCHED, fast=False)

    def feedparser_only(body: bytes) -> object:
        return feedparser.parse(body, response_headers=HEADERS, sanitize_html=False, resolve_relative_uris=False)

    def fastfeed_only(body: bytes) -> object:
        return fastfeed.read(body, HEADERS)

    size = sum(map(len, bodies)) / len(bodies) / 1024
    print(
        f"{a.feeds} feeds x {a.items} items (bench/poll.py's feeds, {size:.0f} KiB each), CPU ms per feed, "
        f"median of {a.runs} runs"
    )
    rows = [
        ("read: feedparser.parse", feedparser_only),
        ("read: fastfeed.read", fastfeed_only),
        ("rss.parse, feedparser path (fast=False)", slow),
        ("rss.parse, fast path", fast),
    ]
    cost = {name: per_feed(fn, bodies, a.runs) * 1000 for name, fn in rows}
    for name, ms in cost.items():
        print(f"  {name:<42} {ms:7.2f}")
    clean = cost["rss.parse, fast path"] - cost["read: fastfeed.read"]
    print(f"  {'item clean-up (rss.parse - read)':<42} {clean:7.2f}")
    print(
        f"read: {cost['read: feedparser.parse'] / cost['read: fastfeed.read']:.1f}x less CPU; rss.parse: "
        f"{cost['rss.parse, feedparser path (fast=False)'] / cost['rss.parse, fast path']:.1f}x less CPU"
    )


if __name__ == "__main__":
    main()
