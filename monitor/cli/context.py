"""What every command shares: the --home option and opening the app once."""

from __future__ import annotations

import getpass
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import typer

from ..app import App, open_app
from ..clock import clock_from_env

T = TypeVar("T")


@dataclass
class State:
    home: str | None = None


def open_from(ctx: typer.Context) -> App:
    state: State = ctx.find_root().obj or State()
    return open_app(state.home, clock_from_env())


def default_user() -> str:
    try:
        return os.environ.get("MONITOR_USER") or getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def with_app(ctx: typer.Context, use: Callable[[App], T]) -> T:
    """Open the home's app, run one library call with it, and close it whatever happens."""
    app = open_from(ctx)
    try:
        return use(app)
    finally:
        app.close()
