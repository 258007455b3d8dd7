"""Loading a home's configuration: the three YAML files, validated together, every problem collected."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from . import definitions, settings
from .errors import ConfigError
from .home import Home


@dataclass(frozen=True)
class Config:
    home: Home
    settings: settings.Settings
    definitions: definitions.Definitions

    @property
    def database_url(self) -> str:
        return database_url(self.home, self.settings.database_url)


def database_url(home: Home, configured: str | None) -> str:
    """The configured URL (MONITOR_DATABASE_URL wins), else the home's SQLite file; relative SQLite paths
    are taken from the home."""
    url = configured or f"sqlite:///{home.default_db_path}"
    prefix = "sqlite:///"
    if url.startswith(prefix) and not url.startswith(prefix + "/") and url != "sqlite://" and ":memory:" not in url:
        url = prefix + str(home.path / url[len(prefix) :])
    return url


def read_yaml(path: Path, label: str, out: list[str]) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        out.append(f"{label}: file not found")
        return None
    except (OSError, UnicodeDecodeError) as e:
        out.append(f"{label}: cannot read: {e}")
        return None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(e, "problem", None) or str(e).splitlines()[0]
        out.append(f"{label}: {where}YAML syntax error: {problem}")
        return None


def problems(home: Home, environ: Mapping[str, str] | None = None) -> tuple[Config | None, list[str]]:
    """The loaded config, or every problem found in any of the three files."""
    env = os.environ if environ is None else environ
    out: list[str] = []
    files = {
        name: read_yaml(home.config_dir / name, f"config/{name}", out)
        for name in ("monitor.yaml", "feeds.yaml", "milestones.yaml")
    }
    parse_failed = len(out)
    s, bad = settings.build("config/monitor.yaml", files["monitor.yaml"], env)
    out.extend(bad)
    defs, bad = definitions.build(
        "config/feeds.yaml", files["feeds.yaml"], "config/milestones.yaml", files["milestones.yaml"]
    )
    out.extend(bad)
    if out or parse_failed or s is None or defs is None:
        return None, out
    return Config(home, s, defs), []


def load(home: Home, environ: Mapping[str, str] | None = None) -> Config:
    config, found = problems(home, environ)
    if config is None:
        raise ConfigError(found)
    return config
