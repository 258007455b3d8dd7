"""Several processes on one home at the same moment: changing statuses, polling, migrating and syncing a new
database. All succeed; nothing is lost or stored twice."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from monitor.storage import migrate
from tests.conftest import TODAY, HomeDir, write_feeds
from tests.httpserver import Response, Server, rss

WORKER = textwrap.dedent(
    """
    import sys
    from monitor.app import open_app
    from monitor.clock import clock_from_env
    from monitor.tracking import set_status
    home, own, shared, rounds = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    sys.stdin.readline()  # start together
    changed = 0
    for i in range(rounds):
        app = open_app(home, clock_from_env())
        try:
            for mid in (own, shared):
                status = ("in_progress", "stalled")[i % 2]
                changed += set_status(app, mid, status, by="worker").changed
        finally:
            app.close()
    print(changed)
    """
)


def test_two_processes_change_statuses_at_once(home: HomeDir) -> None:
    env = {**os.environ, **home.env, "MONITOR_NOW": TODAY}
    rounds = 40
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, str(home.path), own, "kr-final-text", str(rounds)],
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for own in ("jp-stockpiling", "jp-price-floor")
    ]
    for w in workers:
        assert w.stdin is not None
        w.stdin.write("go\n")
        w.stdin.flush()
    results = [w.communicate(timeout=120) for w in workers]
    for w, (_out, err) in zip(workers, results, strict=True):
        assert w.returncode == 0, err
        assert "locked" not in err
    changed = sum(int(out.strip()) for out, _ in results)
    history = home.json("history")
    assert len(history) == changed
    assert len([h for h in history if h["milestone"] == "jp-stockpiling"]) == rounds
    assert len([h for h in history if h["milestone"] == "jp-price-floor"]) == rounds
    # `history` is newest first (ties on the pinned clock broken by insertion order). The shared milestone's
    # history is a consistent chain: each change starts where the previous one ended.
    shared = [(h["from"], h["to"]) for h in reversed(history) if h["milestone"] == "kr-final-text"]
    assert shared[0][0] == "pending"
    for before, after in zip(shared, shared[1:], strict=False):
        assert after[0] == before[1]


def test_two_cli_processes_at_once(home: HomeDir) -> None:
    procs = [
        home.process("status", "vn-annex3-zero-tariff", "in_progress"),
        home.process("complete", "kh-entry-into-force", "--on", "2026-01-15"),
    ]
    for p in procs:
        out, err = p.communicate(timeout=60)
        assert p.returncode == 0, err
    assert {h["milestone"] for h in home.json("history")} == {"vn-annex3-zero-tariff", "kh-entry-into-force"}


# ---------------------------------------------------------------- several processes writing at once


STARTER = textwrap.dedent(
    """
    import sys
    from monitor.cli import main
    import monitor.app, monitor.poll, monitor.review, monitor.tracking  # the CLI imports these lazily
    sys.argv = ["monitor", *sys.argv[1:]]
    print("ready", file=sys.stderr, flush=True)
    sys.stdin.readline()  # start together
    main()
    """
)


def start_together(home: HomeDir, *commands: tuple[str, ...], **env: str) -> list[subprocess.Popen[str]]:
    """Run the CLI's entry point (what the `monitor` script runs) in one process per command, each released
    once all have imported everything, so that their first queries meet."""
    environ = {**os.environ, **home.env, "MONITOR_NOW": TODAY, "MONITOR_USER": "tester", **env}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", STARTER, "--home", str(home.path), *c],
            env=environ,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for c in commands
    ]
    for p in procs:  # every process has imported everything ...
        assert p.stderr is not None
        assert p.stderr.readline() == "ready\n"
    for p in procs:  # ... before any is released
        assert p.stdin is not None
        p.stdin.write("go\n")
        p.stdin.flush()
    return procs


def finish(procs: list[subprocess.Popen[str]]) -> list[tuple[int, str, str]]:
    """(exit status, stdout, stderr) of each."""
    results = []
    for p in procs:
        out, err = p.communicate(timeout=180)
        results.append((p.returncode, out, err))
    return results


def run_together(home: HomeDir, *commands: tuple[str, ...]) -> list[tuple[int, str, str]]:
    return finish(start_together(home, *commands))


def reset_database(home: HomeDir) -> None:
    """Back to a database nobody has used: no file (SQLite), an empty schema (PostgreSQL)."""
    url = home.env.get("MONITOR_DATABASE_URL")
    if url is None:
        for suffix in ("", "-wal", "-shm"):
            (home.path / "db" / f"monitor.sqlite3{suffix}").unlink(missing_ok=True)
        return
    engine = create_engine(url)
    with engine.begin() as c:
        schema = c.execute(text("SELECT current_schema()")).scalar_one()
        c.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        c.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine.dispose()


def scalar(home: HomeDir, sql: str) -> Any:
    url = home.env.get("MONITOR_DATABASE_URL") or f"sqlite:///{home.path}/db/monitor.sqlite3"
    engine = create_engine(url)
    with engine.connect() as c:
        value = c.execute(text(sql)).scalar_one()
    engine.dispose()
    return value


def test_first_runs_at_once(home: HomeDir, server: Server) -> None:
    """Four `db upgrade`s on a new database, then four ordinary commands meeting a config they have not synced
    yet: each migrates or syncs, or finds it done; none fails on a row another one added."""
    reset_database(home)
    results = run_together(home, *[("db", "upgrade")] * 4)
    assert [code for code, _, _ in results] == [0] * 4, [err for _, _, err in results]
    assert sorted(out.split(" upgraded ")[-1].strip() for code, out, _ in results if " upgraded " in out) == [
        f"from empty to {migrate.head()}"
    ]
    agreements = scalar(home, "SELECT count(*) FROM agreements")
    milestones = scalar(home, "SELECT count(*) FROM milestones")
    assert agreements > 0 and milestones > 0

    feeds = [{"id": f"new-{n}", "type": "rss", "url": server.url(f"/{n}")} for n in range(20)]
    write_feeds(home, feeds)
    if "MONITOR_DATABASE_URL" not in home.env:
        reset_database(home)  # a SQLite home migrates itself on first use: four at once, too
    results = run_together(home, *[("feeds", "--json")] * 4)
    assert [code for code, _, _ in results] == [0] * 4, [err for _, _, err in results]
    for _, out, _ in results:
        assert sorted(f["id"] for f in json.loads(out)) == sorted(f["id"] for f in feeds)
    assert scalar(home, "SELECT count(*) FROM feeds WHERE retired_at IS NULL") == len(feeds)
    assert scalar(home, "SELECT count(*) FROM agreements") == agreements
    assert scalar(home, "SELECT count(*) FROM milestones") == milestones


@pytest.mark.parametrize("held", ["items", "matches"])
def test_two_polls_at_once_store_each_item_once(home: HomeDir, server: Server, held: str) -> None:
    """Two `monitor poll`s on the same feed at the same moment: both complete; every item is stored once and
    counted new by exactly one of them; every piece of evidence is recorded once.

    On PostgreSQL the race is made certain: the test holds a lock on `held` that lets both read but neither
    write, and lets go once both processes wait on a lock, so both have done whatever they do before writing."""
    url = home.env.get("MONITOR_DATABASE_URL")
    if url is None and held == "matches":
        pytest.skip("SQLite: writers are serialised by BEGIN IMMEDIATE; one case shows both polls complete")
    per_feed = 30
    titles = [
        (f"US and Japan hold critical minerals ministerial, round {k}", "Ministers met in Tokyo.")
        for k in range(per_feed)
    ]
    server.routes["/f"] = Response(body=rss(*titles))
    write_feeds(home, [{"id": "f", "type": "rss", "url": server.url("/f")}])
    home.cli("feeds")  # config synced before the race: this test is about polling

    if url is None:
        results = run_together(home, ("poll", "--json"), ("poll", "--json"))
    else:
        name = f"race-{uuid.uuid4().hex[:12]}"
        engine = create_engine(url)
        waiting = text("SELECT count(*) FROM pg_stat_activity WHERE application_name = :n AND wait_event_type = 'Lock'")
        with engine.connect() as holder, engine.connect() as watcher:
            lock = holder.begin()
            holder.execute(text(f"LOCK TABLE {held} IN SHARE MODE"))
            named = f"{url}{'&' if '?' in url else '?'}application_name={name}"
            procs = start_together(home, ("poll", "--json"), ("poll", "--json"), MONITOR_DATABASE_URL=named)
            deadline = time.monotonic() + 120
            while True:
                with watcher.begin():  # pg_stat_activity is a snapshot per transaction
                    if watcher.execute(waiting, {"n": name}).scalar_one() >= 2:
                        break
                assert time.monotonic() < deadline, "the two polls never both waited"
                assert all(p.poll() is None for p in procs), finish(procs)
                time.sleep(0.05)
            lock.commit()
        engine.dispose()
        results = finish(procs)
    assert [code for code, _, _ in results] == [0, 0], [err for _, _, err in results]
    reports = [json.loads(out) for _, out, _ in results]
    assert sorted(r["new_items"] for r in reports) == [0, per_feed]
    assert scalar(home, "SELECT count(*) FROM items") == per_feed
    assert scalar(home, "SELECT count(DISTINCT key) FROM items") == per_feed
    matches = scalar(home, "SELECT count(*) FROM matches")
    assert matches > 0
    assert sum(r["new_matches"] for r in reports) == matches
    assert scalar(home, "SELECT count(*) FROM poll_runs WHERE state = 'completed'") == 2


OPENER = textwrap.dedent(
    """
    import sys
    from monitor.errors import StorageError
    from monitor.storage.engine import open_database, prepare_database
    for line in sys.stdin:  # one new file per line, opened by every process at the same moment
        db = open_database(f"sqlite:///{line.strip()}")
        try:
            prepare_database(db)
            with db.engine.connect() as c:
                print(c.exec_driver_sql("PRAGMA journal_mode").scalar_one(), flush=True)
        except StorageError as e:
            print(e, flush=True)
        finally:
            db.dispose()
    """
)


def test_processes_opening_a_new_sqlite_file_at_once_all_get_it_in_wal_mode(tmp_path: Path) -> None:
    """The switch to WAL needs the file to itself: where two processes holding a read lock ask for it at once,
    SQLite answers one of them "database is locked" without waiting, so four `monitor` commands meeting a new home
    failed about one time in five; the one refused looks again. Thirty new files, four processes each."""
    procs = [
        subprocess.Popen([sys.executable, "-c", OPENER], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        for _ in range(4)
    ]
    answers = []
    try:
        for n in range(30):
            for p in procs:
                assert p.stdin is not None
                p.stdin.write(f"{tmp_path / f'{n}.sqlite3'}\n")
            for p in procs:
                assert p.stdin is not None
                p.stdin.flush()
            answers += [p.stdout.readline().strip() for p in procs if p.stdout is not None]
    finally:
        for p in procs:
            if p.stdin is not None:
                p.stdin.close()
            p.wait(timeout=60)
    assert answers == ["wal"] * 120, [a for a in answers if a != "wal"][:3]
