"""The evidence scorer through the whole pipeline: the development set served as three RSS feeds, polled into a
fresh home with the shipped milestones, and scored from what the database holds.

`bench/evidence.py` calls the matcher on each item's title and summary directly. A user's monitor sees the same
items another way: fetched over HTTP, parsed by feedparser (HTML entities, CDATA, dates), stored, grouped into
stories (one piece of evidence per milestone for items with the same canonical link or headline) and matched by
the parse workers. This bench takes that road and reports the same figures, then how far they differ from the
direct scorer's, pair by pair, so a difference between the two roads shows up as a number, not as a surprise.

Each item becomes an RSS <item>: its title, link (also its guid), summary as <description>, and its date as
<pubDate> at 12:00 UTC (none when the set has no date, so the poller stamps the fetch time, as for a real feed
that gives none). The three feeds take every third item of the set. The server is the tests' own
(tests/httpserver.py) on 127.0.0.1, an ephemeral port; the home is a temporary directory with a SQLite database,
removed afterwards; "now" is fixed at 2026-12-03 12:00 UTC, after every item of the set.

    python bench/evidence_feeds.py --part both --quiet   # figures through the pipeline, and the difference
    python bench/evidence_feeds.py                       # tuning part, listing where the two roads differ
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
from collections.abc import Sequence
from email.utils import format_datetime
from pathlib import Path
from xml.sax.saxutils import escape

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # as bench/digest.py does: the tests' HTTP server

from tests.httpserver import Response, Server  # noqa: E402


def _load_scorer():  # type: ignore[no-untyped-def]
    """bench/evidence.py, beside this file, loaded by its path once (bench/ is not a package, nor on sys.path)."""
    import importlib.util

    if "bench_evidence" in sys.modules:
        return sys.modules["bench_evidence"]
    spec = importlib.util.spec_from_file_location("bench_evidence", REPO / "bench" / "evidence.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_evidence"] = module
    spec.loader.exec_module(module)
    return module


scorer = _load_scorer()

NOW = dt.datetime(2026, 12, 3, 12, 0, tzinfo=dt.UTC)
FEEDS = 3


def rss(items: Sequence[scorer.Item], title: str) -> bytes:
    """One RSS 2.0 document holding `items`."""
    out = [
        '<?xml version="1.0" encoding="utf-8"?>',
        '<rss version="2.0"><channel>',
        f"<title>{escape(title)}</title><link>http://127.0.0.1/</link><description>dev set</description>",
    ]
    for i in items:
        out.append("<item>")
        out.append(f"<title>{escape(i.title)}</title><link>{escape(i.link)}</link>")
        out.append(f'<guid isPermaLink="false">{escape(i.link)}</guid>')
        if i.date is not None:
            noon = dt.datetime(i.date.year, i.date.month, i.date.day, 12, 0, tzinfo=dt.UTC)
            out.append(f"<pubDate>{format_datetime(noon)}</pubDate>")
        out.append(f"<description>{escape(i.summary)}</description>")
        out.append("</item>")
    out.append("</channel></rss>")
    return "\n".join(out).encode("utf-8")


def through_the_pipeline(items: Sequence[scorer.Item]) -> list[scorer.Found]:
    """What a fresh home's one poll of the items, served as FEEDS RSS feeds, records: milestone -> signal per item
    (an item behind a story's evidence gets the story's signal)."""
    from monitor import evidence
    from monitor.app import open_app
    from monitor.clock import FixedClock
    from monitor.match.stories import canonical_link
    from monitor.poll import poll
    from monitor.setup import init_home

    clock = FixedClock(NOW)
    found: dict[str, dict[str, str]] = {canonical_link(i.link): {} for i in items}
    with tempfile.TemporaryDirectory(prefix="monitor-evidence-feeds-") as tmp, Server() as server:
        for n in range(FEEDS):
            server.routes[f"/feed-{n}.xml"] = Response(body=rss(items[n::FEEDS], f"dev set {n}"))
        home = Path(tmp) / "home"
        init_home(home, clock, {})
        lines = ["feeds:"]
        for n in range(FEEDS):
            url = server.url(f"/feed-{n}.xml")
            lines += [f"  - id: dev-{n}", f"    title: Dev set {n}", "    type: rss", f"    url: {url}"]
        (home / "config" / "feeds.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
        app = open_app(home, clock, {})
        try:
            report = poll(app, pool="thread")
            errors = [f"{f.id}: {f.error}" for f in report.feeds if f.outcome == "error"]
            if errors:
                raise SystemExit("a feed failed: " + "; ".join(errors))
            for view in evidence.list_matches(app):
                for source in view.sources:
                    key = canonical_link(source.url)
                    if key in found:
                        found[key][view.milestone] = view.signal
        finally:
            app.close()
    return [scorer.Found(found[canonical_link(i.link)]) for i in items]


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--part", choices=("tuning", "held-out", "both"), default="tuning")
    ap.add_argument("--quiet", action="store_true", help="figures only, not the pairs where the two roads differ")
    args = ap.parse_args(argv)

    items = scorer.load(scorer.DATA.glob("*.yaml"))
    found_by_rules = scorer.shipped_rules()
    parts = ("tuning", "held-out") if args.part == "both" else (args.part,)
    for part in parts:
        chosen = [i for i in items if scorer.part_of(i.link) == part]
        piped = through_the_pipeline(chosen)
        scorer.report(f"{part}, through the pipeline", chosen, scorer.score(chosen, piped), quiet=True)
        direct = [found_by_rules(i) for i in chosen]
        differ = [
            (i, k, d.signals.get(k), p.signals.get(k))
            for i, d, p in zip(chosen, direct, piped, strict=True)
            for k in sorted(set(d.signals) | set(p.signals))
            if d.signals.get(k) != p.signals.get(k)
        ]
        pairs = sum(len(d.signals) for d in direct)
        print(f"  (item, milestone) pairs where the pipeline differs from the direct matcher: {len(differ)} of {pairs}")
        if not args.quiet and part == "tuning":
            for i, k, d_sig, p_sig in differ:
                print(f"    {k}: direct {d_sig or '-'}, pipeline {p_sig or '-'}: {i.title[:100]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
