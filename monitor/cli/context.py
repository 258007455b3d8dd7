"""What every command shares: the --home option, opening the app once, and stopping cleanly on SIGTERM."""

from __future__ import annotations

import asyncio
import getpass
import os
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from types import FrameType
from typing import TypeVar

import typer

from ..app import App, open_app
from ..clock import clock_from_env
from .output import fail

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


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised in the main thread wherever it is, so that everything unwinds as for Ctrl-C: transactions
    roll back, a poll stops its workers and marks its run interrupted."""


@contextmanager
def stop_on_sigterm() -> Iterator[None]:
    """While the block runs, SIGTERM unwinds it (Terminated) and the command exits 143 with
    `error: interrupted (SIGTERM)`. A second SIGTERM while unwinding ends the process at once.
    Usable as a decorator on a command, below @guarded."""
    if threading.current_thread() is not threading.main_thread():  # signal handlers belong to the main thread
        yield
        return

    def handler(signum: int, _frame: FrameType | None) -> None:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        stop = Terminated(signal.Signals(signum).name)
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            raise stop from None
        # Inside an event loop, raised from a callback rather than here: between task steps, so no task ends
        # with it half-done, and asyncio.run cancels every task (their cleanup runs) before it goes on.
        loop.call_soon_threadsafe(_raise, stop)

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    except Terminated as e:
        raise fail(f"interrupted ({e})", 128 + signal.SIGTERM) from None
    finally:
        signal.signal(signal.SIGTERM, previous)


def _raise(error: BaseException) -> None:
    raise error
