"""What an html listing source is told to pick: CSS selectors for the rows and, inside a row, the title, the
link (`a@href` takes an attribute) and an optional date. Built from feeds.yaml by definitions/."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SelectDef:
    item: str
    title: str
    link: str
    date: str | None = None
