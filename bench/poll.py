"""Poll-cycle benchmark: N synthetic feeds on a local server with latency and ETag support.

Feeds carry news filler plus labelled items of tests/data/labelled_items.yaml: 5 % on-topic (evidence for a
shipped milestone, so the cold cycle computes snippets and signals) and 5 % near misses. Phases, each measured
in a fresh child process:
  floor      httpx only: GET every feed with the same concurrency from the same server; no parsing, no storage
  parse      feedparser alone on the same bodies (fetched first, not timed), in one process: CPU time
  cold       first `poll` of an empty home (fetch + parse in workers + store + match)
  warm       every feed answers 304 to the conditional GET
  unchanged  the server ignores validators but the content is the same (body-hash skip)
  bomb       one feed serving a 1 GiB gzip bomb (peak memory must not follow the body size)
The cold cycle is bounded by work measured independently of it, max(floor wall, parse CPU / parse workers),
never by its own CPU time.

    python bench/poll.py                    # 200 feeds x 50 items, 200 ms latency, 3 runs
    python bench/poll.py --feeds 50 --runs 1

With --peer, side by side with reader 3.26 (lemon24/reader, `update_feeds(workers=20)`) on the same server in the
same run, each cycle one whole process (`monitor --home H poll`, `python -c "...update_feeds(workers=20)"`), start-up
included: cold (first cycle), unchanged (second cycle, the server answers 304 to both) and same-body (the server
ignores validators: monitor skips by body hash, reader parses again). reader is installed in its own venv under
the cache dir (reader 3.26 needs sgmllib3k beside it); monitor uses concurrency 20, like reader's 20 workers.
Prints medians and the ratios monitor / reader of each run's pair (targets: cold <= 0.5, unchanged <= 1.0).

    python bench/poll.py --peer                 # 200 feeds x 50 items, 200 ms, 5 runs
    python bench/poll.py --peer --runs 3 --cache ~/.cache/monitor-bench
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import html
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from xml.sax.saxutils import escape

import yaml

LABELLED = Path(__file__).resolve().parent.parent / "tests" / "data" / "labelled_items.yaml"
ON_TOPIC_SHARE = 0.05  # labelled items that are evidence for a milestone (real feeds: a few per cent)
NEAR_SHARE = 0.05  # labelled negatives: tracked countries and topics, no milestone
CONCURRENCY = 16
WORKERS = max(1, min(os.cpu_count() or 1, 8))  # the app's parse pool: one worker per core, at most 8
WORDS = (
    "the of and to in a for on with by that said officials week statement government market prices company report "
    "quarter growth city council plan new year people local police court weather energy sales bank rate policy "
    "school health water project minister president election party vote budget team season league film music"
).split()


def labelled() -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(title, text) of the labelled on-topic items and of the labelled negatives."""
    items = yaml.safe_load(LABELLED.read_text(encoding="utf-8"))["items"]
    on = [(i["title"], i.get("text") or "") for i in items if i.get("milestones")]
    near = [(i["title"], i.get("text") or "") for i in items if not i.get("milestones")]
    return on, near


def make_feed(n: int, items: int, on: list[tuple[str, str]], near: list[tuple[str, str]]) -> bytes:
    rnd = random.Random(n)

    def filler(words: int) -> str:
        return " ".join(rnd.choice(WORDS) for _ in range(words))

    entries = []
    for k in range(items):
        title, text = filler(9).capitalize(), filler(150)
        draw = rnd.random()
        if draw < ON_TOPIC_SHARE + NEAR_SHARE:
            title, core = rnd.choice(on if draw < ON_TOPIC_SHARE else near)
            text = f"{filler(60)}. {core} {filler(60)}"
        description = escape(f"<p>{html.escape(text)}</p>")
        entries.append(
            f"<item><title>{escape(title)}</title><link>https://example.org/{n}/{k}</link>"
            f"<guid>https://example.org/{n}/{k}</guid><pubDate>Mon, 01 Dec 2025 10:{k % 60:02d}:00 GMT"
            f"</pubDate><description>{description}</description></item>"
        )
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Feed {n}</title>'
        f"<link>https://example.org/{n}</link>{''.join(entries)}</channel></rss>"
    ).encode()


# ---------------------------------------------------------------- the server (its own process)


async def serve(port_file: str, feeds: int, items: int, latency: float) -> None:
    on, near = labelled()
    bodies = {f"/feed/{n}": make_feed(n, items, on, near) for n in range(feeds)}
    bomb = _bomb()
    state = {"mode": "etag"}

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                path = lines[0].split(" ")[1]
                headers = {k.lower(): v.strip() for k, _, v in (ln.partition(":") for ln in lines[1:] if ln)}
                await asyncio.sleep(latency)
                extra, status, body = "", 200, b""
                if path.startswith("/_mode/"):
                    state["mode"] = path.rsplit("/", 1)[1]
                    body = b"ok"
                elif path == "/bomb":
                    body, extra = bomb, "Content-Encoding: gzip\r\n"
                elif path in bodies:
                    etag = f'"v-{path.rsplit("/", 1)[1]}"'
                    if state["mode"] == "etag":
                        if headers.get("if-none-match") == etag:
                            status = 304
                        extra = f"ETag: {etag}\r\n"
                    body = b"" if status == 304 else bodies[path]
                else:
                    status, body = 404, b"no"
                reason = {200: "OK", 304: "Not Modified", 404: "Not Found"}[status]
                writer.write(
                    f"HTTP/1.1 {status} {reason}\r\nContent-Type: application/rss+xml\r\n{extra}"
                    f"Content-Length: {len(body)}\r\n\r\n".encode()
                    + body
                )
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0, backlog=1024)
    Path(port_file).write_text(str(server.sockets[0].getsockname()[1]))
    async with server:
        await server.serve_forever()


def _bomb() -> bytes:
    """1 GiB of zeros, gzipped (about 1 MB), built in slices so the bench itself stays small."""
    cache = Path(tempfile.gettempdir()) / "monitor-bench-bomb.gz"
    if not cache.exists():
        with gzip.open(cache, "wb", compresslevel=9) as f:
            chunk = b"\0" * (16 << 20)
            for _ in range(64):
                f.write(chunk)
    return cache.read_bytes()


# ---------------------------------------------------------------- the measured phases (child processes)


TICK = os.sysconf("SC_CLK_TCK")


def _descendants() -> list[int]:
    """Every live process below this one (the forkserver and its parse workers are grandchildren)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parents[int(entry.name)] = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
    tree, frontier = [], [os.getpid()]
    while frontier:
        kids = [p for p, pp in parents.items() if pp in frontier]
        tree += kids
        frontier = kids
    return tree


def _cpu(pid: int | str, fields: slice = slice(11, 15)) -> float:
    """utime + stime + reaped children's cutime + cstime of one process (or the `fields` asked for), in seconds."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return sum(int(f) for f in stat[fields]) / TICK


def _tree_cpu() -> float:
    return _cpu("self") + sum(_cpu(p) for p in _descendants())


class _PeakSampler:
    """Samples the peak RSS (VmHWM) of descendant processes while a phase runs."""

    def __init__(self) -> None:
        import threading

        self.peak_mb = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()  # returns once the thread's native id is set

    def _run(self) -> None:
        while not self._stop.wait(0.05):
            for pid in _descendants():
                try:
                    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                        if line.startswith("VmHWM:"):
                            self.peak_mb = max(self.peak_mb, int(line.split()[1]) / 1024)
                except OSError:
                    continue

    def cpu(self) -> float:
        """The sampler thread's own CPU so far (utime + stime), to subtract from the phase's."""
        return _cpu(f"self/task/{self._thread.native_id}", fields=slice(11, 13))

    def stop(self) -> float:
        self._stop.set()
        self._thread.join()
        return self.peak_mb


def _usage() -> tuple[float, float]:
    return _tree_cpu(), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def fetch_all(base: str, feeds: int) -> list[tuple[bytes, dict[str, str]]]:
    """GET every feed with the cycle's concurrency through one httpx client: body and headers of each."""
    import httpx

    sem = asyncio.Semaphore(CONCURRENCY)
    async with httpx.AsyncClient(limits=httpx.Limits(max_connections=CONCURRENCY)) as client:

        async def one(n: int) -> tuple[bytes, dict[str, str]]:
            async with sem:
                r = await client.get(f"{base}/feed/{n}")
                return r.read(), {k.lower(): v for k, v in r.headers.items()}

        return list(await asyncio.gather(*(one(n) for n in range(feeds))))


def parse_only(base: str, feeds: int) -> None:
    """feedparser alone, as the app calls it, on the bodies the cold cycle gets; CPU of this one thread."""
    import feedparser

    docs = asyncio.run(fetch_all(base, feeds))  # not timed
    items = 0
    cpu0, wall0 = time.thread_time(), time.perf_counter()
    for body, headers in docs:
        d = feedparser.parse(body, response_headers=headers, sanitize_html=False, resolve_relative_uris=False)
        items += len(d.entries)
    cpu, wall = time.thread_time() - cpu0, time.perf_counter() - wall0
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"wall": wall, "cpu": cpu, "items": items, "rss_mb": rss, "workers_rss_mb": 0.0}))


def child(phase: str, home: str, base: str, feeds: int) -> None:
    if phase == "parse":
        parse_only(base, feeds)
        return
    items = matched = 0
    sampler = _PeakSampler()
    if phase == "floor":
        cpu0, _ = _usage()
        own0 = sampler.cpu()
        wall0 = time.perf_counter()
        asyncio.run(fetch_all(base, feeds))
        wall = time.perf_counter() - wall0
        cpu1, rss = _usage()
        own1 = sampler.cpu()
    else:
        from sqlalchemy import distinct, func, select

        from monitor.app import open_app
        from monitor.clock import SystemClock
        from monitor.poll import poll
        from monitor.storage.schema import MatchSource

        app = open_app(home, SystemClock())
        cpu0, _ = _usage()
        own0 = sampler.cpu()
        wall0 = time.perf_counter()
        report = poll(app, ["bomb"] if phase == "bomb" else [f"f{n}" for n in range(feeds)])
        wall = time.perf_counter() - wall0
        cpu1, rss = _usage()
        own1 = sampler.cpu()
        items = sum(f.items for f in report.feeds)
        errors = [f.error for f in report.feeds if f.error]
        if phase != "bomb" and errors:
            raise SystemExit(f"unexpected errors: {errors[:3]}")
        if phase == "cold":
            with app.db.read() as s:
                matched = s.scalar(select(func.count(distinct(MatchSource.item_id)))) or 0
        app.close()
    kids = sampler.stop()
    print(
        json.dumps(
            {
                "wall": wall,
                "cpu": cpu1 - cpu0 - (own1 - own0),
                "items": items,
                "matched": matched,
                "rss_mb": rss,
                "workers_rss_mb": kids,
            }
        )
    )


# ---------------------------------------------------------------- the driver


def run_child(phase: str, home: str, base: str, feeds: int) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, __file__, "--child", phase, "--home", home, "--base", base, "--feeds", str(feeds)],
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode:
        raise SystemExit(f"{phase} failed:\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def one_run(base: str, feeds: int) -> dict[str, dict[str, float]]:
    import urllib.request

    home = tempfile.mkdtemp(prefix="monitor-bench-")
    subprocess.run(
        [sys.executable, "-c", "from monitor.cli import main; main()", "init", home], check=True, capture_output=True
    )
    cfg = Path(home, "config")
    (cfg / "feeds.yaml").write_text(
        yaml.safe_dump(
            {
                "feeds": [
                    *({"id": f"f{n}", "type": "rss", "url": f"{base}/feed/{n}"} for n in range(feeds)),
                    {"id": "bomb", "type": "rss", "url": f"{base}/bomb", "enabled": False},
                ]
            }
        )
    )
    settings = yaml.safe_load((cfg / "monitor.yaml").read_text())
    settings["http"].update(concurrency=CONCURRENCY, per_host=CONCURRENCY)  # all feeds share one host here
    (cfg / "monitor.yaml").write_text(yaml.safe_dump(settings))
    mode = lambda m: urllib.request.urlopen(f"{base}/_mode/{m}").read()  # noqa: E731
    mode("etag")
    results = {
        "floor": run_child("floor", home, base, feeds),
        "parse": run_child("parse", home, base, feeds),
        "cold": run_child("cold", home, base, feeds),
        "warm": run_child("warm", home, base, feeds),
    }
    mode("plain")
    results["unchanged"] = run_child("unchanged", home, base, feeds)
    results["bomb"] = run_child("bomb", home, base, feeds)
    mode("etag")
    return results


# ---------------------------------------------------------------- side by side with reader (--peer)


PEER = ("reader==3.26", "sgmllib3k")  # reader 3.26's vendored feedparser imports sgmllib
PEER_WORKERS = 20
PEER_SETUP = """
import sys
from reader import make_reader
r = make_reader(sys.argv[1])
for url in open(sys.argv[2]).read().split():
    r.add_feed(url, exist_ok=True)
r.close()
"""
PEER_CYCLE = f"""
import sys
from reader import make_reader
r = make_reader(sys.argv[1])
r.update_feeds(workers={PEER_WORKERS}, scheduled=False)  # every feed, every cycle
r.close()
"""


def peer_python(cache: Path) -> str:
    """The Python of a venv holding reader 3.26 (made once under `cache`)."""
    venv = cache / "reader-3.26"
    python = venv / "bin" / "python"
    if not python.exists() or subprocess.run([python, "-c", "import reader, sgmllib"], check=False).returncode:
        print(f"installing {' '.join(PEER)} into {venv} ...", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)
        subprocess.run([python, "-m", "pip", "install", "--quiet", *PEER], check=True)
    return str(python)


def monitor_script() -> str:
    import shutil

    found = shutil.which("monitor", path=str(Path(sys.executable).parent))
    if found is None:
        raise SystemExit(f"no `monitor` console script next to {sys.executable}: pip install -e . first")
    return found


# Runs one whole process and reports its wall time and the CPU of its whole tree: as a child subreaper, this wrapper
# inherits the descendants the process leaves (monitor's forkserver and parse workers) and reaps them, so their CPU
# is counted too.
WRAPPER = """
import ctypes, json, os, resource, subprocess, sys, tempfile, time
ctypes.CDLL(None).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
with tempfile.TemporaryFile() as err:
    t0 = time.perf_counter()
    rc = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=err).returncode
    wall = time.perf_counter() - t0
    while True:
        try:
            os.wait()
        except ChildProcessError:
            break
    err.seek(0)
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(json.dumps({"rc": rc, "wall": wall, "cpu": ru.ru_utime + ru.ru_stime, "err": err.read()[-2000:].decode()}))
"""


def timed_process(argv: list[str], env: dict[str, str] | None = None) -> dict[str, float]:
    """Wall time of one whole process, and the CPU of it and every process it started."""
    done = subprocess.run([sys.executable, "-c", WRAPPER, *argv], env=env, capture_output=True, text=True, check=True)
    got = json.loads(done.stdout)
    if got["rc"]:
        raise SystemExit(f"{' '.join(argv[:4])} ... exited {got['rc']}:\n{got['err']}")
    return {"wall": got["wall"], "cpu": got["cpu"]}


def stored(db: Path, table: str) -> int:
    import sqlite3

    with sqlite3.connect(db) as c:
        return int(c.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


def peer_run(base: str, feeds: int, items: int, peer: str, exe: str) -> dict[str, dict[str, float]]:
    """One run: a fresh monitor home and a fresh reader database on the same server, the cycles taking turns."""
    import urllib.request

    env = {k: v for k, v in os.environ.items() if not k.startswith("MONITOR_")}
    tmp = Path(tempfile.mkdtemp(prefix="monitor-peer-"))
    home = tmp / "home"
    subprocess.run([exe, "init", str(home)], env=env, check=True, capture_output=True)
    cfg = home / "config"
    urls = [f"{base}/feed/{n}" for n in range(feeds)]
    (cfg / "feeds.yaml").write_text(
        yaml.safe_dump({"feeds": [{"id": f"f{n}", "type": "rss", "url": u} for n, u in enumerate(urls)]})
    )
    settings = yaml.safe_load((cfg / "monitor.yaml").read_text())
    settings["http"].update(concurrency=PEER_WORKERS, per_host=PEER_WORKERS)  # like reader's 20 workers
    (cfg / "monitor.yaml").write_text(yaml.safe_dump(settings))
    subprocess.run([exe, "--home", str(home), "check"], env=env, check=True, capture_output=True)  # syncs nothing
    db = str(tmp / "reader.sqlite")
    (tmp / "urls").write_text("\n".join(urls))
    subprocess.run([peer, "-c", PEER_SETUP, db, str(tmp / "urls")], check=True, capture_output=True)
    mon = [exe, "--home", str(home), "poll"]
    rdr = [peer, "-c", PEER_CYCLE, db]
    mode = lambda m: urllib.request.urlopen(f"{base}/_mode/{m}").read()  # noqa: E731
    out: dict[str, dict[str, float]] = {}
    mode("etag")
    for phase in ("cold", "unchanged", "same-body"):
        if phase == "same-body":
            mode("plain")
        out[f"monitor {phase}"] = timed_process(mon, env)
        out[f"reader {phase}"] = timed_process(rdr, env)
        if phase == "cold":  # both did the same work
            counts = stored(home / "db" / "monitor.sqlite3", "items"), stored(Path(db), "entries")
            if counts != (feeds * items, feeds * items):
                raise SystemExit(f"items stored after the cold cycle: monitor {counts[0]}, reader {counts[1]}")
    mode("etag")
    import shutil

    shutil.rmtree(tmp, ignore_errors=True)
    return out


PEER_TARGETS = {"cold": 0.5, "unchanged": 1.0}


def peer_report(runs: list[dict[str, dict[str, float]]], a: argparse.Namespace) -> None:
    print(
        f"{a.feeds} feeds x {a.items} items, {a.latency * 1000:.0f} ms added latency, one local server; "
        f"monitor concurrency {PEER_WORKERS} vs reader 3.26 workers={PEER_WORKERS}; {os.cpu_count()} cores; "
        f"each cycle one whole process; medians of {len(runs)} runs"
    )
    print()
    print(
        f"{'cycle':<10} {'monitor s':>10} {'CPU s':>7} {'reader s':>9} {'CPU s':>7} {'ratio':>7}  "
        f"{'each run':<24} target"
    )
    for phase in ("cold", "unchanged", "same-body"):
        m = [r[f"monitor {phase}"] for r in runs]
        p = [r[f"reader {phase}"] for r in runs]
        ratios = [x["wall"] / y["wall"] for x, y in zip(m, p, strict=True)]
        med = statistics.median(ratios)
        target = PEER_TARGETS.get(phase)
        verdict = "" if target is None else f"<= {target}  {'ok' if med <= target else 'MISSED'}"
        mw, mc = statistics.median(x["wall"] for x in m), statistics.median(x["cpu"] for x in m)
        pw, pc = statistics.median(x["wall"] for x in p), statistics.median(x["cpu"] for x in p)
        each = " ".join(f"{r:.2f}" for r in ratios)
        print(f"{phase:<10} {mw:10.2f} {mc:7.2f} {pw:9.2f} {pc:7.2f} {med:7.2f}  {each:<24} {verdict}")
    print()
    print("ratio: median over runs of monitor wall / reader wall, both measured in the same run")
    print("cold: first cycle, 10,000 new items (monitor also matches them); unchanged: every feed answers 304;")
    print("same-body: the server ignores validators (monitor skips by body hash, reader parses again)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--feeds", type=int, default=200)
    ap.add_argument("--items", type=int, default=50)
    ap.add_argument("--latency", type=float, default=0.2)
    ap.add_argument("--runs", type=int, default=None, help="default 3 (--peer: 5)")
    ap.add_argument("--peer", action="store_true", help="side by side with reader 3.26, whole processes")
    ap.add_argument(
        "--cache",
        type=Path,
        default=Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "monitor-bench",
        help="where the peer's venv is kept (default ~/.cache/monitor-bench)",
    )
    ap.add_argument("--child")
    ap.add_argument("--home")
    ap.add_argument("--base")
    ap.add_argument("--serve")
    a = ap.parse_args()
    if a.serve:
        asyncio.run(serve(a.serve, a.feeds, a.items, a.latency))
        return
    if a.child:
        child(a.child, a.home, a.base, a.feeds)
        return
    runs_wanted = a.runs or (5 if a.peer else 3)
    peer = exe = ""
    if a.peer:
        peer, exe = peer_python(a.cache), monitor_script()
    port_file = tempfile.mktemp()
    server = subprocess.Popen(
        [
            sys.executable,
            __file__,
            "--serve",
            port_file,
            "--feeds",
            str(a.feeds),
            "--items",
            str(a.items),
            "--latency",
            str(a.latency),
        ]
    )
    try:
        while not Path(port_file).exists() or not Path(port_file).read_text():
            time.sleep(0.05)
        base = f"http://127.0.0.1:{Path(port_file).read_text()}"
        if a.peer:
            peer_runs = [peer_run(base, a.feeds, a.items, peer, exe) for _ in range(runs_wanted)]
        else:
            runs = [one_run(base, a.feeds) for _ in range(runs_wanted)]
    finally:
        server.terminate()
    if a.peer:
        peer_report(peer_runs, a)
        return
    a.runs = runs_wanted
    med = {p: {k: statistics.median(r[p][k] for r in runs) for k in runs[0][p]} for p in runs[0]}
    report(med, a)


WHAT = {
    "floor": "httpx only: every feed fetched, same concurrency and server; no parsing, no storage",
    "parse": "feedparser alone on the same bodies, one process (CPU of that thread); no fetch, no storage",
    "cold": "first poll of an empty home: fetch, parse (worker processes), store, match",
    "warm": "second poll: every feed answers 304 Not Modified",
    "unchanged": "server ignores validators, same bodies: skipped by body hash, nothing parsed",
    "bomb": "one feed serving a 1 GiB gzip bomb",
}


def report(med: dict[str, dict[str, float]], a: argparse.Namespace) -> None:
    print(
        f"{a.feeds} feeds x {a.items} items ({ON_TOPIC_SHARE:.0%} labelled on-topic, {NEAR_SHARE:.0%} labelled near "
        f"misses), {a.latency * 1000:.0f} ms added latency, concurrency {CONCURRENCY}, {os.cpu_count()} cores, "
        f"{WORKERS} parse workers, SQLite; medians of {a.runs} run{'s' if a.runs > 1 else ''}"
    )
    print("CPU: the whole process tree (parse workers included), except for `parse`; peak MB: the main process")
    print()
    print(f"{'phase':<10} {'wall s':>7} {'CPU s':>7} {'items/s':>8} {'peak MB':>8} {'workers MB':>10}   what it is")
    for p, m in med.items():
        rate = f"{m['items'] / m['wall']:8.0f}" if m["items"] else f"{'':8}"
        print(
            f"{p:<10} {m['wall']:7.2f} {m['cpu']:7.2f} {rate} {m['rss_mb']:8.0f} {m['workers_rss_mb']:10.0f}   "
            f"{WHAT[p]}"
        )
    floor, parse, cold, warm, same = med["floor"], med["parse"], med["cold"], med["warm"], med["unchanged"]
    spread = parse["cpu"] / WORKERS
    bound = max(floor["wall"], spread)
    print()
    print(
        f"cold cycle: {cold['items']:,.0f} items stored, {cold['matched']:,.0f} ({cold['matched'] / cold['items']:.1%})"
        " matched a milestone"
    )
    print(
        f"unavoidable work: max(floor wall {floor['wall']:.2f} s, parse-only CPU {parse['cpu']:.2f} s / {WORKERS} "
        f"workers = {spread:.2f} s) = {bound:.2f} s"
    )
    print(f"cold wall / unavoidable work     {cold['wall'] / bound:.2f}   (target <= 2)")
    print(f"cold CPU / parse-only CPU        {cold['cpu'] / parse['cpu']:.2f}   (what fetching, storing, matching add)")
    print(f"warm wall / floor wall           {warm['wall'] / floor['wall']:.2f}   (target <= 1.5)")
    print(f"unchanged CPU / cold CPU         {same['cpu'] / cold['cpu']:.1%}  (target <= 10%)")
    print(f"cold peak memory                 {max(cold['rss_mb'], cold['workers_rss_mb']):.0f} MB   (target <= 300)")
    print(
        f"1 GiB gzip bomb peak memory      {max(med['bomb']['rss_mb'], med['bomb']['workers_rss_mb']):.0f} MB   "
        "(bounded by http.max_bytes, not the body size)"
    )


if __name__ == "__main__":
    main()
