"""What every command shares: the --home state, opening the app once, turning errors into one `error:` line and
an exit status, and stopping cleanly on SIGTERM.

Only typer and the standard library at import time: the library is imported when a command runs."""

from __future__ import annotations

import functools
import gc
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from types import FrameType
from typing import TYPE_CHECKING, Any, TypeVar

import typer

from ..errors import MonitorError

if TYPE_CHECKING:
    from ..app import App

T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., Any])


@dataclass
class State:
    home: str | None = None


def home_option(ctx: typer.Context) -> str | None:
    """The global --home, as given (None: $MONITOR_HOME, else the current directory)."""
    state: State = ctx.find_root().obj or State()
    return state.home


def open_from(ctx: typer.Context, *, sync: bool = True) -> App:
    from ..app import open_app
    from ..clock import clock_from_env

    app = open_app(home_option(ctx), clock_from_env(), sync=sync)
    started()
    return app


_paused = False  # the cyclic garbage collector, paused by starting_up()


def starting_up() -> None:
    """Pause the cyclic garbage collector while a command starts: start-up makes tens of thousands of objects that
    live as long as the process (modules, classes, ORM mappings, the config), and the collector would scan them
    again and again while they are made. The console script's main() calls this; in-process callers (tests) do
    not, and nothing changes for them."""
    global _paused
    if gc.isenabled():
        gc.disable()
        _paused = True


def started() -> None:
    """Start-up is over (the library imported, the home opened): what exists now is frozen out of the collector's
    way, and collection resumes for the command's own work (a poll's items, a rematch)."""
    global _paused
    if _paused:
        _paused = False
        gc.freeze()
        gc.enable()


_early: tuple[tuple[str | None, tuple[str, ...]], Any] | None = None  # a poll's requests started by main()


def start_early(home: str | None, feeds: Sequence[str]) -> None:
    """Start the conditional GETs of `monitor --home HOME poll [--feed ID]...` before the command line is even
    parsed (monitor.early): main() calls this when the arguments say nothing else. Any problem: no early start."""
    global _early
    from ..clock import clock_from_env
    from ..early import start

    try:
        early = start(home, feeds, clock_from_env())
    except MonitorError:  # a bad MONITOR_NOW: the command reports it
        return
    if early is not None:
        _early = ((_as_option(home), tuple(feeds)), early)


def take_early(home: str | None, feeds: Sequence[str]) -> Any:
    """The early start main() made for exactly this home and these feeds (or None); anything else is closed."""
    global _early
    found, _early = _early, None
    if found is None:
        return None
    if found[0] == (_as_option(home), tuple(feeds)):
        return found[1]
    found[1].close()
    return None


def _as_option(home: str | None) -> str | None:
    """--home as the root callback keeps it (through typer's Path)."""
    from pathlib import Path

    return str(Path(home)) if home else None


def close_early() -> None:
    """Close an early start no command took (the command failed before it)."""
    early = take_early(None, ("\0",))
    if early is not None:
        early.close()


def default_user() -> str:
    import getpass

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


def fail(message: str, code: int) -> typer.Exit:
    from .safe import visible

    sys.stderr.write(f"error: {' '.join(visible(message).split())}\n")
    sys.stderr.flush()
    return typer.Exit(code)


def guarded(fn: F) -> F:
    """Turn MonitorError into one `error:` line and its exit status."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except MonitorError as e:
            raise fail(str(e), e.exit_code) from None
        except KeyboardInterrupt:
            raise fail("interrupted", 130) from None

    return wrapper  # type: ignore[return-value]


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
    from ..interrupts import interrupt  # imported now, never inside the handler

    def handler(signum: int, _frame: FrameType | None) -> None:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        interrupt(Terminated(signal.Signals(signum).name))  # now, or between task steps of a running event loop

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    except Terminated as e:
        raise fail(f"interrupted ({e})", 128 + signal.SIGTERM) from None
    finally:
        signal.signal(signal.SIGTERM, previous)
