"""Processes that die under `monitor poll`: a parse worker killed mid-document costs that feed only; the monitor
process killed while a worker is busy leaves nothing running; runs nobody will finish are found and marked."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal

import pytest

from monitor.poll import ABANDON_AFTER, abandoned_runs, end_of
from monitor.storage.feeds import RunInfo
from tests.conftest import HomeDir, write_feeds
from tests.httpserver import Response, Server, rss
from tests.test_poll_kill import MULTI_CORE, _stat, children, descendants, none_left, query, wait_until

# 1 s of CPU: only the big document takes that long. A worker that parses the small feeds also builds the shipped
# matcher, ~0.1 s of CPU, and up to 0.35 s on a machine shared with other jobs (where 0.3 s here was a flake).
BUSY_TICKS = os.sysconf("SC_CLK_TCK")
BIG_ITEMS = 4500  # under the 5000-entry limit and the 10 MB body cap
# An HTML entity XML does not define makes the big document ill-formed: feedparser's loose parser, its slowest
# path (~2.5 s for this document), which no faster parser for well-formed feeds can take over.
ILL_FORMED = b"&nbsp;"
SMALL = ["s0", "s1", "s2", "s3"]  # with the big feed, enough feeds for the cycle to parse in worker processes

needs_workers = pytest.mark.skipif(not MULTI_CORE, reason="one core: the cycle parses in a thread, no workers")


def cpu_ticks(pid: int) -> int:
    fields = _stat(pid)
    return int(fields[11]) + int(fields[12]) if fields else 0


def workers(monitor_pid: int) -> set[int]:
    """Parse workers: the forkserver's children (the forkserver and the resource tracker are the monitor's)."""
    tree = children()
    return {pid for server, _ in tree.get(monitor_pid, []) for pid, _ in tree.get(server, [])}


def big_and_small(home: HomeDir, server: Server) -> None:
    body = rss(*[(f"Story {k} of a long listing", "Lorem ipsum dolor sit amet. " * 20) for k in range(BIG_ITEMS)])
    server.routes["/big"] = Response(body=body.replace(b"<title>Story 0 ", b"<title>Story" + ILL_FORMED + b"0 ", 1))
    for name in SMALL:
        server.routes[f"/{name}"] = Response(body=rss(*[(f"{name} story {k}", "text") for k in range(3)]))
    write_feeds(
        home,
        [{"id": "big", "type": "rss", "url": server.url("/big")}]
        + [{"id": name, "type": "rss", "url": server.url(f"/{name}")} for name in SMALL],
    )


@needs_workers
def test_a_worker_killed_mid_document_costs_that_feed_only(home: HomeDir, server: Server) -> None:
    """The pool breaks; every parse it held fails. Each is tried again alone: the small feeds succeed, the big
    document's worker is killed again and that feed ends `parser crashed`. A segfault or the OOM killer on a
    hostile document looks the same from the monitor process."""
    big_and_small(home, server)
    proc = home.process("poll", "--json")
    killed: list[int] = []
    family: set[tuple[int, str]] = set()

    def done() -> bool:
        family.update(descendants(proc.pid))
        for pid in workers(proc.pid) - set(killed):
            if cpu_ticks(pid) >= BUSY_TICKS:
                os.kill(pid, signal.SIGKILL)
                killed.append(pid)
        return proc.poll() is not None

    wait_until(done, 120, "the poll did not end")
    out, err = proc.communicate(timeout=10)
    assert proc.returncode == 0, err
    assert len(killed) == 2  # in the shared pool, then alone
    report = json.loads(out)
    assert {f["id"]: (f["outcome"], f["error"], f["new"]) for f in report["feeds"]} == {
        "big": ("error", "parser crashed", 0),
        **{name: ("new", None, 3) for name in SMALL},
    }
    assert report["new_items"] == 3 * len(SMALL)
    none_left(family)
    assert query(home, "SELECT consecutive_failures, last_error, etag, body_hash FROM feeds WHERE id = 'big'") == [
        (1, "parser crashed", None, None)  # no validators kept: the next cycle fetches and parses it again
    ]
    assert query(home, "SELECT state FROM poll_runs") == [("completed",)]


@needs_workers
def test_sigkill_while_a_worker_is_busy_leaves_nothing(home: HomeDir, server: Server) -> None:
    big_and_small(home, server)
    proc = home.process("poll", "--json")
    family: set[tuple[int, str]] = set()

    def busy() -> bool:
        family.update(descendants(proc.pid))
        assert proc.poll() is None, "the poll ended before it was killed"
        return any(cpu_ticks(pid) >= BUSY_TICKS for pid in workers(proc.pid))

    wait_until(busy, 60, "no worker got busy")
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    none_left(family)
    assert query(home, "SELECT state FROM poll_runs") == [("running",)]


# ---------------------------------------------------------------- which runs are abandoned (pure decision)

NOW = dt.datetime(2026, 11, 22, 12, 0, tzinfo=dt.UTC)


def run(id_: int, age: dt.timedelta, pid: int | None, host: str | None) -> RunInfo:
    return RunInfo(id_, NOW - age, pid, host)


def test_abandoned_runs() -> None:
    minute = dt.timedelta(minutes=1)
    runs = [
        run(1, minute, 100, "here"),  # alive here
        run(2, minute, 200, "here"),  # gone here
        run(3, minute, 100, "there"),  # another host, recent: may be running
        run(4, ABANDON_AFTER, 300, "there"),  # another host, a day old
        run(5, ABANDON_AFTER - minute, 100, "here"),  # alive here, not quite a day old
        run(6, ABANDON_AFTER + minute, 100, "here"),  # alive here but a day old: the pid was reused
        run(7, minute, None, None),  # from before runs recorded their process
    ]
    assert abandoned_runs(runs, "here", {100}, NOW) == [
        (2, "process 200 on here ended without finishing it"),
        (4, "no end recorded 24 h after it started"),
        (6, "no end recorded 24 h after it started"),
        (7, "no end recorded, and no process recorded to ask"),
    ]
    assert abandoned_runs([], "here", set(), NOW) == []


def test_how_a_run_that_raised_ends() -> None:
    from monitor.cli.context import Terminated
    from monitor.errors import StorageError

    assert end_of(KeyboardInterrupt()) == ("interrupted", "interrupted (SIGINT)")
    assert end_of(Terminated("SIGTERM")) == ("interrupted", "interrupted (SIGTERM)")
    assert end_of(StorageError("database x: disk full")) == ("failed", "database x: disk full")
    assert end_of(KeyError("feed")) == ("failed", "KeyError: 'feed'")
    assert end_of(AssertionError()) == ("failed", "AssertionError")


# ---------------------------------------------------------------- what the forkserver preloads

HEAVY = ("sqlalchemy", "httpx", "pydantic", "yaml", "typer", "rich", "alembic", "psycopg")


def test_workers_preload_only_the_parsers() -> None:
    """The forkserver preloads monitor.workers, and each worker starts as a copy of it: the parsers, no database,
    HTTP, config or CLI code."""
    import subprocess
    import sys

    from monitor import workers

    assert workers.PRELOAD == ["monitor.workers", "monitor.sources.parse"]
    probe = "import sys, importlib; [importlib.import_module(m) for m in sys.argv[1:]]; "
    probe += "print(' '.join(sorted(m for m in sys.modules if m.partition('.')[0] in "
    probe += f"{('monitor', *HEAVY)!r})))"
    argv = [sys.executable, "-c", probe, *workers.PRELOAD]
    out = subprocess.run(argv, capture_output=True, text=True, check=True).stdout.split()
    assert sorted(m for m in out if not m.startswith("monitor.sources")) == ["monitor", "monitor.workers"]
    assert "monitor.sources.parse" in out
    # the process that starts the pool does not load the parsers for it: it sends monitor.workers.parse by name
    alone = subprocess.run([sys.executable, "-c", probe, "monitor.workers"], capture_output=True, text=True, check=True)
    assert "monitor.sources.parse" not in alone.stdout.split()
    pool = workers.process_pool(1)
    try:
        loaded = pool.submit(eval, f"[m for m in __import__('sys').modules if m.partition('.')[0] in {HEAVY!r}]")
        assert loaded.result(timeout=60) == []
        preloaded = pool.submit(eval, "'monitor.sources.parse' in __import__('sys').modules")
        assert preloaded.result(timeout=60) is True
    finally:
        pool.shutdown()
