"""`monitor run` as a real process against a local feed server: it polls at start, a second instance exits 1
naming the first, SIGTERM ends it with status 0 within 5 seconds (between jobs, and in the middle of a poll), and
nothing is left half-written: every poll run and job run ended, the daemon run stopped, no process left."""

from __future__ import annotations

import signal
import subprocess
import time

from tests.conftest import HomeDir, write_feeds
from tests.httpserver import Response, Server, rss
from tests.test_poll_kill import MULTI_CORE, alive, descendants, none_left, query, wait_until

STOP_WITHIN = 5.0


def finished_everything(home: HomeDir) -> None:
    assert query(home, "SELECT count(*) FROM poll_runs WHERE finished_at IS NULL OR state = 'running'") == [(0,)]
    assert query(home, "SELECT count(*) FROM job_runs WHERE finished_at IS NULL OR state = 'running'") == [(0,)]
    assert query(home, "SELECT state, stopped_at IS NOT NULL FROM daemon_runs") in ([("stopped", 1)], [("stopped", True)])


def stop(proc: subprocess.Popen[str]) -> tuple[float, str]:
    """SIGTERM; (seconds until it exited, its stderr)."""
    t0 = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=30)
    return time.monotonic() - t0, err


def test_the_daemon_polls_at_start_refuses_a_second_and_stops_on_sigterm(home: HomeDir, server: Server) -> None:
    for n in range(4):
        server.routes[f"/f{n}"] = Response(body=rss((f"Feed {n} story", "text")))
    write_feeds(home, [{"id": f"f{n}", "type": "rss", "url": server.url(f"/f{n}")} for n in range(4)])
    proc = home.process("run")
    try:
        wait_until(
            lambda: proc.poll() is None and query(home, "SELECT state FROM job_runs") == [("completed",)],
            60,
            "no poll completed at start",
        )
        family = descendants(proc.pid)

        second = home.process("run")
        out, err = second.communicate(timeout=60)
        assert second.returncode == 1, err
        assert err.startswith("error: another monitor daemon holds the database ")
        assert f": pid {proc.pid} on " in err and " since " in err
        assert out == ""
    finally:
        seconds, log = stop(proc)
    assert proc.returncode == 0, log
    assert seconds < STOP_WITHIN
    lines = log.splitlines()
    assert "monitor run: started, pid" in lines[0]
    assert lines[1].endswith("monitor run: polling now: no poll has completed yet")
    assert any(" poll completed in " in line and ": 4 feeds, 4 new items, 0 updated" in line for line in lines)
    assert lines[-1].endswith("monitor run: stopped (SIGTERM)")
    assert query(home, "SELECT count(*) FROM items") == [(4,)]
    finished_everything(home)
    none_left(family)


def test_sigterm_in_the_middle_of_a_poll(home: HomeDir, server: Server) -> None:
    feeds, per_feed = 12, 3
    for n in range(feeds):
        server.routes[f"/f{n}"] = Response(body=rss(*[(f"Feed {n} story {k}", "text") for k in range(per_feed)]), delay=0.4)
    write_feeds(home, [{"id": f"f{n}", "type": "rss", "url": server.url(f"/f{n}")} for n in range(feeds)])
    proc = home.process("run")
    family: set[tuple[int, str]] = set()

    def some_stored() -> bool:
        family.update(descendants(proc.pid))
        assert proc.poll() is None, "the daemon ended before it was stopped"
        return query(home, "SELECT count(*) FROM items")[0][0] > 0

    try:
        wait_until(some_stored, 60, "no feed stored")
        family.update(descendants(proc.pid))
        if MULTI_CORE:  # the forkserver, the resource tracker and parse workers
            assert len(alive(family)) >= 3, family
    finally:
        seconds, log = stop(proc)
    assert proc.returncode == 0, log
    assert seconds < STOP_WITHIN
    assert any(" poll interrupted in " in line and "interrupted (SIGTERM)" in line for line in log.splitlines()), log
    [(stored,)] = query(home, "SELECT count(*) FROM items")
    assert 0 < stored < feeds * per_feed and stored % per_feed == 0  # whole feeds only
    assert query(home, "SELECT state, error FROM poll_runs") == [("interrupted", "interrupted (SIGTERM)")]
    assert query(home, "SELECT state FROM job_runs") == [("interrupted",)]
    finished_everything(home)
    none_left(family)
