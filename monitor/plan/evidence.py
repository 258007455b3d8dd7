"""Add, refresh, merge or drop evidence: one batch of match results against the evidence it can touch.

One piece of evidence (a match) is one story for one milestone, found in one or more items (its sources); its
primary item is the one it shows. For each item of the batch and each milestone it matched:

- the same story already has evidence for that milestone (the same item, else the same canonical link, else the
  same headline) → the item becomes one of its sources; when it is the evidence's own item and nobody has
  reviewed it yet, its score, terms, snippet and signal are refreshed;
- otherwise → new evidence, with the item as its first source (two items of one batch telling the same story
  make one new match with two sources).

An item that no longer matches a milestone in scope leaves that milestone's unreviewed evidence: evidence left
with no source is deleted, evidence whose primary item left shows one of its other sources. Reviewed evidence is
never refreshed, re-pointed or dropped, and milestones outside the scope are not touched.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

NEW = "new"  # the state of evidence nobody has reviewed


class Found(Protocol):
    """What the planner reads of one match result (match.engine's MatchResult is one)."""

    @property
    def milestone(self) -> str: ...

    @property
    def score(self) -> float: ...

    @property
    def terms(self) -> tuple[str, ...]: ...

    @property
    def signal(self) -> str: ...

    @property
    def snippet(self) -> str: ...


@dataclass(frozen=True)
class BatchItem:
    """One item of the batch: what it matched, and its story's keys (canonical link, headline; "" for none)."""

    item_id: int
    content_hash: str  # the content that was matched
    published: dt.datetime
    results: Sequence[Found]
    story_key: str
    story_title: str


@dataclass(frozen=True)
class Evidence:
    """A stored match the batch can touch: for one of the batch's milestones, of one of its items or stories."""

    id: int
    milestone: str
    item_id: int  # the primary item
    state: str
    story_key: str
    story_title: str


@dataclass(frozen=True)
class Source:
    """A stored source of a match that has one of the batch's items among its sources."""

    match_id: int
    item_id: int
    milestone: str  # the match's
    state: str  # the match's
    primary_item_id: int  # the match's


@dataclass(frozen=True)
class Pending:
    """A match this plan inserts: its index among the plan's new matches."""

    index: int


@dataclass(frozen=True)
class NewMatch:
    item_id: int
    milestone: str
    score: float
    terms: tuple[str, ...]
    snippet: str
    signal: str
    story_key: str
    story_title: str
    created_at: dt.datetime
    state: str = NEW


@dataclass(frozen=True)
class NewSource:
    match: int | Pending  # a stored match's id, or one of the plan's new matches
    item_id: int


@dataclass(frozen=True)
class Refresh:
    match_id: int
    score: float
    terms: tuple[str, ...]
    snippet: str
    signal: str


@dataclass(frozen=True)
class Repoint:
    match_id: int
    item_id: int  # the new primary item


@dataclass(frozen=True)
class EvidencePlan:
    new_matches: tuple[NewMatch, ...] = ()
    new_sources: tuple[NewSource, ...] = ()
    refreshes: tuple[Refresh, ...] = ()
    dropped_sources: tuple[tuple[int, int], ...] = ()  # (match id, item id)
    deleted_matches: tuple[int, ...] = ()  # left with no source
    repoints: tuple[Repoint, ...] = ()
    last_evidence: tuple[tuple[str, dt.datetime], ...] = ()  # (milestone, latest publication in the batch)
    matched: tuple[tuple[int, str], ...] = ()  # (item id, content hash) to mark matched, if still that content


@dataclass(frozen=True)
class _Hit:
    match: int | Pending
    milestone: str
    item_id: int
    state: str


_Index = dict[tuple[str, str, int | str], _Hit]  # ("item" | "link" | "title", milestone, key) -> evidence


def _remember(known: _Index, hit: _Hit, story_key: str, story_title: str) -> None:
    known.setdefault(("item", hit.milestone, hit.item_id), hit)
    if story_key:
        known.setdefault(("link", hit.milestone, story_key), hit)
    if story_title:
        known.setdefault(("title", hit.milestone, story_title), hit)


def _lookup(known: _Index, milestone: str, b: BatchItem) -> _Hit | None:
    return (
        known.get(("item", milestone, b.item_id))
        or (known.get(("link", milestone, b.story_key)) if b.story_key else None)
        or (known.get(("title", milestone, b.story_title)) if b.story_title else None)
    )


def plan_evidence(
    batch: Sequence[BatchItem],
    evidence: Iterable[Evidence],
    sources: Iterable[Source],
    scope: Collection[str],
    now: dt.datetime,
) -> EvidencePlan:
    """What to write for one batch's results for the milestones in `scope`, given the stored evidence of the
    batch's milestones, items and stories (the first of several for one story wins) and every source of the
    matches the batch's items are sources of. New evidence is created `now`."""
    known: _Index = {}
    for e in evidence:
        _remember(known, _Hit(e.id, e.milestone, e.item_id, e.state), e.story_key, e.story_title)
    ids = {b.item_id for b in batch}
    in_scope = set(scope)
    stored: dict[int, list[int]] = {}  # match id -> its source items
    primary: dict[int, int] = {}
    previous: dict[int, list[Source]] = {}  # item id -> the in-scope matches it is a source of
    for src in sources:
        stored.setdefault(src.match_id, []).append(src.item_id)
        primary[src.match_id] = src.primary_item_id
        if src.item_id in ids and src.milestone in in_scope:
            previous.setdefault(src.item_id, []).append(src)

    new: list[NewMatch] = []
    added: list[NewSource] = []
    have: set[tuple[int | Pending, int]] = {(m, i) for m, items in stored.items() for i in items}
    refreshes: list[Refresh] = []
    dropped: list[tuple[int, int]] = []
    latest: dict[str, dt.datetime] = {}
    for b in batch:
        wanted = {r.milestone for r in b.results}
        dropped += [
            (src.match_id, b.item_id)
            for src in previous.get(b.item_id, ())
            if src.milestone not in wanted and src.state == NEW
        ]
        for r in b.results:
            hit = _lookup(known, r.milestone, b)
            if hit is None:
                hit = _Hit(Pending(len(new)), r.milestone, b.item_id, NEW)
                terms = tuple(r.terms)
                new.append(
                    NewMatch(
                        b.item_id, r.milestone, r.score, terms, r.snippet, r.signal, b.story_key, b.story_title, now
                    )
                )
                _remember(known, hit, b.story_key, b.story_title)
            elif isinstance(hit.match, int) and hit.state == NEW and hit.item_id == b.item_id:
                refreshes.append(Refresh(hit.match, r.score, tuple(r.terms), r.snippet, r.signal))
            if (hit.match, b.item_id) not in have:
                have.add((hit.match, b.item_id))
                added.append(NewSource(hit.match, b.item_id))
            if r.milestone not in latest or latest[r.milestone] < b.published:
                latest[r.milestone] = b.published

    deleted, repoints = _after_drops(dropped, stored, primary, added)
    return EvidencePlan(
        tuple(new),
        tuple(added),
        tuple(refreshes),
        tuple(dropped),
        deleted,
        repoints,
        tuple(latest.items()),
        tuple((b.item_id, b.content_hash) for b in batch),
    )


def _after_drops(
    dropped: Sequence[tuple[int, int]],
    stored: dict[int, list[int]],
    primary: dict[int, int],
    added: Sequence[NewSource],
) -> tuple[tuple[int, ...], tuple[Repoint, ...]]:
    """The matches that lost sources: those left with none (deleted), and those whose primary item left (shown
    by their remaining source with the lowest item id)."""
    touched = list(dict.fromkeys(m for m, _ in dropped))
    gone = set(dropped)
    joined: dict[int, set[int]] = {}
    for s in added:
        if isinstance(s.match, int):
            joined.setdefault(s.match, set()).add(s.item_id)
    deleted: list[int] = []
    repoints: list[Repoint] = []
    for match_id in touched:
        left = {i for i in stored.get(match_id, ()) if (match_id, i) not in gone} | joined.get(match_id, set())
        if not left:
            deleted.append(match_id)
        elif primary[match_id] not in left:
            repoints.append(Repoint(match_id, min(left)))
    return tuple(deleted), tuple(repoints)
