"""Shared fixtures: a real home on disk, on SQLite or (MONITOR_TEST_DATABASE_URL) PostgreSQL."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from typer.testing import CliRunner

from monitor.cli import app

if TYPE_CHECKING:
    from sqlalchemy import Engine

TODAY = "2026-11-22T12:00:00+00:00"
PG_URL = os.environ.get("MONITOR_TEST_DATABASE_URL")
REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test sees the developer's MONITOR_* settings; today is pinned."""
    for name in list(os.environ):
        if name.startswith("MONITOR_") and name != "MONITOR_TEST_DATABASE_URL":
            monkeypatch.delenv(name)
    monkeypatch.delenv("COLUMNS", raising=False)  # tables are 200 wide off a terminal unless a test says otherwise
    monkeypatch.setenv("MONITOR_NOW", TODAY)
    monkeypatch.setenv("MONITOR_USER", "tester")


@pytest.fixture
def database_url() -> Iterator[str | None]:
    """None for the home's own SQLite file; on PostgreSQL a fresh schema per test, dropped afterwards."""
    if not PG_URL:
        yield None
        return
    schema = f"t_{uuid.uuid4().hex[:12]}"
    _pg_admin(f'CREATE SCHEMA "{schema}"')
    sep = "&" if "?" in PG_URL else "?"
    try:
        yield f"{PG_URL}{sep}options=-csearch_path%3D{schema}"
    finally:
        _pg_admin(f'DROP SCHEMA "{schema}" CASCADE')


@dataclass
class Run:
    exit_code: int
    stdout: str
    stderr: str


@dataclass
class HomeDir:
    path: Path
    env: dict[str, str]

    def cli(self, *args: str, **env: str) -> Run:
        """Run a command through the real typer app, in-process."""
        result = CliRunner().invoke(app, ["--home", str(self.path), *args], env={**self.env, **env})
        if result.exception and not isinstance(result.exception, SystemExit):
            raise result.exception
        return Run(result.exit_code, result.stdout, result.stderr)

    def json(self, *args: str) -> object:
        import json

        r = self.cli(*args, "--json")
        assert r.exit_code == 0, r.stderr
        return json.loads(r.stdout)

    def process(self, *args: str) -> subprocess.Popen[str]:
        """Start the installed console script as a separate process."""
        env = {**os.environ, **self.env, "MONITOR_NOW": TODAY, "MONITOR_USER": "tester"}
        exe = shutil.which("monitor", path=str(Path(sys.executable).parent)) or "monitor"
        return subprocess.Popen(
            [exe, "--home", str(self.path), *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )

    @property
    def milestones_yaml(self) -> Path:
        return self.path / "config" / "milestones.yaml"


def _init(path: Path, **settings: str) -> None:
    """`monitor init` with today pinned and none of the developer's MONITOR_* settings."""
    env: dict[str, str | None] = {name: None for name in os.environ if name.startswith("MONITOR_")}
    env.update({"MONITOR_NOW": TODAY, "MONITOR_USER": "tester", **settings})
    r = CliRunner().invoke(app, ["init", str(path)], env=env)
    assert r.exit_code == 0, r.stderr


def _pg_database(name: str) -> str:
    """PG_URL naming another database of the same server."""
    from sqlalchemy.engine import make_url

    assert PG_URL
    return make_url(PG_URL).set(database=name).render_as_string(hide_password=False)


@lru_cache(maxsize=1)
def _pg_admin_engine() -> Engine:
    """One autocommit engine on PG_URL for the session's CREATE and DROP statements (not one per statement)."""
    from sqlalchemy import create_engine

    assert PG_URL
    return create_engine(PG_URL, isolation_level="AUTOCOMMIT")


def _pg_admin(statement: str) -> None:
    from sqlalchemy import text

    with _pg_admin_engine().connect() as c:
        c.execute(text(statement))


@pytest.fixture(scope="session")
def initialised(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str | None]]:
    """A home made by `monitor init` once per session, and (on PostgreSQL) the name of its database: each test's
    `home` is a copy of it, its database on PostgreSQL created from that one (CREATE DATABASE ... TEMPLATE), so the
    migrations run once, not for every test (a tenth of a second or more each). Nothing in a home names its own
    path; the tests of `init` itself run it."""
    path = tmp_path_factory.mktemp("initialised") / "home"
    if not PG_URL:
        _init(path)
        yield path, None
        return
    name = f"tpl_{uuid.uuid4().hex[:12]}"
    _pg_admin(f'CREATE DATABASE "{name}"')
    try:
        _init(path, MONITOR_DATABASE_URL=_pg_database(name))
        yield path, name
    finally:
        _pg_admin(f'DROP DATABASE "{name}" WITH (FORCE)')


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, initialised: tuple[Path, str | None]) -> Iterator[HomeDir]:
    """A home as `monitor init` leaves it, on the home's SQLite file or a fresh PostgreSQL database of its own."""
    template, database = initialised
    h = HomeDir(tmp_path / "home", {})
    shutil.copytree(template, h.path)
    if database is None:
        yield h
        return
    name = f"t_{uuid.uuid4().hex[:12]}"
    _pg_admin(f'CREATE DATABASE "{name}" TEMPLATE "{database}"')
    try:
        h.env["MONITOR_DATABASE_URL"] = _pg_database(name)
        monkeypatch.setenv("MONITOR_DATABASE_URL", h.env["MONITOR_DATABASE_URL"])
        yield h
    finally:
        _pg_admin(f'DROP DATABASE "{name}" WITH (FORCE)')


@pytest.fixture
def server() -> Iterator[Any]:
    from tests.httpserver import Server

    with Server() as s:
        yield s


def write_feeds(home: HomeDir, feeds: list[dict[str, Any]]) -> None:
    import yaml

    (home.path / "config" / "feeds.yaml").write_text(yaml.safe_dump({"feeds": feeds}, sort_keys=False))
