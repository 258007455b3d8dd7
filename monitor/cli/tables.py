"""Tables that fit the terminal: ids, dates and numbers never wrap or get cut (they are what people copy into the
next command); text columns wrap; when even that does not fit, columns of less value are shortened or dropped, in
the order the command gives.

Imported by a command when it runs (it imports rich), never when the app is built."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from rich.cells import cell_len
from rich.console import Group, RenderableType
from rich.text import Text

from .output import SafeTable, _shown

Justify = Literal["left", "right", "center"]


@dataclass(frozen=True)
class Column:
    """One column: its header and cells (str or Text). A `wrap` column is text that may wrap onto several lines,
    never narrower than `min_width`; any other column keeps every cell on one line, whole."""

    header: str
    cells: Sequence[Any]
    wrap: bool = False
    min_width: int = 12
    justify: Justify = "left"
    name: str = ""  # what steps call it (default: the header), kept by its shorter forms

    @property
    def key(self) -> str:
        return self.name or self.header

    def natural(self) -> int:
        return max([_width(self.header), *(_width(c) for c in self.cells)])

    def needs(self) -> int:
        """The narrowest this column can be without breaking a promise."""
        return min(self.natural(), self.min_width) if self.wrap else self.natural()


def _width(cell: Any) -> int:
    if isinstance(cell, Text):
        return cell.cell_len
    return cell_len(str(cell)) if cell is not None else 0


def table_width(columns: Sequence[Column]) -> int:
    """The narrowest table of these columns: their needs, a space of padding each side, and the rules between."""
    return sum(c.needs() for c in columns) + 3 * len(columns) + 1


Step = Callable[[list[Column]], list[Column]]  # makes a table narrower: columns in, fewer or shorter columns out


def drop(key: str) -> Step:
    """A step that drops the column called `key`."""
    return lambda columns: [c for c in columns if c.key != key]


def swap(key: str, by: Callable[[], Column]) -> Step:
    """A step that replaces the column called `key` with `by()` (a shorter form of it)."""
    return lambda columns: [by() if c.key == key else c for c in columns]


@dataclass
class Layout:
    """Columns, and the steps that make the table narrower, the least valuable first."""

    columns: list[Column]
    steps: list[Step] = field(default_factory=list)

    def fit(self, width: int) -> list[Column]:
        """The columns after as few steps as make the table fit `width` (all of them when nothing else does)."""
        columns = list(self.columns)
        for step in self.steps:
            if table_width(columns) <= width:
                break
            columns = step(columns)
        return columns


def build(columns: Sequence[Column], title: str | None = None) -> RenderableType:
    """A rich table of these columns (cells shown as text, never markup, control characters visible), under its
    title (a line of its own, not padded to the table's width)."""
    t = SafeTable(header_style="bold")
    for c in columns:
        if c.wrap:
            t.add_column(c.header, overflow="fold", min_width=c.needs(), justify=c.justify)
        else:
            t.add_column(c.header, no_wrap=True, min_width=c.needs(), justify=c.justify)
    for row in zip(*(c.cells for c in columns), strict=True):
        t.add_row(*row)
    return t if title is None else Group(_shown(title), t)


def fitted(layout: Layout, width: int, title: str | None = None) -> RenderableType:
    return build(layout.fit(width), title)
