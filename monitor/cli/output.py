"""Output helpers: rich tables for people, one JSON document for scripts, `error: ...` lines on stderr (context.fail).

Imported by a command when it runs (it imports rich), never when the app is built."""

from __future__ import annotations

import datetime as dt
import os
import sys
from typing import Any

from rich.console import Console, RenderableType
from rich.style import StyleType
from rich.table import Table
from rich.text import Text

from ..errors import InputError
from .context import fail as fail  # the `error:` line, kept where it always was for callers
from .context import guarded as guarded
from .safe import safe_text, visible


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
    """The console for stdout; `options` go to rich's Console (tests pass force_terminal). Not a terminal (a pipe,
    a file), it is 200 columns wide unless $COLUMNS says otherwise, and colourless."""
    out = SafeConsole(**options)
    if not out.is_terminal:
        out = SafeConsole(**{"width": _columns() or 200, "no_color": True, **options})
    return out


def _columns() -> int | None:

    value = os.environ.get("COLUMNS", "")
    return int(value) if value.isdigit() and int(value) > 0 else None


def emit_json(doc: Any) -> None:
    """One JSON document on stdout: views and reports through the one serialiser (monitor.views.to_json)."""
    from ..views import json_document, to_json

    sys.stdout.write(json_document(to_json(doc)) + "\n")


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
