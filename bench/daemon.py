"""Daemon benchmark: the poll cycle as `monitor run` makes it, in-process, cycle after cycle.

The same local server and feeds as bench/poll.py (N feeds x 50 items, 200 ms added latency, ETag support). One
child process runs a real Daemon (scheduler, hand-over to the main thread, job_runs bookkeeping) against a home
of those feeds: a cold first cycle, then `--cycles` unchanged cycles (every feed answers 304), then a few where
the server ignores validators (same bodies: skipped by hash). Every ten cycles the fetch floor (httpx only,
same concurrency and server, no parsing or storage) is measured in between, in a process of its own (its
bodies must not count in the daemon's memory), so the two are compared under the same load. It prints:

  unchanged cycle / floor   median daemon cycle (304s) over median floor       target <= 1.1
  memory                    the daemon's resident memory after each unchanged cycle, first vs every later one
                                                                                 target within +-10 %

    python bench/daemon.py                  # 200 feeds x 50 items, 200 ms, 50 cycles (about 4 minutes)
    python bench/daemon.py --feeds 50 --cycles 10
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
import poll as bench_poll  # noqa: E402  (bench/poll.py: the server, the feeds and the floor)

FLOOR_EVERY = 10  # cycles between two floor measurements
PLAIN_CYCLES = 5  # cycles with validators ignored by the server (body-hash skip)


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def child(home: str, base: str, feeds: int, cycles: int) -> None:
    """Run the daemon; after each poll job, note its time and memory and start the next one."""
    from monitor.app import open_app
    from monitor.clock import SystemClock
    from monitor.daemon.events import Event, JobEnded
    from monitor.daemon.run import Daemon

    def floor() -> float:
        """Measured in a process of its own, so that its bodies never count in the daemon's memory."""
        out = subprocess.run(
            [sys.executable, __file__, "--floor", "--base", base, "--feeds", str(feeds)],
            capture_output=True, text=True, check=True,
        )
        return float(out.stdout.strip())

    def mode(m: str) -> None:
        urllib.request.urlopen(f"{base}/_mode/{m}").read()

    mode("etag")
    rows: list[dict[str, Any]] = []
    floors: list[float] = []
    failures: list[str] = []

    def on_event(e: Event) -> None:
        if not isinstance(e, JobEnded):
            return
        if e.state != "completed" or e.failures:
            failures.append(f"{e.job} {e.state}: {e.error or e.details[:3]}")
            daemon.stop("a cycle failed")
            return
        n = len(rows)
        kind = "cold" if n == 0 else "unchanged" if n <= cycles else "plain"
        rows.append({"kind": kind, "wall": e.seconds, "rss": rss_mb(), "summary": e.summary})
        if n % FLOOR_EVERY == 0 and n <= cycles:
            floors.append(floor())
        if n == cycles:
            mode("plain")
        if n >= cycles + PLAIN_CYCLES:
            mode("etag")
            daemon.stop("benchmark done")
        else:
            daemon.run_soon("poll")

    app = open_app(home, SystemClock())
    daemon = Daemon(app, on_event)
    try:
        daemon.run()  # polls at once: the home has never polled
    finally:
        app.close()
    if failures:
        raise SystemExit(f"cycles failed: {failures}")
    print(json.dumps({"rows": rows, "floors": floors}))


def make_home(base: str, feeds: int) -> str:
    home = tempfile.mkdtemp(prefix="monitor-bench-daemon-")
    subprocess.run([sys.executable, "-c", "from monitor.cli import main; main()", "init", home], check=True,
                   capture_output=True)
    cfg = Path(home, "config")
    (cfg / "feeds.yaml").write_text(
        yaml.safe_dump({"feeds": [{"id": f"f{n}", "type": "rss", "url": f"{base}/feed/{n}"} for n in range(feeds)]})
    )
    settings = yaml.safe_load((cfg / "monitor.yaml").read_text())
    conc = bench_poll.CONCURRENCY
    settings["http"].update(concurrency=conc, per_host=conc)  # all feeds share one host here
    (cfg / "monitor.yaml").write_text(yaml.safe_dump(settings))
    return home


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--feeds", type=int, default=200)
    ap.add_argument("--items", type=int, default=50)
    ap.add_argument("--latency", type=float, default=0.2)
    ap.add_argument("--cycles", type=int, default=50)
    ap.add_argument("--child", action="store_true")
    ap.add_argument("--floor", action="store_true")
    ap.add_argument("--home")
    ap.add_argument("--base")
    a = ap.parse_args()
    if a.child:
        child(a.home, a.base, a.feeds, a.cycles)
        return
    if a.floor:
        asyncio.run(bench_poll.fetch_all(a.base, 1))  # not timed: the first request's imports and set-up
        t0 = time.perf_counter()
        asyncio.run(bench_poll.fetch_all(a.base, a.feeds))
        print(time.perf_counter() - t0)
        return
    port_file = tempfile.mktemp()
    server = subprocess.Popen(
        [sys.executable, bench_poll.__file__, "--serve", port_file, "--feeds", str(a.feeds), "--items", str(a.items),
         "--latency", str(a.latency)]
    )
    try:
        while not Path(port_file).exists() or not Path(port_file).read_text():
            time.sleep(0.05)
        base = f"http://127.0.0.1:{Path(port_file).read_text()}"
        home = make_home(base, a.feeds)
        out = subprocess.run(
            [sys.executable, __file__, "--child", "--home", home, "--base", base, "--feeds", str(a.feeds),
             "--cycles", str(a.cycles)],
            capture_output=True, text=True, check=False,
        )
        if out.returncode:
            raise SystemExit(f"the daemon child failed:\n{out.stderr}")
        result = json.loads(out.stdout.strip().splitlines()[-1])
    finally:
        server.terminate()
    report(result, a)


def report(result: dict[str, Any], a: argparse.Namespace) -> None:
    rows, floors = result["rows"], result["floors"]
    cold = [r for r in rows if r["kind"] == "cold"][0]
    same = [r for r in rows if r["kind"] == "unchanged"]
    plain = [r for r in rows if r["kind"] == "plain"]
    floor = statistics.median(floors)
    cycle = statistics.median(r["wall"] for r in same)
    plain_cycle = statistics.median(r["wall"] for r in plain)
    first = same[0]["rss"]
    drift = [(r["rss"] - first) / first for r in same]
    print(
        f"{a.feeds} feeds x {a.items} items, {a.latency * 1000:.0f} ms added latency, concurrency "
        f"{bench_poll.CONCURRENCY}, {os.cpu_count()} cores, SQLite; one daemon process, {len(same)} unchanged cycles"
    )
    print(f"cold cycle (first poll, fetch + parse + store + match)   {cold['wall']:7.2f} s   {cold['summary']}")
    print(f"fetch floor (httpx only), median of {len(floors)}                   {floor:7.2f} s   "
          f"(min {min(floors):.2f}, max {max(floors):.2f})")
    print(f"unchanged cycle (every feed 304), median of {len(same)}           {cycle:7.2f} s   "
          f"(min {min(r['wall'] for r in same):.2f}, max {max(r['wall'] for r in same):.2f})")
    print(f"unchanged content, validators ignored, median of {len(plain)}       {plain_cycle:7.2f} s")
    print()
    print(f"unchanged cycle / floor          {cycle / floor:.3f}   (target <= 1.1)")
    print(f"validators ignored / floor       {plain_cycle / floor:.3f}")
    print(
        f"memory after unchanged cycles    first {first:.1f} MB, last {same[-1]['rss']:.1f} MB, "
        f"min {min(r['rss'] for r in same):.1f}, max {max(r['rss'] for r in same):.1f}; "
        f"largest change from the first {max(drift, key=abs):+.1%}, last {drift[-1]:+.1%}   (target within +-10 %)"
    )
    series = ", ".join(f"{i}: {r['rss']:.1f}" for i, r in enumerate(same, 1) if i == 1 or i % 10 == 0)
    print(f"memory by cycle (MB)             {series}")


if __name__ == "__main__":
    main()
