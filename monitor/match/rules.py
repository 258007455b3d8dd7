"""What a milestone asks of an item: its match rule and its own signal vocabulary, as terms.

The config builds these (definitions/); the matcher reads them. They live here so that matching needs nothing
from the config's models.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Protocol

from .terms import Term


@dataclass(frozen=True)
class MatchRule:
    all: tuple[tuple[Term, ...], ...] = ()  # each group must occur (any term of the group)
    any: tuple[Term, ...] = ()  # at least one must occur (when given)
    none: tuple[Term, ...] = ()  # none may occur
    not_before: dt.date | None = None  # an item published earlier is about something before the agreement


class MilestoneRule(Protocol):
    """What the matcher reads of a milestone (a definitions.MilestoneDef is one): its id, its rule (None: it is
    never matched) and its own signal terms, which are tried before the global ones."""

    @property
    def id(self) -> str: ...

    @property
    def match(self) -> MatchRule | None: ...

    @property
    def signals(self) -> tuple[tuple[str, tuple[Term, ...]], ...]: ...
