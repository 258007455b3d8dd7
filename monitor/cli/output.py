"""Output helpers: rich tables for people, one JSON document for scripts, `error: ...` lines on stderr."""

from __future__ import annotations

import datetime as dt
import functools
import json
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import typer
from rich.console import Console, RenderableType
from rich.style import StyleType
from rich.table import Table
from rich.text import Text

from ..errors import InputError, MonitorError
from .safe import json_visible, safe_text, visible

F = TypeVar("F", bound=Callable[..., Any])


def _shown(obj: Any) -> Any:
    """A string or Text as safe Text (never markup, control characters visible); other renderables as they are."""
    if isinstance(obj, str):
        return Text(visible(obj))
    if isinstance(obj, Text):
        return safe_text(obj)
    return obj


class SafeConsole(Console):
    """A console for data: markup, emoji codes and highlighting off, every string and Text printed through
    `visible()`. Tables made by `table()` do the same for their cells."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**{**options, "markup": False, "emoji": False, "highlight": False})

    def print(self, *objects: Any, **kwargs: Any) -> None:
        super().print(*(_shown(o) for o in objects), **kwargs)


class SafeTable(Table):
    def add_row(
        self, *renderables: RenderableType | None, style: StyleType | None = None, end_section: bool = False
    ) -> None:
        super().add_row(*(_shown(r) for r in renderables), style=style, end_section=end_section)


def console(**options: Any) -> Console:
    """The console for stdout; `options` go to rich's Console (tests pass force_terminal)."""
    out = SafeConsole(**options)
    if not out.is_terminal:
        out = SafeConsole(**{"width": 200, "no_color": True, **options})
    return out


def fail(message: str, code: int) -> typer.Exit:
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


def emit_json(doc: Any) -> None:
    sys.stdout.write(json_visible(json.dumps(doc, indent=2, ensure_ascii=False, default=_default)) + "\n")


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
    """A table whose cells are shown as text, never markup, with control characters visible."""
    t = SafeTable(title=_shown(title), title_justify="left", header_style="bold")
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
