"""Loading a home's configuration: the three YAML files, validated together, every problem collected."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from . import definitions, settings
from .errors import ConfigError
from .home import Home
from .yaml_read import read_yaml, read_yaml_text


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


def inside_home(home: Home) -> Callable[[str], bool]:
    """Whether a feed's local file (`file:///path`, or a path taken from the home as the fetcher does) is inside
    the home once symlinks are resolved."""
    root = home.path.resolve()

    def ok(url: str) -> bool:
        try:
            path = Path(unquote(urlsplit(url).path)) if url.startswith("file:") else Path(url).expanduser()
            return (path if path.is_absolute() else home.path / path).resolve().is_relative_to(root)
        except (OSError, RuntimeError):  # a symlink loop; no home directory for `~`
            return False

    return ok


def problems(
    home: Home, environ: Mapping[str, str] | None = None, texts: Mapping[str, str] | None = None
) -> tuple[Config | None, list[str]]:
    """The loaded config, or every problem found in any of the three files. `texts` stands in for files by name
    ("feeds.yaml"): what a file would say once edited is checked before it is written."""
    env = os.environ if environ is None else environ
    out: list[str] = []
    texts = texts or {}
    files = {
        name: read_yaml_text(texts[name], f"config/{name}", out)
        if name in texts
        else read_yaml(home.config_dir / name, f"config/{name}", out)
        for name in ("monitor.yaml", "feeds.yaml", "milestones.yaml")
    }
    parse_failed = len(out)
    s, bad = settings.build("config/monitor.yaml", files["monitor.yaml"], env)
    out.extend(bad)
    defs, bad = definitions.build(
        "config/feeds.yaml",
        files["feeds.yaml"],
        "config/milestones.yaml",
        files["milestones.yaml"],
        local_ok=inside_home(home),
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
