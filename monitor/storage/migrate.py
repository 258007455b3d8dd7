"""Alembic migrations (db/migrations/), applied programmatically."""

from __future__ import annotations

from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from ..errors import StorageError
from ..resources import migrations_dir
from .engine import MIGRATE_LOCK, Database, storage_errors


def _alembic_config() -> AlembicConfig:
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(migrations_dir()))
    return cfg


def head() -> str:
    script = ScriptDirectory.from_config(_alembic_config())
    h = script.get_current_head()
    assert h is not None
    return h


def current(db: Database) -> str | None:
    with storage_errors(db), db.engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(db: Database) -> tuple[str | None, str]:
    """Bring the database to the newest revision; returns (before, after). Serialised across processes:
    on SQLite by BEGIN IMMEDIATE, on PostgreSQL by an advisory lock."""
    cfg = _alembic_config()
    target = head()
    with storage_errors(db), db.engine.execution_options(monitor_write=True).begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({MIGRATE_LOCK})")
        before = MigrationContext.configure(conn).get_current_revision()
        if before != target:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
    return before, target


def ensure_current(db: Database) -> None:
    """SQLite homes migrate themselves; a shared PostgreSQL database is upgraded on purpose."""
    if current(db) == head():
        return
    if db.is_sqlite:
        upgrade(db)
        return
    raise StorageError(f"database {db.safe_url} is not at the current schema (run 'monitor db upgrade')")
