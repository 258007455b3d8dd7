"""Engines and sessions. SQLite: WAL, busy timeout, foreign keys, and BEGIN IMMEDIATE for writes so two
processes never deadlock upgrading a read lock. PostgreSQL: the same code, rows locked FOR UPDATE."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from ..errors import ConfigError, StorageError

BUSY_TIMEOUT_MS = 60_000

# PostgreSQL advisory lock keys (fixed: every process of every version must agree). SQLite needs none: a write
# transaction there is BEGIN IMMEDIATE, which already admits one writer at a time.
MIGRATE_LOCK = 7261504
SYNC_LOCK = 7261505
EVIDENCE_LOCK = 7261506
SUBSCRIBERS_LOCK = 7261507


@dataclass
class Database:
    url: str
    engine: Engine
    _read: sessionmaker[Session]
    _write: sessionmaker[Session]

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @property
    def safe_url(self) -> str:
        return make_url(self.url).render_as_string(hide_password=True)

    @contextmanager
    def read(self) -> Iterator[Session]:
        with storage_errors(self), self._read() as s:
            yield s

    @contextmanager
    def write(self) -> Iterator[Session]:
        """One transaction: committed when the block ends, rolled back on any exception."""
        with storage_errors(self), self._write() as s, s.begin():
            yield s

    def dispose(self) -> None:
        self.engine.dispose()


def serialise(s: Session, key: int) -> None:
    """Hold `key` until the current write transaction ends, so writers of the same kind run one at a time and
    each reads what the previous one committed. PostgreSQL only; SQLite's BEGIN IMMEDIATE already serialises."""
    if s.get_bind().dialect.name == "postgresql":
        s.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


@contextmanager
def storage_errors(db: Database) -> Iterator[None]:
    try:
        yield
    except SQLAlchemyError as e:
        detail = str(getattr(e, "orig", None) or e).strip().splitlines()[0]
        raise StorageError(f"database {db.safe_url}: {detail}") from e


def open_database(url: str) -> Database:
    try:
        parsed = make_url(url)
    except ArgumentError as e:
        raise ConfigError(f"database_url: not a database URL: {url!r}") from e
    kwargs: dict[str, Any] = {}
    if parsed.get_backend_name() == "sqlite":
        kwargs["connect_args"] = {"timeout": BUSY_TIMEOUT_MS / 1000}
    else:
        kwargs["pool_pre_ping"] = True
    try:
        engine = create_engine(url, **kwargs)
    except (ArgumentError, ImportError) as e:
        raise ConfigError(f"database_url: cannot use {url!r}: {e}") from e
    if engine.dialect.name == "sqlite":
        _sqlite_setup(engine)
    write_engine = engine.execution_options(monitor_write=True)
    return Database(
        url,
        engine,
        sessionmaker(engine, expire_on_commit=False),
        sessionmaker(write_engine, expire_on_commit=False),
    )


def _sqlite_setup(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we emit BEGIN ourselves
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA foreign_keys = ON")
        _use_wal(cur)
        cur.execute("PRAGMA synchronous = NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Any) -> None:
        immediate = conn.get_execution_options().get("monitor_write")
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def _use_wal(cur: Any) -> None:
    """Put a SQLite database in WAL mode (it stays so). A new file opened by several processes at once: the switch
    needs the file to itself, and where two connections holding a read lock both ask for it SQLite answers one of
    them "database is locked" at once, without waiting (waiting could deadlock). That one looks again (the other
    has likely made the switch), retrying for up to the busy timeout in all: each retry may wait only as long as
    is left of it, so the whole never waits more than one busy timeout."""
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    shortened = False
    try:
        while True:
            try:
                if cur.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                    cur.execute("PRAGMA journal_mode = WAL")  # an in-memory database answers "memory" and stays so
                return
            except sqlite3.OperationalError as e:
                left = deadline - time.monotonic()
                if "locked" not in str(e) or left <= 0:
                    raise
                time.sleep(min(0.01, left))
                cur.execute(f"PRAGMA busy_timeout = {max(1, int(left * 1000))}")
                shortened = True
    finally:
        if shortened:
            cur.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")


def prepare_database(db: Database) -> None:
    """Make sure a SQLite database file can be opened, creating its directory: one error line naming the path
    (StorageError) when it cannot, rather than whatever the first query would raise. Other backends: nothing."""
    name = db.engine.url.database
    if not db.is_sqlite or not name or name == ":memory:" or name.startswith("file:"):
        return
    path = Path(name)
    verb = "open" if path.is_file() else "create"
    if path.is_dir():
        raise StorageError(f"cannot create the database at {path}: it is a directory")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise StorageError(f"cannot {verb} the database at {path}: {e.strerror or e}") from e
    try:
        with db.engine.connect():
            pass
    except SQLAlchemyError as e:
        detail = str(getattr(e, "orig", None) or e).strip().splitlines()[0]
        raise StorageError(f"cannot {verb} the database at {path}: {detail}") from e
