"""Is each fetched item new, changed or the same as what is stored under its key?"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar


class Incoming(Protocol):
    """What the planner reads of a fetched item (sources' ParsedItem is one)."""

    @property
    def key(self) -> str: ...

    @property
    def content_hash(self) -> str: ...


T = TypeVar("T", bound=Incoming)


@dataclass(frozen=True)
class StoredVersion:
    """The stored item under a key: its row id and the hash of the content it was stored with."""

    id: int
    content_hash: str


@dataclass(frozen=True)
class ItemPlan(Generic[T]):
    insert: tuple[T, ...] = ()  # keys not stored yet
    update: tuple[tuple[int, T], ...] = ()  # (stored id, item) whose content changed
    same: tuple[T, ...] = ()  # stored with this very content: nothing to write
    repeated: tuple[T, ...] = ()  # a key already seen earlier in this batch: the first one counts


def plan_items(existing: Mapping[str, StoredVersion], incoming: Sequence[T]) -> ItemPlan[T]:
    """Sort one feed's fetched items against the stored versions of their keys, in the order they came."""
    insert: list[T] = []
    update: list[tuple[int, T]] = []
    same: list[T] = []
    repeated: list[T] = []
    seen: set[str] = set()
    for it in incoming:
        if it.key in seen:
            repeated.append(it)
            continue
        seen.add(it.key)
        stored = existing.get(it.key)
        if stored is None:
            insert.append(it)
        elif stored.content_hash == it.content_hash:
            same.append(it)
        else:
            update.append((stored.id, it))
    return ItemPlan(tuple(insert), tuple(update), tuple(same), tuple(repeated))
