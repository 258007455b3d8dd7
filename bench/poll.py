"""Poll-cycle benchmark: N synthetic feeds on a local server with latency and ETag support.

Phases, each measured in a fresh child process (wall, CPU including parse workers, peak RSS):
  floor      fetch every URL with the same concurrency, no parsing, no storage
  cold       first `poll` of an empty home (fetch + parse + store)
  warm       every feed answers 304 to the conditional GET
  unchanged  the server ignores validators but the content is the same (body-hash skip)
  bomb       one feed serving a 1 GiB gzip bomb (peak memory must not follow the body size)

    python bench/poll.py                    # 200 feeds x 50 items, 200 ms latency, 3 runs
    python bench/poll.py --feeds 50 --runs 1
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
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

WORDS = (
    "the of and to in a for on with by that said officials week statement government market prices company report "
    "quarter growth city council plan new year people local police court weather energy sales bank rate policy "
    "school health water project minister president election party vote budget team season league film music"
).split()
ON_TOPIC = [  # about one item in fifty is evidence for a tracked milestone, as in real feeds
    "China suspends rare earth export controls for one year",
    "Malaysia and the United States exchange notifications on the reciprocal trade agreement",
    "Thailand and the US hold another round of reciprocal trade talks",
    "Japan and the US convene a ministerial on critical minerals and mining investment",
]


def make_feed(n: int, items: int) -> bytes:
    rnd = random.Random(n)
    entries = []
    for k in range(items):
        title = " ".join(rnd.choice(WORDS) for _ in range(9)).capitalize()
        if rnd.random() < 0.02:
            title = rnd.choice(ON_TOPIC)
        text = " ".join(rnd.choice(WORDS) for _ in range(150))
        entries.append(
            f"<item><title>{title}</title><link>https://example.org/{n}/{k}</link>"
            f"<guid>https://example.org/{n}/{k}</guid><pubDate>Mon, 01 Dec 2025 10:{k % 60:02d}:00 GMT"
            f"</pubDate><description>&lt;p&gt;{text}&lt;/p&gt;</description></item>"
        )
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Feed {n}</title>'
        f"<link>https://example.org/{n}</link>{''.join(entries)}</channel></rss>"
    ).encode()


# ---------------------------------------------------------------- the server (its own process)


async def serve(port_file: str, feeds: int, items: int, latency: float) -> None:
    bodies = {f"/feed/{n}": make_feed(n, items) for n in range(feeds)}
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


def _cpu(pid: int | str) -> float:
    """utime + stime + reaped children's cutime + cstime of one process, in seconds."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return sum(int(f) for f in fields[11:15]) / TICK


def _tree_cpu() -> float:
    return _cpu("self") + sum(_cpu(p) for p in _descendants())


class _PeakSampler:
    """Samples the peak RSS (VmHWM) of descendant processes while a phase runs."""

    def __init__(self) -> None:
        import threading

        self.peak_mb = 0.0
        self.cpu = 0.0  # the sampler's own CPU, subtracted from the phase's
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(0.05):
            for pid in _descendants():
                try:
                    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                        if line.startswith("VmHWM:"):
                            self.peak_mb = max(self.peak_mb, int(line.split()[1]) / 1024)
                except OSError:
                    continue
            self.cpu = time.thread_time()

    def stop(self) -> float:
        self._stop.set()
        self._thread.join()
        return self.peak_mb


def _usage() -> tuple[float, float]:
    return _tree_cpu(), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(phase: str, home: str, base: str, feeds: int) -> None:
    items = 0
    sampler = _PeakSampler()
    if phase == "floor":
        import httpx

        async def fetch_all() -> None:
            sem = asyncio.Semaphore(16)
            async with httpx.AsyncClient(limits=httpx.Limits(max_connections=16)) as client:

                async def one(n: int) -> None:
                    async with sem:
                        r = await client.get(f"{base}/feed/{n}")
                        r.read()

                await asyncio.gather(*(one(n) for n in range(feeds)))

        cpu0, _ = _usage()
        wall0 = time.perf_counter()
        asyncio.run(fetch_all())
    else:
        from monitor.app import open_app
        from monitor.clock import SystemClock
        from monitor.poll import poll

        app = open_app(home, SystemClock())
        cpu0, _ = _usage()
        wall0 = time.perf_counter()
        report = poll(app, ["bomb"] if phase == "bomb" else [f"f{n}" for n in range(feeds)])
        items = sum(f.items for f in report.feeds)
        errors = [f.error for f in report.feeds if f.error]
        if phase != "bomb" and errors:
            raise SystemExit(f"unexpected errors: {errors[:3]}")
        app.close()
    wall = time.perf_counter() - wall0
    cpu1, rss = _usage()
    kids = sampler.stop()
    print(
        json.dumps(
            {"wall": wall, "cpu": cpu1 - cpu0 - sampler.cpu, "items": items, "rss_mb": rss, "workers_rss_mb": kids}
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

    import yaml

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
    settings["http"].update(concurrency=16, per_host=16)  # all feeds share one host here
    (cfg / "monitor.yaml").write_text(yaml.safe_dump(settings))
    mode = lambda m: urllib.request.urlopen(f"{base}/_mode/{m}").read()  # noqa: E731
    mode("etag")
    results = {
        "floor": run_child("floor", home, base, feeds),
        "cold": run_child("cold", home, base, feeds),
        "warm": run_child("warm", home, base, feeds),
    }
    mode("plain")
    results["unchanged"] = run_child("unchanged", home, base, feeds)
    results["bomb"] = run_child("bomb", home, base, feeds)
    mode("etag")
    return results


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--feeds", type=int, default=200)
    ap.add_argument("--items", type=int, default=50)
    ap.add_argument("--latency", type=float, default=0.2)
    ap.add_argument("--runs", type=int, default=3)
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
        runs = [one_run(base, a.feeds) for _ in range(a.runs)]
    finally:
        server.terminate()
    med = {p: {k: statistics.median(r[p][k] for r in runs) for k in runs[0][p]} for p in runs[0]}
    cores = os.cpu_count() or 1
    print(
        f"{a.feeds} feeds x {a.items} items, {a.latency * 1000:.0f} ms latency, concurrency 16, {cores} cores, "
        f"medians of {a.runs} runs"
    )
    print(f"{'phase':<10} {'wall s':>8} {'cpu s':>8} {'items/s':>9} {'peak MB':>8} {'workers MB':>10}")
    for p, m in med.items():
        rate = m["items"] / m["wall"] if m["items"] else 0
        print(f"{p:<10} {m['wall']:8.2f} {m['cpu']:8.2f} {rate:9.0f} {m['rss_mb']:8.0f} {m['workers_rss_mb']:10.0f}")
    floor, cold, warm, same = med["floor"], med["cold"], med["warm"], med["unchanged"]
    bound = 2 * max(floor["wall"], cold["cpu"] / cores)
    print(f"warm / floor                 {warm['wall'] / floor['wall']:.2f}   (target <= 1.5)")
    print(f"unchanged cpu / cold cpu     {same['cpu'] / cold['cpu']:.2%}  (target <= 10%)")
    print(f"cold wall / max(floor, cpu/cores)  {cold['wall'] / (bound / 2):.2f}   (target <= 2)")
    print(f"cold peak memory             {max(cold['rss_mb'], cold['workers_rss_mb']):.0f} MB (target <= 300)")
    print(
        f"1 GiB gzip bomb peak memory  {max(med['bomb']['rss_mb'], med['bomb']['workers_rss_mb']):.0f} MB "
        f"(bounded by http.max_bytes, not the body size)"
    )


if __name__ == "__main__":
    main()
