"""The application context every use case receives: config, database and clock, opened once."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from . import config as config_mod
from . import home as home_mod
from .clock import Clock, local_date, today
from .config import Config
from .definitions import Definitions
from .settings import Settings
from .setup import ready_database
from .storage.engine import Database


@dataclass
class App:
    config: Config
    db: Database
    clock: Clock

    @property
    def settings(self) -> Settings:
        return self.config.settings

    @property
    def definitions(self) -> Definitions:
        return self.config.definitions

    def now(self) -> dt.datetime:
        return self.clock.now()

    def today(self) -> dt.date:
        return today(self.clock, self.config.settings.timezone)

    def local_date(self, when: dt.datetime) -> dt.date:
        return local_date(when, self.config.settings.timezone)

    def report_dir(self) -> Path | None:
        """`report.out` as a path (a relative one is taken from the home, as the database file is), or None when
        it is not set: where `monitor report` and the daemon write the published site."""
        out = self.config.settings.report.out
        if not out:
            return None
        path = Path(out).expanduser()
        return path if path.is_absolute() else self.config.home.path / path

    def close(self) -> None:
        self.db.dispose()


def open_app(
    home_option: str | Path | None, clock: Clock, environ: Mapping[str, str] | None = None, *, sync: bool = True
) -> App:
    """Locate and validate the home, open its database (migrating a SQLite one that is behind: setup.ready_database),
    and sync config into it (`sync=False`: leave the data as it is, for a command that promises to store nothing)."""
    cfg = config_mod.load(home_mod.find(home_option), environ)
    db, _ = ready_database(cfg, clock, upgrade=False, sync_config=sync)
    return App(cfg, db, clock)
