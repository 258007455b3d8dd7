"""What a milestone asks of an item: its match rule and its own signal vocabulary, as terms.

The config builds these (definitions/); the matcher reads them. They live here so that matching needs nothing
from the config's models.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Protocol

from .terms import Term

# An item dated the day before a rule's date still counts as of that day: its date is the UTC one, which for a feed
# east of UTC can be the day before the local one ("26 Oct 2025 00:00 +0800" is 25 October in UTC).
DATE_SLACK_DAYS = 1


@dataclass(frozen=True)
class MatchRule:
    all: tuple[tuple[Term, ...], ...] = ()  # each group must occur (any term of the group)
    any: tuple[Term, ...] = ()  # at least one must occur (when given)
    none: tuple[Term, ...] = ()  # none may occur
    not_before: dt.date | None = None  # an item published earlier is about something before the agreement
    # the day the milestone was completed, when known (`match.completed_on`): a completion word in an item
    # published more than a day before it is read as progress (the pledge, a plan, or the step announced early)
    completed_on: dt.date | None = None


class MilestoneRule(Protocol):
    """What the matcher reads of a milestone (a definitions.MilestoneDef is one): its id, its rule (None: it is
    never matched) and its own signal terms, which are tried before the global ones."""

    @property
    def id(self) -> str: ...

    @property
    def match(self) -> MatchRule | None: ...

    @property
    def signals(self) -> tuple[tuple[str, tuple[Term, ...]], ...]: ...
