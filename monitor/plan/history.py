"""What a milestone's history says once corrections and undos are read as what they are. Pure.

A history row is a change (the world moved), a correction (an earlier record was wrong: its date or evidence) or
an undo (an earlier row taken back). Every reader that replays a history, the CLI's undo, the report's trend
chart and change feed, the digest, reads it through these functions, so they tell the same story.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, TypeVar


class Row(Protocol):
    @property
    def id(self) -> int: ...
    @property
    def kind(self) -> str: ...
    @property
    def refers_to(self) -> int | None: ...


R = TypeVar("R", bound=Row)


def standing(rows: Sequence[R]) -> list[R]:
    """The rows that still stand, in the order given: changes and corrections that no undo has reverted."""
    undone = {r.refers_to for r in rows if r.kind == "undo"}
    return [r for r in rows if r.kind != "undo" and r.id not in undone]


def in_effect(rows: Sequence[R]) -> list[R]:
    """The standing rows, less those a standing correction replaced: the record as it is now believed, one row
    per thing that happened (a completion amended from 1 to 4 March counts from the 4th only)."""
    up = standing(rows)
    corrected = {r.refers_to for r in up if r.kind == "correction"}
    return [r for r in up if r.id not in corrected]


def kind_phrase(kind: str, refers_to: int | None) -> str:
    """How a row that is not a plain change is announced: "correction of #3", "undo of #5"; "" for a change."""
    if kind == "change":
        return ""
    return f"{kind} of #{refers_to}" if refers_to is not None else kind
