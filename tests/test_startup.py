"""Start-up: building the CLI imports typer and nothing of the library; a current database is recognised with one
query and no alembic; the HEAD constant that query compares with is alembic's real head.

Asserted on the modules a fresh interpreter loads, never on timing (bench/startup.py measures the time)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from monitor import __version__
from monitor.errors import StorageError
from monitor.storage import migrate
from monitor.storage.engine import Database, open_database
from monitor.storage.revision import HEAD
from tests.conftest import REPO, HomeDir

HEAVY = ("sqlalchemy", "pydantic", "yaml", "alembic", "httpx", "feedparser", "lxml", "rich", "apscheduler", "jinja2")


def imported(*argv: str, env: dict[str, str] | None = None) -> tuple[subprocess.CompletedProcess[str], set[str]]:
    """Run `python -X importtime argv...` from the repository; the completed process and every module it imported."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", *argv],
        cwd=REPO,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
    )
    modules = {line.rpartition("|")[2].strip() for line in done.stderr.splitlines() if line.startswith("import time:")}
    return done, modules - {"package"}  # the header line reads "... | cumulative | imported package"


def heavy(modules: set[str]) -> list[str]:
    return sorted({m.split(".")[0] for m in modules} & set(HEAVY))


def test_the_module_list_is_read() -> None:
    """The check itself: a run that imports sqlalchemy shows it, so an empty list below means something."""
    _, modules = imported("-c", "import sqlalchemy")
    assert "sqlalchemy" in modules and "sqlalchemy.engine" in modules
    assert heavy(modules) == ["sqlalchemy"]


def test_building_the_cli_imports_no_library() -> None:
    done, modules = imported("-c", "import monitor.cli, typer.main; typer.main.get_command(monitor.cli.app)")
    assert done.returncode == 0, done.stderr
    assert {"typer", "monitor.cli", "monitor.cli.milestones", "monitor.cli.options"} <= modules
    assert heavy(modules) == []
    assert sorted(m for m in modules if m.startswith("monitor")) == [
        "monitor",
        "monitor.cli",
        "monitor.cli.admin",
        "monitor.cli.context",
        "monitor.cli.daemon",
        "monitor.cli.demo",
        "monitor.cli.digest",
        "monitor.cli.evidence",
        "monitor.cli.milestones",
        "monitor.cli.options",
        "monitor.cli.overview",
        "monitor.cli.report",
        "monitor.cli.sources",
        "monitor.errors",
    ]


@pytest.mark.parametrize("args", [["--version"], ["--help"], ["milestones", "--help"], ["review", "--help"]])
def test_version_and_help_import_no_library(args: list[str]) -> None:
    script = "import sys; from monitor.cli import main; sys.argv = ['monitor', *sys.argv[1:]]; main()"
    done, modules = imported("-c", script, *args)
    assert done.returncode == 0, done.stderr
    if args == ["--version"]:
        assert done.stdout == f"monitor {__version__}\n"
    else:
        assert done.stdout.startswith("Usage: monitor")
    # typer itself converts a command's parameters with pydantic (typer._adapters) once it parses them
    assert heavy(modules) == ([] if len(args) == 1 else ["pydantic"])
    assert sorted(m for m in modules if m.startswith("monitor.") and not m.startswith("monitor.cli")) == [
        "monitor.errors"
    ]


def test_a_command_imports_what_it_needs(home: HomeDir) -> None:
    """The other side: `milestones` does load the library when it runs, and not alembic on a current database."""
    script = "import sys; from monitor.cli import main; sys.argv = ['monitor', *sys.argv[1:]]; main()"
    done, modules = imported(
        "-c", script, "--home", str(home.path), "milestones", "--json", env={**home.env, "MONITOR_NOW": "2026-11-22"}
    )
    assert done.returncode == 0, done.stderr
    assert len(json.loads(done.stdout)) > 0
    assert {"sqlalchemy", "pydantic", "yaml", "monitor.tracking"} <= modules
    assert [m for m in heavy(modules) if m in ("alembic", "httpx", "feedparser", "lxml", "jinja2")] == []


# ---------------------------------------------------------------- the schema revision


def test_head_constant_is_alembics_head() -> None:
    """Bump monitor/storage/revision.py's HEAD with every new migration."""
    from alembic.script import ScriptDirectory

    from monitor.resources import migrations_dir

    real = ScriptDirectory(str(migrations_dir())).get_current_head()
    assert real == HEAD, f"db/migrations' head is {real}: set HEAD = {real!r} in monitor/storage/revision.py"
    assert migrate.head() == migrate.script_head() == HEAD


@pytest.fixture
def db(tmp_path: Path, database_url: str | None) -> Iterator[Database]:
    """An empty database: a SQLite file, or its own PostgreSQL schema (MONITOR_TEST_DATABASE_URL)."""
    database = open_database(database_url or f"sqlite:///{tmp_path / 'fresh.sqlite3'}")
    try:
        yield database
    finally:
        database.dispose()


def to_revision(db: Database, revision: str) -> None:
    """Migrate `db` up or down to `revision` with alembic itself."""
    from alembic import command

    cfg = migrate._alembic_config()
    before = migrate.current(db)
    with db.engine.execution_options(monitor_write=True).begin() as conn:
        cfg.attributes["connection"] = conn
        if before is not None and before > revision:
            command.downgrade(cfg, revision)
        else:
            command.upgrade(cfg, revision)
    assert migrate.current(db) == revision


def ensure_in_a_fresh_process(db: Database) -> dict[str, object]:
    """migrate.ensure_current(db) in a new interpreter: its result or error, and whether alembic was imported."""
    script = """
import json, sys
from monitor.errors import StorageError
from monitor.storage import migrate
from monitor.storage.engine import open_database
db = open_database(sys.argv[1])
try:
    out = {"result": list(migrate.ensure_current(db))}
except StorageError as e:
    out = {"error": str(e)}
out["alembic"] = "alembic" in sys.modules
db.dispose()
print(json.dumps(out))
"""
    done = subprocess.run([sys.executable, "-c", script, db.url], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    result: dict[str, object] = json.loads(done.stdout)
    return result


def test_current_database_costs_no_alembic(db: Database) -> None:
    assert migrate.current(db) is None
    assert migrate.upgrade(db) == (None, HEAD)
    assert migrate.current(db) == HEAD
    assert ensure_in_a_fresh_process(db) == {"result": [HEAD, HEAD], "alembic": False}


def test_a_database_behind_is_upgraded_on_sqlite_and_refused_on_postgresql(db: Database) -> None:
    to_revision(db, "0002")
    if db.is_sqlite:
        assert ensure_in_a_fresh_process(db) == {"result": ["0002", HEAD], "alembic": True}
        assert migrate.current(db) == HEAD
    else:
        assert ensure_in_a_fresh_process(db) == {
            "error": f"database {db.safe_url} is not at the current schema (run 'monitor db upgrade')",
            "alembic": False,
        }
        assert migrate.current(db) == "0002"


def test_an_empty_database_is_migrated_on_sqlite_and_refused_on_postgresql(db: Database) -> None:
    if db.is_sqlite:
        assert ensure_in_a_fresh_process(db) == {"result": [None, HEAD], "alembic": True}
        assert migrate.current(db) == HEAD
    else:
        assert ensure_in_a_fresh_process(db) == {
            "error": f"database {db.safe_url} is not at the current schema (run 'monitor db upgrade')",
            "alembic": False,
        }
        assert migrate.current(db) is None


def test_a_branched_version_table_is_an_error(db: Database) -> None:
    migrate.upgrade(db)
    with db.engine.begin() as conn:
        conn.execute(text("INSERT INTO alembic_version (version_num) VALUES ('0002')"))
    with pytest.raises(StorageError) as e:
        migrate.current(db)
    assert str(e.value) == f"database {db.safe_url}: alembic_version holds several revisions ['0002', '{HEAD}']"


# ---------------------------------------------------------------- init and db upgrade: one sequence


def test_db_upgrade_says_what_it_did(home: HomeDir) -> None:
    url = home.env.get("MONITOR_DATABASE_URL") or f"sqlite:///{home.path / 'db' / 'monitor.sqlite3'}"
    shown = open_database(url).safe_url
    r = home.cli("db", "upgrade")
    assert (r.exit_code, r.stdout, r.stderr) == (0, f"database {shown} is already at revision {HEAD}\n", "")
    db = open_database(url)
    try:
        to_revision(db, "0002")
    finally:
        db.dispose()
    r = home.cli("db", "upgrade")
    assert (r.exit_code, r.stdout, r.stderr) == (0, f"database {shown} upgraded from 0002 to {HEAD}\n", "")


# ---------------------------------------------------------------- the garbage collector during start-up


def test_the_collector_runs_during_a_commands_work(home: HomeDir) -> None:
    """main() pauses the cyclic collector while a command starts; it runs again (start-up's objects frozen) by the
    time the command's library call does its work, so a long poll collects its garbage as usual."""
    script = """
import gc, json, sys
import monitor.tracking as tracking
seen = {}
real = tracking.list_milestones
def spy(*args, **kwargs):
    seen.update(enabled=gc.isenabled(), frozen=gc.get_freeze_count() > 1000)
    return real(*args, **kwargs)
tracking.list_milestones = spy
from monitor.cli import main
sys.argv = ["monitor", *sys.argv[1:]]
try:
    main()
finally:
    sys.stderr.write(json.dumps(seen))
"""
    done = subprocess.run(
        [sys.executable, "-c", script, "--home", str(home.path), "milestones", "--json"],
        cwd=REPO,
        env={**os.environ, **home.env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stderr) == {"enabled": True, "frozen": True}


def test_in_process_commands_leave_the_collector_alone(home: HomeDir) -> None:
    import gc

    frozen = gc.get_freeze_count()
    assert home.cli("milestones").exit_code == 0
    assert gc.isenabled() and gc.get_freeze_count() == frozen
