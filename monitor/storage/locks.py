"""One daemon per database: a lock that dies with the process holding it, however it dies.

- SQLite: an exclusive flock(2) on `<database file>.daemon-lock`, held open for the daemon's life (the kernel
  drops it when the process ends, SIGKILL included). The file holds nothing; who holds the lock is in
  daemon_runs (storage/jobs.py).
- PostgreSQL: a session advisory lock on a connection of its own, keyed by database and schema (so test schemas
  and several deployments on one server do not collide); the server drops it when that session ends. The
  daemon asks `held()` before each job: a session lost with the server is a lock lost.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import tempfile
from pathlib import Path
from typing import Protocol

from sqlalchemy import Connection, text
from sqlalchemy.exc import SQLAlchemyError

from .engine import Database, storage_errors


class DaemonLock(Protocol):
    @property
    def where(self) -> str:
        """What the lock is, for messages: a file, or an advisory lock key."""
        ...

    def held(self) -> bool:
        """Whether this process still holds it."""
        ...

    def release(self) -> None: ...


def acquire(db: Database) -> DaemonLock | None:
    """Take the database's daemon lock, or None when another process holds it."""
    if db.is_sqlite:
        return _FileLock.acquire(lock_path(db))
    return _AdvisoryLock.acquire(db)


def taken(db: Database) -> bool:
    """Whether some process (this one included) holds the database's daemon lock. Creates nothing."""
    if db.is_sqlite:
        return _FileLock.taken(lock_path(db))
    with storage_errors(db), db.engine.connect() as conn:
        key = _key(conn)
        found = conn.execute(
            text(
                "SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 1"
                " AND classid = :hi AND objid = :lo"
                " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
            ),
            {"hi": key >> 32, "lo": key & 0xFFFFFFFF},
        ).first()
        return found is not None


def describe(db: Database) -> str:
    """Where the lock lives, for messages."""
    if db.is_sqlite:
        return f"lock file {lock_path(db)}"
    return "a PostgreSQL advisory lock on this database and schema"


def lock_path(db: Database) -> Path:
    """`<database file>.daemon-lock`; for a database with no file (in memory), a lock file per process."""
    name = db.engine.url.database
    if not name or name == ":memory:" or name.startswith("file:"):
        return Path(tempfile.gettempdir()) / f"monitor-{os.getpid()}-memory.daemon-lock"
    return Path(f"{name}.daemon-lock")


class _FileLock:
    def __init__(self, path: Path, fd: int):
        self.path, self._fd = path, fd

    @property
    def where(self) -> str:
        return f"lock file {self.path}"

    @classmethod
    def acquire(cls, path: Path) -> _FileLock | None:
        from ..errors import StorageError

        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        except OSError as e:
            raise StorageError(f"cannot open the daemon lock file {path}: {e.strerror or e}") from e
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return None
        except OSError as e:
            os.close(fd)
            raise StorageError(f"cannot lock {path}: {e.strerror or e}") from e
        return cls(path, fd)

    @staticmethod
    def taken(path: Path) -> bool:
        try:
            fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
        except FileNotFoundError:
            return False
        except OSError:
            return False  # unreadable: nobody we can see holds it
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        finally:
            os.close(fd)  # closing drops the shared lock we may have taken
        return False

    def held(self) -> bool:
        """Still ours: the descriptor is open and the file at the path is the one it locks (a lock file deleted
        or replaced would let another daemon lock a new one)."""
        if self._fd < 0:
            return False
        try:
            return os.stat(self.path).st_ino == os.fstat(self._fd).st_ino
        except OSError:
            return False

    def release(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)  # the lock goes with the descriptor; the file stays, harmless
            self._fd = -1


class _AdvisoryLock:
    def __init__(self, db: Database, conn: Connection, key: int):
        self._db, self._conn, self._key = db, conn, key

    @property
    def where(self) -> str:
        return f"PostgreSQL advisory lock {self._key}"

    @classmethod
    def acquire(cls, db: Database) -> _AdvisoryLock | None:
        with storage_errors(db):
            conn = db.engine.connect()
            try:
                key = _key(conn)
                got = conn.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": key}).scalar()
                conn.commit()  # the lock is the session's; no transaction is left open
            except BaseException:
                conn.close()
                raise
        if not got:
            conn.close()
            return None
        return cls(db, conn, key)

    def held(self) -> bool:
        try:
            row = self._conn.execute(
                text(
                    "SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 1"
                    " AND pid = pg_backend_pid() AND classid = :hi AND objid = :lo"
                ),
                {"hi": self._key >> 32, "lo": self._key & 0xFFFFFFFF},
            ).first()
            self._conn.commit()
            return row is not None
        except SQLAlchemyError:
            return False

    def release(self) -> None:
        with contextlib.suppress(SQLAlchemyError):
            self._conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": self._key})
            self._conn.commit()
        with contextlib.suppress(SQLAlchemyError):
            self._conn.close()


def _key(conn: Connection) -> int:
    """The advisory lock key of this database and schema: 56 bits of a hash, the same in every process."""
    database, schema = conn.execute(text("SELECT current_database(), current_schema()")).one()
    conn.commit()
    digest = hashlib.sha256(f"monitor daemon {database}.{schema}".encode()).digest()
    return int.from_bytes(digest[:7], "big")
