"""The early start of `monitor poll` (monitor.early): which requests may go out before the config models and the
database layer are loaded, and that the cycle only ever uses a response to exactly the request it would have sent."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import fields, replace
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from monitor.cli import app
from monitor.clock import SystemClock
from monitor.early import EarlyHttp, plan, start
from monitor.settings import Http
from monitor.sources.fetch import FeedState
from tests.conftest import REPO, HomeDir, write_feeds
from tests.httpserver import Response, Server, rss

ROW = ("https://example.org/a", '"e1"', None, "h1")


def feeds(*entries: dict[str, Any]) -> dict[str, Any]:
    return {"feeds": list(entries)}


A = {"id": "a", "type": "rss", "url": "https://example.org/a"}


def test_the_defaults_are_the_settings_defaults() -> None:
    assert {f.name: getattr(EarlyHttp(), f.name) for f in fields(EarlyHttp)} == {
        f.name: getattr(Http(), f.name) for f in fields(EarlyHttp)
    }
    assert EarlyHttp().same_as(Http()) and EarlyHttp().user_agent_header == Http().user_agent_header
    assert not EarlyHttp(concurrency=20).same_as(Http())


def test_what_starts_early() -> None:
    got = plan({}, feeds(A), {"a": ROW}, ())
    assert got is not None
    assert got[1] == [FeedState("a", "rss", "https://example.org/a", '"e1"', None, "h1", None, 3)]
    http = {"http": {"concurrency": 20, "per_host": 20}}
    assert plan(http, feeds(A), {"a": ROW}, ())[0] == EarlyHttp(concurrency=20, per_host=20)  # type: ignore[index]
    # nothing starts early when the settings or the database need the models to judge them
    assert plan({"database_url": "postgresql://db/x"}, feeds(A), {"a": ROW}, ()) is None
    assert plan({"http": {"concurrency": "20"}}, feeds(A), {"a": ROW}, ()) is None
    assert plan({"http": {"concurrency": 10_000}}, feeds(A), {"a": ROW}, ()) is None
    assert plan({"http": {"proxy": "x"}}, feeds(A), {"a": ROW}, ()) is None
    assert plan([], feeds(A), {"a": ROW}, ()) is None
    # a feed whose row does not hold the URL config names (never synced, or changed since) is left to the cycle
    assert plan({}, feeds({**A, "url": "https://example.org/b"}), {"a": ROW}, ()) is None
    assert plan({}, feeds(A), {}, ()) is None
    assert plan({}, feeds({**A, "enabled": False}), {"a": ROW}, ()) is None
    assert plan({}, feeds({**A, "enabled": False}), {"a": ROW}, ("a",)) is not None  # --feed asks for it anyway
    assert plan({}, feeds(A, {**A, "id": "b"}), {"a": ROW, "b": ROW}, ("b",))[1][0].id == "b"  # type: ignore[index]
    assert plan({}, feeds({**A, "type": "html"}), {"a": ROW}, ()) is None
    assert plan({}, feeds({**A, "max_pages": 0}), {"a": ROW}, ()) is None


def test_a_response_is_taken_only_for_the_very_request(home: HomeDir, server: Server) -> None:
    server.routes["/a"] = Response(body=rss(("Story", "text")), etag='"v1"')
    write_feeds(home, [{"id": "a", "type": "rss", "url": server.url("/a")}])
    assert home.cli("poll").exit_code == 0  # synced and fetched once: the row holds the URL and its ETag
    if home.env.get("MONITOR_DATABASE_URL"):
        assert start(home.path, (), SystemClock()) is None  # PostgreSQL: the cycle fetches everything itself
        return
    early = start(home.path, (), SystemClock())
    assert early is not None
    try:
        state = FeedState("a", "rss", server.url("/a"), '"v1"', None, early._pending["a"][0].body_hash)
        assert early.take(replace(state, etag='"v0"'), Http()) is None  # not what it sent: dropped
        assert early.take(state, Http()) is None  # each is taken once
    finally:
        early.close()
    early = start(home.path, (), SystemClock())
    assert early is not None
    try:
        state = early._pending["a"][0]
        assert early.take(state, Http(concurrency=3)) is None  # other settings: dropped
    finally:
        early.close()
    before = sys.getswitchinterval()
    early = start(home.path, (), SystemClock())
    assert early is not None
    try:
        future = early.take(early._pending["a"][0], Http())
        assert future is not None and future.result(timeout=10).outcome == "not_modified"
    finally:
        early.close()
    assert sys.getswitchinterval() == before and not early._thread.is_alive()


def test_a_poll_started_early_asks_each_feed_once(home: HomeDir, server: Server) -> None:
    for n in range(6):
        server.routes[f"/f{n}"] = Response(body=rss((f"Story {n}", "text")), etag=f'"v{n}"')
    write_feeds(home, [{"id": f"f{n}", "type": "rss", "url": server.url(f"/f{n}")} for n in range(6)])
    first = json.loads(home.cli("poll", "--json").stdout)
    assert [f["outcome"] for f in first["feeds"]] == ["new"] * 6
    server.routes["/f2"] = Response(body=rss(("Story 2", "text"), ("Story 2b", "more")), etag='"v2b"')
    before = len(server.requests)
    second = json.loads(home.cli("poll", "--json").stdout)
    assert [f["outcome"] for f in second["feeds"]] == ["not_modified"] * 2 + ["new"] + ["not_modified"] * 3
    assert second["new_items"] == 1
    assert sorted(p for p, _ in server.requests[before:]) == [f"/f{n}" for n in range(6)]  # once each
    assert all(h.get("if-none-match") for _, h in server.requests[before:])


def test_the_early_start_loads_no_models_or_database_layer() -> None:
    probe = "import sys, monitor.early; print(' '.join(sorted(m.partition('.')[0] for m in sys.modules)))"
    out = subprocess.run([sys.executable, "-c", probe], cwd=REPO, capture_output=True, text=True, check=True)
    loaded = set(out.stdout.split())
    assert {"httpx", "yaml", "sqlite3"} <= loaded
    assert loaded.isdisjoint({"pydantic", "sqlalchemy", "alembic", "feedparser", "rich"})


def test_the_console_script_starts_a_poll_before_parsing_its_arguments(home: HomeDir, server: Server) -> None:
    """`monitor --home H poll` as a real process: main() starts the requests before typer runs, the command takes
    them; each feed is still asked once, and a typo or --help never starts anything (typer answers alone)."""
    for n in range(3):
        server.routes[f"/p{n}"] = Response(body=rss((f"Story {n}", "text")), etag=f'"p{n}"')
    write_feeds(home, [{"id": f"p{n}", "type": "rss", "url": server.url(f"/p{n}")} for n in range(3)])
    assert home.cli("poll").exit_code == 0
    before = len(server.requests)
    proc = home.process("poll", "--json")
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    assert [f["outcome"] for f in json.loads(out)["feeds"]] == ["not_modified"] * 3
    assert sorted(p for p, _ in server.requests[before:]) == ["/p0", "/p1", "/p2"]
    for args in (["poll", "--help"], ["poll", "--feeed", "p0"]):
        before = len(server.requests)
        proc = home.process(*args)
        proc.communicate(timeout=120)
        assert proc.returncode == (0 if "--help" in args else 2)
        assert len(server.requests) == before


def test_a_deleted_current_directory_is_one_error_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    gone = tmp_path / "gone"
    gone.mkdir()
    monkeypatch.chdir(gone)
    gone.rmdir()
    for args in (["milestones"], ["poll"]):
        r = CliRunner().invoke(app, args)
        assert (r.exit_code, r.stderr) == (
            2,
            "error: the current directory no longer exists: cd somewhere, or give --home PATH\n",
        ), args
