"""Tables that fit the terminal: the columns a user copies into the next command (ids, dates, counts) never wrap
or shrink; free text (titles, errors) folds into what is left; low-value columns are left out on narrow screens.

Cells are shown through output's SafeTable: text, never markup, control characters visible."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from rich.table import Table
from rich.text import Text

from .output import SafeTable, _shown

Cell = str | Text


@dataclass(frozen=True)
class Col:
    name: str
    kind: Literal["key", "num", "text"] = "key"  # key: ids, dates, states, never wrapped; num: right-aligned
    hide_below: int = 0  # left out when the console is narrower than this


def fitted(cols: Sequence[Col], rows: Sequence[Sequence[Cell]], width: int, title: str | None = None) -> Table:
    """A table of `rows` for a console `width` columns wide (see the module's docstring)."""
    shown = [i for i, c in enumerate(cols) if width >= c.hide_below]
    t = SafeTable(title=_shown(title), title_justify="left", header_style="bold")  # the box every table has
    for i in shown:
        c = cols[i]
        longest = max((_width(r[i]) for r in rows), default=0)
        if c.kind == "text":
            t.add_column(c.name, overflow="fold", ratio=1, min_width=min(12, max(longest, len(c.name))))
        else:
            t.add_column(
                c.name,
                no_wrap=True,
                min_width=max(longest, len(c.name)),
                justify="right" if c.kind == "num" else "left",
            )
    for r in rows:
        t.add_row(*(r[i] for i in shown))
    return t


def _width(cell: Cell) -> int:
    return _shown(cell).cell_len  # as it is printed: control characters made visible
