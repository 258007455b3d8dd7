"""Output helpers: rich tables for people, one JSON document for scripts, `error: ...` lines on stderr."""

from __future__ import annotations

import datetime as dt
import functools
import json
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from ..errors import InputError, MonitorError

F = TypeVar("F", bound=Callable[..., Any])


def console() -> Console:
    out = Console(highlight=False)
    if not out.is_terminal:
        out = Console(highlight=False, width=200, no_color=True)
    return out


def fail(message: str, code: int) -> typer.Exit:
    sys.stderr.write(f"error: {' '.join(message.split())}\n")
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


def emit_json(doc: Any) -> None:
    sys.stdout.write(json.dumps(doc, indent=2, ensure_ascii=False, default=_default) + "\n")


def _default(v: Any) -> Any:
    if isinstance(v, (dt.date, dt.datetime)):
        return v.isoformat()
    raise TypeError(f"not JSON serialisable: {type(v).__name__}")


def parse_date(value: str | None, option: str) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError as e:
        raise InputError(f"{option}: bad date {value!r} ({e}; use YYYY-MM-DD)") from None


def table(*columns: str, title: str | None = None) -> Table:
    t = Table(title=title, title_justify="left", header_style="bold")
    for c in columns:
        t.add_column(c, overflow="fold")
    return t


def fmt(v: Any) -> str:
    if v is None:
        return "—"
    if isinstance(v, dt.datetime):
        return v.strftime("%Y-%m-%d %H:%M")
    if isinstance(v, dt.date):
        return v.isoformat()
    return str(v)


STATE_STYLE = {
    "overdue": "bold red",
    "late": "red",
    "due_soon": "yellow",
    "met": "green",
    "waiting": "cyan",
    "upcoming": "",
    "none": "dim",
}
