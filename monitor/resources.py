"""Where the shipped defaults live: the repository root in a checkout, monitor/_data in a wheel."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent
_DATA = _PACKAGE / "_data"
_REPO = _PACKAGE.parent


def _find(name: str, repo_rel: str) -> Path:
    packaged = _DATA / name
    if packaged.is_dir():
        return packaged
    return _REPO / repo_rel


def default_config_dir() -> Path:
    return _find("config", "config")


def default_templates_dir() -> Path:
    return _find("templates", "templates")


def migrations_dir() -> Path:
    return _find("migrations", "db/migrations")


def deploy_dir() -> Path:
    """The shipped service files: a systemd unit, an environment file example, crontab lines."""
    return _find("deploy", "deploy")
