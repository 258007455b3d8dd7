"""Alembic migrations (db/migrations/), applied programmatically.

Telling whether a database is current is one query against `alembic_version`, compared with the HEAD constant
(storage/revision.py); alembic itself is imported only when a migration is applied."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import Connection, inspect, text
from sqlalchemy.exc import DBAPIError

from ..errors import StorageError
from ..resources import migrations_dir
from .engine import MIGRATE_LOCK, Database, storage_errors
from .revision import HEAD

if TYPE_CHECKING:
    from alembic.config import Config as AlembicConfig

VERSION_TABLE = "alembic_version"  # alembic's default, which env.py keeps


def _alembic_config() -> AlembicConfig:
    from alembic.config import Config as AlembicConfig

    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(migrations_dir()))
    return cfg


def head() -> str:
    """The revision this code expects (the HEAD constant)."""
    return HEAD


def script_head() -> str:
    """The head revision of the migration scripts, as alembic reads them (imports alembic)."""
    from alembic.script import ScriptDirectory

    h = ScriptDirectory.from_config(_alembic_config()).get_current_head()
    assert h is not None, f"no migrations in {migrations_dir()}"
    return h


def _versions(conn: Connection) -> list[str]:
    """The rows of the version table; none when the database has no such table (an empty database)."""
    try:
        return list(conn.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalars())
    except DBAPIError:
        conn.rollback()  # PostgreSQL refuses anything more in a failed transaction
        if inspect(conn).has_table(VERSION_TABLE):
            raise  # the table is there: the failure is something else (permissions, a broken connection)
        return []


def current(db: Database) -> str | None:
    """The database's revision, None for an empty database: one query."""
    with storage_errors(db), db.engine.connect() as conn:
        found = _versions(conn)
    if len(found) > 1:
        raise StorageError(f"database {db.safe_url}: {VERSION_TABLE} holds several revisions {sorted(found)}")
    return found[0] if found else None


def upgrade(db: Database) -> tuple[str | None, str]:
    """Bring the database to the newest revision; returns (before, after). Serialised across processes:
    on SQLite by BEGIN IMMEDIATE, on PostgreSQL by an advisory lock."""
    from alembic import command
    from alembic.runtime.migration import MigrationContext

    cfg = _alembic_config()
    target = script_head()
    with storage_errors(db), db.engine.execution_options(monitor_write=True).begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({MIGRATE_LOCK})")
        before = MigrationContext.configure(conn).get_current_revision()
        if before != target:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
    return before, target


def ensure_current(db: Database) -> tuple[str | None, str]:
    """SQLite homes migrate themselves; a shared PostgreSQL database is upgraded on purpose. Returns (before,
    after) as `upgrade` does; a current database costs one query and no alembic."""
    revision = current(db)
    if revision == HEAD:
        return revision, revision
    if db.is_sqlite:
        return upgrade(db)
    raise StorageError(f"database {db.safe_url} is not at the current schema (run 'monitor db upgrade')")
