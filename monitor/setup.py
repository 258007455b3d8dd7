"""Making a home's database ready: open it, bring its schema up to date, sync the config into it.

The one sequence behind `monitor init`, `monitor db upgrade` and every other command (app.open_app), which differ
only in how they migrate: init and upgrade always apply migrations; other commands migrate a SQLite database that
is behind and refuse a shared PostgreSQL database that is (ensure_current).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from . import config as config_mod
from . import home as home_mod
from .clock import Clock
from .config import Config
from .storage import migrate
from .storage.engine import Database, open_database, prepare_database
from .storage.sync import sync


@dataclass(frozen=True)
class Migration:
    database: str  # its URL, password hidden
    before: str | None
    after: str

    @property
    def changed(self) -> bool:
        return self.before != self.after


def ready_database(cfg: Config, clock: Clock, *, upgrade: bool, sync_config: bool = True) -> tuple[Database, Migration]:
    """Open the config's database, migrate it (`upgrade`: always; else only as far as `migrate.ensure_current`
    does) and sync the config into it (unless `sync_config` is false: a command that must leave the data as it
    is, `feeds test`). The caller disposes of the database; on any failure it is disposed here."""
    db = open_database(cfg.database_url)
    try:
        prepare_database(db)
        before, after = migrate.upgrade(db) if upgrade else migrate.ensure_current(db)
        if sync_config:
            sync(db, cfg.definitions, clock.now())
    except BaseException:
        db.dispose()
        raise
    return db, Migration(db.safe_url, before, after)


@dataclass(frozen=True)
class InitReport:
    home: Path
    created: tuple[str, ...]  # config files copied, relative to the home
    kept: tuple[str, ...]  # config files that were there already
    database: str  # its URL, password hidden


def init_home(where: str | Path | None, clock: Clock, environ: Mapping[str, str] | None = None) -> InitReport:
    """Create a home at `where` (else $MONITOR_HOME, else the current directory): the shipped config files (an
    existing file is never overwritten) and a migrated, synced database. When the database cannot be made ready,
    what this call created is removed again: a failed init leaves nothing behind."""
    files = home_mod.create(home_mod.locate(where).path)
    try:
        db, migration = ready_database(config_mod.load(files.home, environ), clock, upgrade=True)
        db.dispose()
    except BaseException:
        home_mod.undo(files)
        raise
    return InitReport(files.home.path, tuple(files.created), tuple(files.kept), migration.database)


def upgrade_home(where: str | Path | None, clock: Clock, environ: Mapping[str, str] | None = None) -> Migration:
    """Apply the migrations the home's database lacks and sync the config into it (`monitor db upgrade`)."""
    cfg = config_mod.load(home_mod.find(where), environ)
    db, migration = ready_database(cfg, clock, upgrade=True)
    db.dispose()
    return migration
