"""Digest benchmark: one `send_digests` run for many subscribers against a local SMTP server (aiosmtpd).

A fresh home with the shipped config polls the 90 labelled items of tests/data/labelled_items.yaml from a local
HTTP server (so the evidence is what the shipped rules really find), then --subscribers (200) subscribers, a
third following everything, a third one country, a third one agreement, get their first weekly digest over one
SMTP connection. Printed: the run's wall time and messages per second, and, measured apart on the same state,
the cost of reading the state once, and of building (pure) and rendering (Jinja2 + css-inline) one digest.

    python bench/digest.py
    python bench/digest.py --subscribers 1000
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import yaml  # noqa: E402

from monitor.app import open_app  # noqa: E402
from monitor.clock import FixedClock  # noqa: E402
from monitor.digest import run as digest_run  # noqa: E402
from monitor.digest.content import build_digest  # noqa: E402
from monitor.plan.deliveries import Window  # noqa: E402
from monitor.setup import init_home  # noqa: E402
from monitor.storage import subscribers as subscriber_store  # noqa: E402
from monitor.storage.subscribers import SubscriberIn  # noqa: E402
from tests.httpserver import Response, Server  # noqa: E402
from tests.smtpserver import smtp_server  # noqa: E402

NOW = dt.datetime(2026, 11, 22, 8, tzinfo=dt.UTC)


def rss(items: list[dict[str, str]]) -> bytes:
    from xml.sax.saxutils import escape

    entries = "".join(
        f"<item><guid>i{n}</guid><title>{escape(i['title'])}</title><link>https://news.example.org/{n}</link>"
        f"<pubDate>Fri, 20 Nov 2026 09:30:00 GMT</pubDate><description>{escape(i['text'])}</description></item>"
        for n, i in enumerate(items)
    )
    return f'<rss version="2.0"><channel><title>t</title>{entries}</channel></rss>'.encode()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--subscribers", type=int, default=200)
    args = parser.parse_args()
    for name in [n for n in os.environ if n.startswith("MONITOR_")]:
        del os.environ[name]
    items = yaml.safe_load((REPO / "tests" / "data" / "labelled_items.yaml").read_text())["items"]
    with tempfile.TemporaryDirectory() as tmp, Server() as http, smtp_server() as smtp:
        home = Path(tmp) / "home"
        init_home(home, FixedClock(NOW))
        feeds = {"feeds": [{"id": "bench", "type": "rss", "url": http.url("/feed")}]}
        (home / "config" / "feeds.yaml").write_text(yaml.safe_dump(feeds))
        settings = (home / "config" / "monitor.yaml").read_text()
        settings = settings.replace("port: 587", f"port: {smtp.port}").replace("security: starttls", "security: none")
        (home / "config" / "monitor.yaml").write_text(settings.replace("host: localhost", "host: 127.0.0.1"))
        http.routes["/feed"] = Response(body=rss(items))
        from monitor import poll

        app = open_app(home, FixedClock(NOW - dt.timedelta(days=1)))
        report = poll.poll(app)
        app.close()
        app = open_app(home, FixedClock(NOW))
        countries, agreements = ["JP", "KR", "MY", "TH", "VN", "CN"], [a.id for a in app.definitions.agreements]
        for n in range(args.subscribers):
            kind = n % 3
            subscriber_store.upsert(
                app.db,
                SubscriberIn(
                    f"reader{n}@example.org",
                    f"Reader {n}",
                    "weekly",
                    agreements=(agreements[n % len(agreements)],) if kind == 2 else (),
                    countries=(countries[n % len(countries)],) if kind == 1 else (),
                ),
                NOW,
            )

        window = Window(NOW - dt.timedelta(days=7), NOW, first=True)
        started = time.perf_counter()
        state = digest_run.load_state(app, window.start, window.end)
        load_s = time.perf_counter() - started
        options = digest_run.options_of(app)
        subs = subscriber_store.listing(app.db)[:50]
        build, render = [], []
        for s in subs:
            t0 = time.perf_counter()
            d = build_digest(digest_run.recipient_of(s), window, state, options)
            t1 = time.perf_counter()
            digest_run._render(app, d)
            build.append(t1 - t0)
            render.append(time.perf_counter() - t1)

        started = time.perf_counter()
        result = digest_run.send_digests(app, "weekly")
        wall = time.perf_counter() - started
        app.close()
        sizes = [len(r.data) for r in smtp.received]
    evidence = sum(1 for _ in state.evidence)
    print(f"state: {len(state.milestones)} milestones, {evidence} pieces of evidence ({report.new_items} items polled)")
    print(f"read the state once:       {load_s * 1000:8.1f} ms")
    print(f"build one digest (pure):   {statistics.median(build) * 1000:8.2f} ms  (median of {len(build)})")
    print(f"render one digest:         {statistics.median(render) * 1000:8.2f} ms  (Jinja2 + css-inline)")
    print(
        f"send_digests, {args.subscribers} subscribers: {wall:6.2f} s wall, {result.sent / wall:6.1f} messages/s "
        f"({result.sent} sent, {result.empty} empty, {result.failed} failed); median message "
        f"{statistics.median(sizes) / 1024:.0f} KiB"
    )


if __name__ == "__main__":
    main()
