"""Finding and creating a home: the directory a deployment owns (config/, templates/, db/)."""

from __future__ import annotations

import contextlib
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from .errors import MonitorError, NotAHomeError
from .resources import default_config_dir

CONFIG_FILES = ("monitor.yaml", "feeds.yaml", "milestones.yaml")


@dataclass(frozen=True)
class Home:
    path: Path

    @property
    def config_dir(self) -> Path:
        return self.path / "config"

    @property
    def templates_dir(self) -> Path:
        return self.path / "templates"

    @property
    def db_dir(self) -> Path:
        return self.path / "db"

    @property
    def default_db_path(self) -> Path:
        return self.db_dir / "monitor.sqlite3"

    def is_home(self) -> bool:
        return (self.config_dir / "monitor.yaml").is_file()


def locate(option: str | Path | None) -> Home:
    """The home named by --home, else $MONITOR_HOME, else the current directory."""
    try:
        chosen = option or os.environ.get("MONITOR_HOME") or os.getcwd()
        return Home(Path(chosen).expanduser().resolve())
    except FileNotFoundError:  # os.getcwd(), or resolving a path relative to it, in a directory deleted meanwhile
        raise NotAHomeError(
            "the current directory no longer exists: cd somewhere, or give --home PATH"
        ) from None


def require(home: Home) -> Home:
    if not home.is_home():
        raise NotAHomeError(f"no monitor home at {home.path} (run 'monitor init {home.path}')")
    return home


def find(option: str | Path | None) -> Home:
    """The home `locate` names, which must be one (NotAHomeError)."""
    return require(locate(option))


@dataclass
class HomeFiles:
    """What `create` made and kept, so that `undo` can take it back."""

    home: Home
    created: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    new_dirs: list[Path] = field(default_factory=list)  # directories this run created, outermost first


def create(path: Path) -> HomeFiles:
    """Create the home's directories and copy the shipped config files; never overwrite a file."""
    home = Home(path.expanduser().resolve())
    report = HomeFiles(home)
    try:
        for d in (home.path, home.config_dir, home.templates_dir, home.db_dir):
            missing = [p for p in (d, *d.parents) if not p.exists()]
            d.mkdir(parents=True, exist_ok=True)
            report.new_dirs.extend(reversed(missing))
        source = default_config_dir()
        for name in CONFIG_FILES:
            target = home.config_dir / name
            rel = f"config/{name}"
            if target.exists():
                report.kept.append(rel)
                continue
            shutil.copyfile(source / name, target)
            report.created.append(rel)
    except OSError as e:
        raise MonitorError(f"cannot create home at {home.path}: {e.strerror or e}") from e
    return report


def undo(report: HomeFiles) -> None:
    """Remove what `create` made (its files, then its directories if still empty): a failed init leaves nothing."""
    for rel in report.created:
        with contextlib.suppress(OSError):
            (report.home.path / rel).unlink(missing_ok=True)
    for d in reversed(report.new_dirs):
        with contextlib.suppress(OSError):  # not empty (something else put a file there): leave it
            d.rmdir()
