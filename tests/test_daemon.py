"""The daemon in-process (signals go to the main thread, so the tests run it there): the catch-up poll, one line
per job run, a job that raises, SIGTERM between and during jobs, SIGHUP with a bad and a good config, the poll
timeout, one daemon per database, and `run --status`. Scripted by the events it reports, never by sleeping."""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import socket
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from monitor.app import App, open_app
from monitor.cli.daemon import describe
from monitor.clock import FixedClock
from monitor.daemon.events import Event, JobEnded, Notice, Reloaded, Started, Stopped
from monitor.daemon.jobs import JobResult, digest_result
from monitor.daemon.run import Daemon, DaemonBusy
from monitor.daemon.status import daemon_status
from monitor.schedule import next_run
from monitor.storage import jobs as job_store
from monitor.storage import locks
from tests.conftest import TODAY, HomeDir, write_feeds
from tests.httpserver import Response, Server, rss
from tests.test_poll_kill import query, wait_until

NOW = FixedClock(__import__("datetime").datetime.fromisoformat(TODAY))


def open_home(home: HomeDir) -> App:
    return open_app(home.path, NOW)


def quick(summary: str = "ok") -> Callable[[App], JobResult]:
    return lambda _app: JobResult(summary)


def run_daemon(app: App, script: Callable[[Daemon, Event], None], jobs: dict[str, Any] | None = None) -> list[Event]:
    """Run a daemon in this (the main) thread until `script`, called with every event, stops it."""
    events: list[Event] = []
    daemon: Daemon

    def on_event(e: Event) -> None:
        events.append(e)
        script(daemon, e)

    daemon = Daemon(app, on_event, jobs=jobs)
    try:
        daemon.run()
    finally:
        app.close()
    return events


def ended(events: list[Event]) -> list[tuple[str, str]]:
    return [(e.job, e.state) for e in events if isinstance(e, JobEnded)]


def sigterm(_d: Daemon, e: Event) -> None:
    if isinstance(e, JobEnded):
        os.kill(os.getpid(), signal.SIGTERM)


def two_feeds(home: HomeDir, server: Server) -> None:
    for n in range(2):
        server.routes[f"/f{n}"] = Response(body=rss((f"Feed {n} story", "text")))
    write_feeds(home, [{"id": f"f{n}", "type": "rss", "url": server.url(f"/f{n}")} for n in range(2)])


# ---------------------------------------------------------------- start, poll, stop


def test_polls_at_start_then_stops_on_sigterm(home: HomeDir, server: Server) -> None:
    two_feeds(home, server)
    events = run_daemon(open_home(home), sigterm)

    started = events[0]
    assert isinstance(started, Started)
    assert started.catch_up.due and started.catch_up.why == "no poll has completed yet"
    assert [p.job for p in started.jobs] == ["poll", "weekly_digest", "daily_digest"]
    assert ended(events) == [("poll", "completed")]
    assert isinstance(events[-1], Stopped) and events[-1].why == "SIGTERM"

    line = describe(next(e for e in events if isinstance(e, JobEnded)))
    assert line[0].startswith("poll completed in ") and line[0].endswith(": 2 feeds, 2 new items, 0 updated, 0 new matches")
    app = open_home(home)
    try:
        assert [(r.job, r.state, r.totals["new_items"]) for r in job_store.job_runs(app.db)] == [("poll", "completed", 2)]
        daemon = job_store.last_daemon(app.db)
        assert daemon is not None and (daemon.state, daemon.pid) == ("stopped", os.getpid())
        assert not locks.taken(app.db)
    finally:
        app.close()
    assert query(home, "SELECT state FROM poll_runs") == [("completed",)]


def test_no_poll_at_start_when_the_last_one_is_recent(home: HomeDir) -> None:
    assert home.cli("poll").exit_code == 0  # at TODAY, 12:00 UTC: after today's 06:00 run
    events = run_daemon(open_home(home), lambda d, e: d.stop() if isinstance(e, Started) else None)
    started = events[0]
    assert isinstance(started, Started) and not started.catch_up.due
    assert ended(events) == []


def test_a_job_that_raises_is_logged_and_the_daemon_goes_on(home: HomeDir) -> None:
    def boom(_app: App) -> JobResult:
        raise RuntimeError("the feed store caught fire")

    def script(d: Daemon, e: Event) -> None:
        if isinstance(e, JobEnded) and e.job == "poll":
            d.run_soon("daily_digest")
        elif isinstance(e, JobEnded):
            d.stop()

    events = run_daemon(open_home(home), script, {"poll": boom, "daily_digest": quick("3 sent")})
    assert ended(events) == [("poll", "failed"), ("daily_digest", "completed")]
    failed = next(e for e in events if isinstance(e, JobEnded))
    lines = describe(failed)
    assert lines[0].endswith("; RuntimeError: the feed store caught fire")
    assert lines[1] == "    Traceback (most recent call last):"
    assert any("raise RuntimeError" in line for line in lines)
    assert all(line.startswith("    ") for line in lines[1:])


def test_sigterm_interrupts_a_running_job_and_exits(home: HomeDir) -> None:
    def hangs(_app: App) -> JobResult:
        os.kill(os.getpid(), signal.SIGTERM)
        threading.Event().wait(60)  # the signal interrupts the wait
        raise AssertionError("not interrupted")

    events = run_daemon(open_home(home), lambda d, e: None, {"poll": hangs})
    assert ended(events) == [("poll", "interrupted")]
    assert next(e for e in events if isinstance(e, JobEnded)).error == "interrupted (SIGTERM)"
    assert isinstance(events[-1], Stopped)
    app = open_home(home)
    try:
        assert [(r.job, r.state, r.finished_at is not None) for r in job_store.job_runs(app.db)] == [
            ("poll", "interrupted", True)
        ]
    finally:
        app.close()


# ---------------------------------------------------------------- SIGHUP


def test_sighup_refuses_a_bad_config_and_applies_a_good_one(home: HomeDir) -> None:
    settings_file = home.path / "config" / "monitor.yaml"
    good = yaml.safe_load(settings_file.read_text())
    heard: list[Reloaded] = []

    def write(poll: str) -> None:
        settings_file.write_text(yaml.safe_dump({**good, "schedule": {**good["schedule"], "poll": poll}}))

    def script(d: Daemon, e: Event) -> None:
        if isinstance(e, JobEnded):
            write("0 25 * * *")
            os.kill(os.getpid(), signal.SIGHUP)
        elif isinstance(e, Reloaded):
            heard.append(e)
            if not e.ok:
                write("15 7 * * *")
                os.kill(os.getpid(), signal.SIGHUP)
            else:
                assert d.app.settings.schedule.poll == "15 7 * * *"
                assert d.next_runs()["poll"] == next_run("15 7 * * *", "UTC", d.wall.now())
                d.stop()

    run_daemon(open_home(home), script, {"poll": quick()})
    assert [r.ok for r in heard] == [False, True]
    assert heard[0].message.startswith(
        "config reload refused: config/monitor.yaml: schedule.poll: not a crontab expression '0 25 * * *'"
    )
    assert heard[0].message.endswith("; keeping the previous config")
    assert heard[1].message.startswith("config reloaded: poll '15 7 * * *' in UTC, next ")


# ---------------------------------------------------------------- the poll timeout


def children_of(pid: int) -> set[int]:
    found = set()
    for name in os.listdir("/proc"):
        try:
            with open(f"/proc/{name}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if fields[0] not in ("Z", "X") and int(fields[1]) == pid:
            found.add(int(name))
    return found


def test_a_poll_past_its_timeout_is_cancelled_and_keeps_its_finished_feeds(home: HomeDir, server: Server) -> None:
    feeds = 8  # two answer at once, the others hang: fetched two at a time (http.per_host), f0 and f1 first
    for n in range(feeds):
        server.routes[f"/f{n}"] = Response(body=rss((f"Feed {n} story", "text")), delay=0 if n < 2 else 30)
    write_feeds(home, [{"id": f"f{n}", "type": "rss", "url": server.url(f"/f{n}")} for n in range(feeds)])
    app = open_home(home)
    s = app.settings
    limit = 20.0
    short = s.model_copy(update={"schedule": s.schedule.model_copy(update={"poll_timeout": limit})})
    app.config = dataclasses.replace(app.config, settings=short)
    armed: list[float] = []

    def run_out_the_clock() -> None:
        """Once the two quick feeds are stored, the daemon's own alarm (armed for poll_timeout) is brought forward:
        the poll is cut while the others hang, however slowly this machine reached that point."""
        wait_until(lambda: query(home, "SELECT count(*) FROM items") == [(2,)], limit, "the two quick feeds stored")
        armed.append(signal.getitimer(signal.ITIMER_REAL)[0])
        signal.setitimer(signal.ITIMER_REAL, 0.05)

    watcher = threading.Thread(target=run_out_the_clock, daemon=True)
    watcher.start()
    events = run_daemon(app, sigterm)
    watcher.join(5)
    assert 0 < armed[0] <= limit  # the poll ran under the alarm poll_timeout set
    assert ended(events) == [("poll", "timed_out")]
    assert next(e for e in events if isinstance(e, JobEnded)).error == "ran past schedule.poll_timeout (20 s)"
    [(state, error, finished)] = query(home, "SELECT state, error, finished_at IS NOT NULL FROM poll_runs")
    assert (state, error, bool(finished)) == ("interrupted", "interrupted (ran past schedule.poll_timeout (20 s))", True)
    [(stored,)] = query(home, "SELECT count(*) FROM items")
    assert stored == 2  # the feeds that finished are kept
    # No parse worker is left: the forkserver (our child) may stay for the next poll, its children may not.
    wait_until(lambda: not any(children_of(c) for c in children_of(os.getpid())), 5, "parse workers left")


# ---------------------------------------------------------------- one daemon per database


def test_a_second_daemon_is_refused_naming_the_first(home: HomeDir) -> None:
    said: list[str] = []

    def script(d: Daemon, e: Event) -> None:
        if not isinstance(e, Started):
            return
        other = open_home(home)
        try:
            with pytest.raises(DaemonBusy) as refused:
                Daemon(other, lambda _e: None).run()
            said.append(str(refused.value))
            status = daemon_status(other)
            assert status.running and status.daemon is not None and status.daemon.pid == os.getpid()
        finally:
            other.close()
        d.stop()

    run_daemon(open_home(home), script, {"poll": quick()})
    assert len(said) == 1
    assert f": pid {os.getpid()} on {socket.gethostname()} since 2026-11-22T12:00:00+00:00 (" in said[0]
    assert said[0].startswith("another monitor daemon holds the database ")
    app = open_home(home)
    try:
        assert [d.state for d in [job_store.last_daemon(app.db)] if d] == ["stopped"]
        assert not locks.taken(app.db)
    finally:
        app.close()


def test_a_daemon_that_was_killed_is_found_abandoned(home: HomeDir) -> None:
    app = open_home(home)
    try:
        dead, _ = job_store.start_daemon(app.db, 4_000_000, "elsewhere", NOW.now())
        job_store.start_job(app.db, dead, "poll", None, NOW.now())
        status = daemon_status(app)
        assert not status.running and status.daemon is not None and status.daemon.state == "running"
    finally:
        app.close()
    r = home.cli("run", "--status")
    assert r.exit_code == 0, r.stderr
    assert "daemon: not running; the last one, pid 4000000 on elsewhere, ended without stopping" in r.stdout

    events = run_daemon(open_home(home), lambda d, e: d.stop() if isinstance(e, Started) else None, {"poll": quick()})
    started = events[0]
    assert isinstance(started, Started) and [d.pid for d in started.abandoned] == [4_000_000]
    assert query(home, "SELECT state FROM job_runs ORDER BY id")[0] == ("abandoned",)


# ---------------------------------------------------------------- run --status


def test_status_without_a_daemon(home: HomeDir) -> None:
    r = home.cli("run", "--status", "--json")
    assert r.exit_code == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["running"] is False and doc["daemon"] is None and doc["last_completed_poll"] is None
    assert [(j["job"], j["schedule"], j["last"], j["next_run"]) for j in doc["jobs"]] == [
        ("poll", "0 6 * * *", None, "2026-11-23T06:00:00+00:00"),
        ("weekly_digest", "0 8 * * mon", None, "2026-11-23T08:00:00+00:00"),
        ("daily_digest", "30 6 * * *", None, "2026-11-23T06:30:00+00:00"),
    ]
    human = home.cli("run", "--status")
    assert "daemon: not running; none has run on this database" in human.stdout
    assert "2026-11-23 06:00 UTC (once a daemon runs)" in human.stdout


def test_status_after_runs_and_the_report_row(home: HomeDir) -> None:
    settings_file = home.path / "config" / "monitor.yaml"
    data = yaml.safe_load(settings_file.read_text())
    settings_file.write_text(yaml.safe_dump({**data, "timezone": "Europe/London", "report": {"out": "site"}}))
    written: list[Path] = []

    def report(app: App) -> JobResult:
        out = app.report_dir()
        assert out is not None
        written.append(out)
        return JobResult(f"written to {out}")

    events = run_daemon(open_home(home), lambda d, e: d.stop() if isinstance(e, JobEnded) and e.job == "report"
                        else None, {"poll": quick("0 feeds"), "report": report})
    assert ended(events) == [("poll", "completed"), ("report", "completed")]
    assert written == [home.path / "site"]  # relative to the home
    doc = json.loads(home.cli("run", "--status", "--json").stdout)
    assert doc["timezone"] == "Europe/London"
    assert [(j["job"], j["last"]["state"], j["last"]["summary"]) for j in doc["jobs"] if j["last"]] == [
        ("poll", "completed", "0 feeds"),
        ("report", "completed", f"written to {home.path / 'site'}"),
    ]
    assert doc["jobs"][-1]["schedule"] == "after each poll" and doc["jobs"][-1]["next_run"] is None


def test_json_goes_with_status(home: HomeDir) -> None:
    r = home.cli("run", "--json")
    assert r.exit_code == 2
    assert r.stderr == "error: --json goes with --status (the daemon itself logs lines to stderr)\n"


# ---------------------------------------------------------------- the digest job, against its contract


def test_the_digest_jobs_call_send_digests(home: HomeDir, monkeypatch: pytest.MonkeyPatch) -> None:
    """monitor.digest.send_digests(app, frequency) -> DigestRunReport, imported when the job runs."""
    import datetime as dt

    import monitor.digest
    from monitor.digest import DeliveryResult, DigestRunReport

    calls: list[str] = []
    when = dt.datetime(2026, 11, 22, 8, tzinfo=dt.UTC)

    def send_digests(app: App, frequency: str) -> DigestRunReport:
        calls.append(frequency)
        results = (
            DeliveryResult("a@example.org", "sent"),
            DeliveryResult("c@example.org", "sent"),
            DeliveryResult("d@example.org", "skipped", "not due"),
            DeliveryResult("b@example.org", "failed", "SMTP 550 no such user"),
        )
        return DigestRunReport(frequency, when, when, results)

    monkeypatch.setattr(monitor.digest, "send_digests", send_digests)

    def script(d: Daemon, e: Event) -> None:
        if isinstance(e, JobEnded) and e.job == "poll":
            d.run_soon("weekly_digest")
        elif isinstance(e, JobEnded) and e.job == "weekly_digest":
            d.run_soon("daily_digest")
        elif isinstance(e, JobEnded):
            d.stop()

    from monitor.daemon.jobs import default_jobs

    events = run_daemon(open_home(home), script, {**default_jobs(), "poll": quick()})
    assert calls == ["weekly", "daily"]
    assert ended(events) == [("poll", "completed"), ("weekly_digest", "completed"), ("daily_digest", "completed")]
    line = describe([e for e in events if isinstance(e, JobEnded)][1])[0]
    assert line.endswith(
        ": 2 digests sent, 0 empty, 1 not due, 1 failed; 1 failure: b@example.org: SMTP 550 no such user"
    ), line
    empty = digest_result(DigestRunReport("weekly", when, when, ()))
    assert (empty.summary, empty.failures) == ("0 digests sent, 0 empty, 0 not due, 0 failed", 0)


def lose_the_lock(app: App) -> None:
    """What takes a daemon's lock from under it: its lock file deleted (SQLite), its session ended (PostgreSQL:
    the server restarted, or an administrator terminated it)."""
    if app.db.is_sqlite:
        locks.lock_path(app.db).unlink()
        return
    from sqlalchemy import text

    with app.db.engine.connect() as c:
        key = locks._key(c)  # this test's schema only: the server is shared with other test runs
        ended = c.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND granted"
                " AND objsubid = 1 AND classid = :hi AND objid = :lo"
                " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
            ),
            {"hi": key >> 32, "lo": key & 0xFFFFFFFF},
        ).all()
        assert ended == [(True,)]


def test_a_lost_lock_is_noticed_before_the_next_job_and_taken_again(home: HomeDir) -> None:
    notices: list[str] = []

    def script(d: Daemon, e: Event) -> None:
        if isinstance(e, Started):
            lose_the_lock(d.app)  # before the catch-up poll runs
        elif isinstance(e, JobEnded):
            d.stop()
        elif isinstance(e, Notice):
            notices.append(e.message)

    events = run_daemon(open_home(home), script, {"poll": quick()})
    assert notices == ["the daemon lock was lost and has been taken again"]
    assert ended(events) == [("poll", "completed")]
    app = open_home(home)
    try:
        assert not locks.taken(app.db)
    finally:
        app.close()


def test_a_lock_another_daemon_took_stops_this_one_with_an_error(home: HomeDir) -> None:
    if home.env:
        pytest.skip("a lock file is SQLite's; a PostgreSQL session lock cannot be taken from under its holder")
    taken: list[locks.DaemonLock] = []

    def script(d: Daemon, e: Event) -> None:
        if isinstance(e, Started):
            locks.lock_path(d.app.db).unlink()
            other = locks.acquire(d.app.db)  # "another daemon" locks the new file
            assert other is not None
            taken.append(other)

    with pytest.raises(DaemonBusy, match="the daemon lock was lost and another daemon took it"):
        run_daemon(open_home(home), script, {"poll": quick()})
    taken[0].release()
    assert query(home, "SELECT state FROM daemon_runs") == [("failed",)]
    assert query(home, "SELECT count(*) FROM job_runs") == [(0,)]
