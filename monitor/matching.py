"""Matching as a parse worker does it: the cycle's rules and scope in one picklable value (MatchSpec), so each new
item is matched where it is parsed, on the worker processes, and the monitor process only records the evidence.

Only match/ is imported here (pure): a worker loads no definitions, database or HTTP code for it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from .match.engine import ItemText, Matcher, MatchResult, build_matcher
from .match.rules import MatchRule, MilestoneRule
from .match.stories import canonical_link, headline_key
from .match.terms import Term


class Matchable(Protocol):
    """What matching reads of an item (sources' ParsedItem is one)."""

    @property
    def title(self) -> str: ...
    @property
    def text(self) -> str: ...
    @property
    def link(self) -> str | None: ...
    @property
    def content_hash(self) -> str: ...
    @property
    def published(self) -> dt.datetime: ...


@dataclass(frozen=True)
class Rule:
    """What the matcher reads of a milestone, copied from its definition (match.rules.MilestoneRule)."""

    id: str
    match: MatchRule | None
    signals: tuple[tuple[str, tuple[Term, ...]], ...]


@dataclass(frozen=True)
class Matched:
    """One item's matches, keyed by its content: the same title and text match the same way."""

    content_hash: str
    results: tuple[MatchResult, ...]
    story_key: str
    story_title: str


@dataclass(frozen=True)
class MatchSpec:
    """The rules, vocabularies, threshold and scope (open milestones) of one poll cycle."""

    token: str  # tells one cycle's spec from another's: a worker builds its matcher once per token
    rules: tuple[Rule, ...]
    aliases: Mapping[str, tuple[Term, ...]]
    signals: Mapping[str, tuple[Term, ...]]
    threshold: float
    scope: frozenset[str]

    @classmethod
    def of(
        cls,
        token: str,
        milestones: Sequence[MilestoneRule],
        aliases: Mapping[str, tuple[Term, ...]],
        signals: Mapping[str, tuple[Term, ...]],
        threshold: float,
        scope: Sequence[str],
    ) -> MatchSpec:
        rules = tuple(Rule(m.id, m.match, tuple(m.signals)) for m in milestones)
        return cls(token, rules, dict(aliases), dict(signals), threshold, frozenset(scope))

    def build(self) -> Matcher:
        return build_matcher(self.rules, self.aliases, self.signals, self.threshold)


_built: tuple[str, Matcher] | None = None  # this process's matcher, and the token of the spec it was built for


def match_items(spec: MatchSpec, items: Sequence[Matchable]) -> tuple[Matched, ...]:
    """Each item's matches under `spec`, as evidence.match_pending would find them for the stored item."""
    global _built
    if _built is None or _built[0] != spec.token:
        _built = (spec.token, spec.build())
    matcher = _built[1]
    return tuple(matched(matcher, i, spec.scope) for i in items)


def matched(matcher: Matcher, item: Matchable, scope: frozenset[str]) -> Matched:
    """One item's matches among the milestones in `scope`, and the story it tells (where it and its copies meet):
    the one way both the parse workers and the monitor process match an item."""
    return Matched(
        item.content_hash,
        tuple(matcher.match(ItemText(item.title, item.text, item.published.date()), scope)),
        canonical_link(item.link),
        headline_key(item.title),
    )
