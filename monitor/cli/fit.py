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
    hide_below: int = 0  # left out when the console is narrower than this (0: never left out for that)
    keep: bool = True  # False: also left out, widest hide_below first, while the rows do not fit the width

TEXT_MIN = 12  # the narrowest a folding column gets


def fitted(cols: Sequence[Col], rows: Sequence[Sequence[Cell]], width: int, title: str | None = None) -> Table:
    """A table of `rows` for a console `width` columns wide (see the module's docstring). Columns narrower than
    `hide_below` are left out; then, while what is left is wider than the console (long ids in a narrow
    terminal), the droppable ones (`keep=False`) go, those with the widest `hide_below` first."""
    shown = [i for i, c in enumerate(cols) if width >= c.hide_below]
    longest = {i: max((_width(r[i]) for r in rows), default=0) for i in range(len(cols))}

    def need(columns: list[int]) -> int:  # rich's box: one border, plus a separator and two spaces per column
        return 1 + sum(
            3 + (min(TEXT_MIN, max(longest[i], len(cols[i].name))) if cols[i].kind == "text"
                 else max(longest[i], len(cols[i].name)))
            for i in columns
        )  # fmt: skip

    droppable = sorted((i for i in shown if not cols[i].keep), key=lambda i: (-cols[i].hide_below, -i))
    while need(shown) > width and droppable:
        shown.remove(droppable.pop(0))
    t = SafeTable(title=_shown(title), title_justify="left", header_style="bold")  # the box every table has
    for i in shown:
        c = cols[i]
        if c.kind == "text":
            t.add_column(c.name, overflow="fold", ratio=1, min_width=min(TEXT_MIN, max(longest[i], len(c.name))))
        else:
            t.add_column(
                c.name,
                no_wrap=True,
                min_width=max(longest[i], len(c.name)),
                justify="right" if c.kind == "num" else "left",
            )
    for r in rows:
        t.add_row(*(r[i] for i in shown))
    return t


def _width(cell: Cell) -> int:
    return _shown(cell).cell_len  # as it is printed: control characters made visible
