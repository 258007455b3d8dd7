"""Killing `monitor poll` mid-cycle: SIGKILL and SIGTERM leave no process behind and lose nothing; every run ends
marked (completed, interrupted, failed, or abandoned when found by the next poll); running again duplicates
nothing."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from tests.conftest import HomeDir, write_feeds
from tests.httpserver import Response, Server, rss

FEEDS = 12
PER_FEED = 3
MULTI_CORE = (os.cpu_count() or 1) > 1  # one core: the cycle parses in a thread, and starts no process


# ---------------------------------------------------------------- processes, from /proc


def _stat(pid: int) -> list[str] | None:
    """Fields of /proc/<pid>/stat after the command name (state first), or None when the pid is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()
    except OSError:
        return None


def children() -> dict[int, list[tuple[int, str]]]:
    """ppid -> [(pid, start time)] of every live (non-zombie) process."""
    found: dict[int, list[tuple[int, str]]] = {}
    for name in os.listdir("/proc"):
        if name.isdigit() and (fields := _stat(int(name))) and fields[0] not in ("Z", "X"):
            found.setdefault(int(fields[1]), []).append((int(name), fields[19]))
    return found


def descendants(pid: int) -> set[tuple[int, str]]:
    """Every live process below `pid`, as (pid, start time): a reused pid is another process."""
    tree, found, todo = children(), set(), [pid]
    while todo:
        for child in tree.get(todo.pop(), []):
            found.add(child)
            todo.append(child[0])
    return found


def alive(procs: set[tuple[int, str]]) -> set[tuple[int, str]]:
    left = set()
    for pid, start in procs:
        fields = _stat(pid)
        if fields is not None and fields[0] not in ("Z", "X") and fields[19] == start:
            left.add((pid, start))
    return left


def wait_until(condition: Callable[[], Any], seconds: float, what: str) -> Any:
    """Poll `condition` until it is true (returns it) or the deadline passes (fails naming `what`)."""
    deadline = time.monotonic() + seconds
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"after {seconds} s: {what}")
        time.sleep(0.02)


def none_left(procs: set[tuple[int, str]]) -> None:
    wait_until(lambda: not alive(procs), 5, f"processes still running: {sorted(alive(procs))}")


# ---------------------------------------------------------------- the database, directly


def query(home: HomeDir, sql: str) -> list[tuple[Any, ...]]:
    url = home.env.get("MONITOR_DATABASE_URL") or f"sqlite:///{home.path}/db/monitor.sqlite3"
    engine = create_engine(url)
    try:
        with engine.connect() as c:
            return [tuple(r) for r in c.execute(text(sql))]
    finally:
        engine.dispose()


def counts(home: HomeDir) -> tuple[int, int, int]:
    total, distinct = query(home, "SELECT count(*), count(DISTINCT feed_id || '|' || key) FROM items")[0]
    (unfinished,) = query(home, "SELECT count(*) FROM poll_runs WHERE finished_at IS NULL")[0]
    return total, distinct, unfinished


def runs(home: HomeDir) -> list[tuple[int, str, str | None, bool, int | None]]:
    """(id, state, error, finished, pid) of every poll run, oldest first."""
    rows = query(home, "SELECT id, state, error, finished_at IS NOT NULL, pid FROM poll_runs ORDER BY id")
    return [(i, s, e, bool(f), p) for i, s, e, f, p in rows]


def slow_feeds(home: HomeDir, server: Server) -> None:
    for n in range(FEEDS):
        body = rss(*[(f"Feed {n} story {k}", "text") for k in range(PER_FEED)])
        server.routes[f"/f{n}"] = Response(body=body, delay=0.4)
    write_feeds(home, [{"id": f"f{n}", "type": "rss", "url": server.url(f"/f{n}")} for n in range(FEEDS)])


def start_and_watch(home: HomeDir) -> tuple[subprocess.Popen[str], set[tuple[int, str]]]:
    """Start `monitor poll`; return once the first feeds are stored, with every process it started so far."""
    proc = home.process("poll", "--json")
    family: set[tuple[int, str]] = set()

    def stored() -> bool:
        family.update(descendants(proc.pid))
        assert proc.poll() is None, "the poll ended before it was stopped"
        return counts(home)[0] > 0

    wait_until(stored, 30, "no feed stored")
    family.update(descendants(proc.pid))
    if MULTI_CORE:  # the forkserver, the resource tracker and at least one parse worker
        assert len(family) >= 3, family
    return proc, family


# ---------------------------------------------------------------- tests


def test_sigkill_mid_cycle_then_poll_again(home: HomeDir, server: Server) -> None:
    slow_feeds(home, server)
    proc, family = start_and_watch(home)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    none_left(family)  # the forkserver and its workers die with the monitor process
    stored, distinct, unfinished = counts(home)
    assert proc.returncode == -signal.SIGKILL
    assert 0 < stored < FEEDS * PER_FEED, "the kill must land mid-cycle"
    assert stored % PER_FEED == 0  # a feed's items are all stored or none
    assert unfinished == 1
    assert runs(home) == [(1, "running", None, False, proc.pid)]

    r = home.cli("poll", "--json")
    assert r.exit_code == 0, r.stderr
    report = json.loads(r.stdout)
    assert report["new_items"] == FEEDS * PER_FEED - stored
    assert counts(home) == (FEEDS * PER_FEED, FEEDS * PER_FEED, 0)
    host = query(home, "SELECT host FROM poll_runs WHERE id = 1")[0][0]
    assert runs(home) == [
        (1, "abandoned", f"process {proc.pid} on {host} ended without finishing it", True, proc.pid),
        (2, "completed", None, True, os.getpid()),
    ]
    again = json.loads(home.cli("poll", "--json").stdout)
    assert again["new_items"] == 0 and {f["outcome"] for f in again["feeds"]} == {"unchanged"}
    assert [r[1] for r in runs(home)] == ["abandoned", "completed", "completed"]


def test_sigterm_mid_cycle_stops_cleanly(home: HomeDir, server: Server) -> None:
    slow_feeds(home, server)
    proc, family = start_and_watch(home)
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=30)  # no process left holding its pipes open
    none_left(family)
    assert proc.returncode == 143
    assert out == ""
    assert err.splitlines()[-1] == "error: interrupted (SIGTERM)", err
    stored, distinct, unfinished = counts(home)
    assert 0 < stored < FEEDS * PER_FEED and stored == distinct
    assert stored % PER_FEED == 0  # the feeds that finished are kept, whole
    assert unfinished == 0
    [(run_id, state, error, finished, pid)] = runs(home)
    assert (state, error, finished, pid) == ("interrupted", "interrupted (SIGTERM)", True, proc.pid)
    outcomes, new_items = query(home, "SELECT outcomes, new_items FROM poll_runs")[0]
    landed = json.loads(outcomes) if isinstance(outcomes, str) else outcomes
    assert {o["outcome"] for o in landed} <= {"new"} and new_items == sum(o["new"] for o in landed)
    assert new_items <= stored  # a feed whose store was under way when the signal came is kept, unreported

    report = json.loads(home.cli("poll", "--json").stdout)
    assert report["new_items"] == FEEDS * PER_FEED - stored
    assert counts(home) == (FEEDS * PER_FEED, FEEDS * PER_FEED, 0)
    assert [r[1] for r in runs(home)] == ["interrupted", "completed"]


def refuse_items(home: HomeDir, refuse: bool) -> None:
    """A database that refuses new items (a full disk, a revoked grant): a trigger raising an error."""
    pg = "MONITOR_DATABASE_URL" in home.env
    url = home.env.get("MONITOR_DATABASE_URL") or f"sqlite:///{home.path}/db/monitor.sqlite3"
    engine = create_engine(url)
    with engine.begin() as c:
        if not refuse:
            c.execute(text("DROP TRIGGER refuse_items ON items" if pg else "DROP TRIGGER refuse_items"))
        elif pg:
            c.execute(
                text(
                    "CREATE FUNCTION refuse_items() RETURNS trigger LANGUAGE plpgsql AS "
                    "$$ BEGIN RAISE EXCEPTION 'no space left on device'; END $$"
                )
            )
            c.execute(
                text("CREATE TRIGGER refuse_items BEFORE INSERT ON items FOR EACH ROW EXECUTE FUNCTION refuse_items()")
            )
        else:
            c.execute(
                text(
                    "CREATE TRIGGER refuse_items BEFORE INSERT ON items "
                    "BEGIN SELECT RAISE(ABORT, 'no space left on device'); END"
                )
            )
    engine.dispose()


def test_a_poll_that_fails_marks_its_run_failed(home: HomeDir, server: Server) -> None:
    server.routes["/a"] = Response(body=rss(("First story", "text")))
    write_feeds(home, [{"id": "a", "type": "rss", "url": server.url("/a")}])
    refuse_items(home, True)
    r = home.cli("poll", "--json")
    assert r.exit_code == 1
    assert r.stdout == ""
    assert r.stderr.startswith("error: database ") and r.stderr.endswith(": no space left on device\n"), r.stderr
    [(_id, state, error, finished, _pid)] = runs(home)
    assert (state, finished) == ("failed", True)
    assert error == r.stderr.removeprefix("error: ").rstrip("\n")

    refuse_items(home, False)
    report = json.loads(home.cli("poll", "--json").stdout)
    assert report["new_items"] == 1
    assert [r[1] for r in runs(home)] == ["failed", "completed"]


def test_a_bug_stops_the_cycle_and_marks_the_run_failed(
    home: HomeDir, server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Not a broken source: our own code raising. It is not turned into an outcome; the run says what it was."""
    import monitor.poll

    def broken(*_args: Any) -> None:
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr(monitor.poll, "parse", broken)
    server.routes["/a"] = Response(body=rss(("First story", "text")))
    write_feeds(home, [{"id": "a", "type": "rss", "url": server.url("/a")}])
    with pytest.raises(ZeroDivisionError):
        home.cli("poll", "--json")
    assert [(s, e, f) for _i, s, e, f, _p in runs(home)] == [("failed", "ZeroDivisionError: division by zero", True)]
