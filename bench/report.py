"""Report benchmark: how long `write_report` takes after a poll, on a year of evidence.

A temporary home with the shipped config (19 milestones) and a year of items: --items (20,000) stored in one
feed, of which 10 % are evidence (titles that the shipped rules match, one story each, spread over 52 weeks),
and --changes (200) status changes over the year. Measured, median of --runs (5): reading the state
(state.read_state), rendering every file (site.render_site), publishing them (site.publish), and the whole
write_report; also each export. Wall-clock and CPU time of this process; SQLite, or MONITOR_DATABASE_URL.

    python bench/report.py
    python bench/report.py --items 100000 --runs 3
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from monitor import evidence  # noqa: E402
from monitor.app import App, open_app  # noqa: E402
from monitor.clock import FixedClock  # noqa: E402
from monitor.report import export, write_report  # noqa: E402
from monitor.report.site import environment, publish, render_site  # noqa: E402
from monitor.report.state import read_state  # noqa: E402
from monitor.setup import init_home  # noqa: E402
from monitor.storage.feeds import FeedUpdate, apply_update  # noqa: E402
from monitor.storage.milestones import StatusWrite, lock, write_status  # noqa: E402
from tests.reportstate import Item  # noqa: E402

NOW = dt.datetime(2026, 11, 22, 12, tzinfo=dt.UTC)
ON_TOPIC = (
    "China suspends rare earth export controls, report {}",
    "US and Japan hold critical minerals ministerial, round {}",
    "Trump suspends trade talks with Thailand, update {}",
    "US and South Korea release joint fact sheet on trade deal, part {}",
    "Malaysia notifies US it completed legal procedures for trade agreement, note {}",
)
OPEN = ("pending", "in_progress", "stalled")


def items(n: int) -> list[Item]:
    out = []
    for i in range(n):
        published = NOW - dt.timedelta(hours=(i * 8760 // n) + 1)
        if i % 10 == 0:
            title = ON_TOPIC[(i // 10) % len(ON_TOPIC)].format(i)
            text = "Officials announced the measures on rare earths, minerals, tariffs and the trade agreement."
        else:
            title = f"Regional markets close mixed on day {i}"
            text = "Shares moved in thin trade as investors awaited central bank decisions and earnings."
        digest = hashlib.sha256(f"{title}\n{text}".encode()).hexdigest()
        out.append(Item(f"k{i}", f"https://news.example.org/{i}", title, text, None, published, None, digest))
    return out


def fill(app: App, n_items: int, n_changes: int) -> int:
    batch = 2000
    stored = items(n_items)
    for start in range(0, len(stored), batch):
        apply_update(app.db, FeedUpdate("wh-fact-sheets", NOW, True, 200, None, None, None, None, None,
                                        stored[start:start + batch]))
    found = evidence.match_pending(app)
    ids = [m.id for m in app.definitions.milestones]
    status = dict.fromkeys(ids, "pending")
    for k in range(n_changes):
        m = ids[k % len(ids)]
        to = OPEN[(OPEN.index(status[m]) + 1) % len(OPEN)]
        at = NOW - dt.timedelta(days=365) + dt.timedelta(hours=k * 8760 // n_changes)
        with app.db.write() as tx:
            lock(tx, m)
            write_status(tx, StatusWrite(m, status[m], to, at.date(), None, None, at, "bench", None))
        status[m] = to
    return found


def timed(fn: Callable[[], Any], runs: int) -> tuple[float, float]:
    walls, cpus = [], []
    for _ in range(runs):
        w, c = time.perf_counter(), time.process_time()
        fn()
        walls.append(time.perf_counter() - w)
        cpus.append(time.process_time() - c)
    return statistics.median(walls), statistics.median(cpus)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--items", type=int, default=20_000)
    parser.add_argument("--changes", type=int, default=200)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        home, out = Path(tmp) / "home", Path(tmp) / "site"
        clock = FixedClock(NOW)
        init_home(home, clock)
        app = open_app(home, clock)
        try:
            t = time.perf_counter()
            found = fill(app, args.items, args.changes)
            print(f"state: {args.items:,} items, {found:,} pieces of evidence, {args.changes} status changes "
                  f"(made in {time.perf_counter() - t:.1f} s)")
            state = read_state(app)
            env = environment(app.config.home)
            files = render_site(state, env)
            size = sum(len(b) for b in files.values())
            index_kib = len(files["index.html"]) / 1024
            print(f"site: {len(files)} files, {size / 1024:.0f} KiB (index.html {index_kib:.0f} KiB)")
            rows = [
                ("read the state", lambda: read_state(app)),
                ("render every file", lambda: render_site(state, env)),
                ("publish (write, fsync, rename)", lambda: publish(out, files)),
                ("write_report, all of it", lambda: write_report(app, out)),
                ("export csv", lambda: export(app, "csv")),
                ("export json", lambda: export(app, "json")),
                ("export ics", lambda: export(app, "ics")),
            ]
            print(f"\n| phase (median of {args.runs}) | wall s | CPU s |\n|---|---:|---:|")
            for name, fn in rows:
                wall, cpu = timed(fn, args.runs)
                print(f"| {name} | {wall:.3f} | {cpu:.3f} |")
        finally:
            app.close()


if __name__ == "__main__":
    main()
