"""Evidence in the database: matches, their sources, review state. One transaction per batch of items."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Table, bindparam, delete, insert, or_, select, update
from sqlalchemy.orm import Session

from ..match.engine import MatchResult
from .engine import EVIDENCE_LOCK, Database, serialise
from .schema import Item, Match, MatchSource, Milestone


@dataclass(frozen=True)
class StoredItem:
    id: int
    feed_id: str
    title: str
    text: str
    link: str | None
    published: dt.datetime


@dataclass(frozen=True)
class ItemMatches:
    item: StoredItem
    results: Sequence[MatchResult]
    story_key: str
    story_title: str


@dataclass
class MatchCounts:
    added: int = 0
    removed: int = 0


def items_to_match(db: Database, batch: int, only_pending: bool) -> Iterator[list[StoredItem]]:
    """Stored items in id order, in batches; only those marked for matching unless `only_pending` is false."""
    last = 0
    while True:
        with db.read() as s:
            q = select(Item.id, Item.feed_id, Item.title, Item.text, Item.link, Item.published).where(Item.id > last)
            if only_pending:
                q = q.where(Item.needs_match.is_(True))
            rows = [StoredItem(*r) for r in s.execute(q.order_by(Item.id).limit(batch))]
        if not rows:
            return
        yield rows
        last = rows[-1].id


def record(db: Database, batch: Sequence[ItemMatches], scope: Collection[str], now: dt.datetime) -> MatchCounts:
    """Store one batch's results for the milestones in `scope`: new evidence added, evidence that no longer
    holds removed, unless someone has reviewed it. Marks the items as matched.

    A fixed number of statements per batch, whatever the number of matches: the evidence the batch can touch is
    loaded first, stories are resolved in Python (two items of one batch can be the same story), and new
    matches and sources are inserted in bulk.

    Writers take turns (two polls matching the same new items at once): the transaction holds a lock before it
    loads the evidence, so what it loads is current and the second writer adds to the first one's evidence
    instead of inserting the same match again."""
    counts = MatchCounts()
    scope = list(scope)
    ids = [b.item.id for b in batch]
    milestones = {r.milestone for b in batch for r in b.results}
    with db.write() as s:
        serialise(s, EVIDENCE_LOCK)
        known: dict[tuple[str, str, Any], _Known] = {}  # ("item" | "link" | "title", milestone, key) -> evidence
        if milestones:
            keys = {b.story_key for b in batch if b.story_key}
            titles = {b.story_title for b in batch if b.story_title}
            rows = s.execute(
                select(Match.id, Match.milestone_id, Match.item_id, Match.state, Match.story_key, Match.story_title)
                .where(Match.milestone_id.in_(milestones))
                .where(or_(Match.item_id.in_(ids), Match.story_key.in_(keys), Match.story_title.in_(titles)))
            )
            for mid, ms, item_id, state, key, title in rows:
                _remember(known, _Known(mid, ms, item_id, state), key, title)
        sources: set[tuple[int, int]] = set()
        previous: dict[int, list[tuple[int, str, str]]] = {}
        for match_id, item_id, ms, state in s.execute(
            select(MatchSource.match_id, MatchSource.item_id, Match.milestone_id, Match.state)
            .join(Match, Match.id == MatchSource.match_id)
            .where(MatchSource.item_id.in_(ids))
        ):
            sources.add((match_id, item_id))
            if ms in scope:
                previous.setdefault(item_id, []).append((match_id, ms, state))

        new: list[dict[str, Any]] = []
        new_sources: list[tuple[_Known, int]] = []
        refresh: list[dict[str, Any]] = []
        dropped: list[tuple[int, int]] = []
        latest: dict[str, dt.datetime] = {}
        for b in batch:
            wanted = {r.milestone: r for r in b.results}
            dropped += [
                (mid, b.item.id)
                for mid, ms, state in previous.get(b.item.id, ())
                if ms not in wanted and state == "new"
            ]
            for r in b.results:
                hit = (
                    known.get(("item", r.milestone, b.item.id))
                    or (known.get(("link", r.milestone, b.story_key)) if b.story_key else None)
                    or (known.get(("title", r.milestone, b.story_title)) if b.story_title else None)
                )
                if hit is None:
                    hit = _Known(None, r.milestone, b.item.id, "new", pending=len(new))
                    new.append(
                        {
                            "item_id": b.item.id,
                            "milestone_id": r.milestone,
                            "score": r.score,
                            "terms": list(r.terms),
                            "snippet": r.snippet,
                            "signal": r.signal,
                            "state": "new",
                            "story_key": b.story_key,
                            "story_title": b.story_title,
                            "created_at": now,
                        }
                    )
                    _remember(known, hit, b.story_key, b.story_title)
                elif hit.id is not None and hit.state == "new" and hit.item_id == b.item.id:
                    refresh.append(
                        {
                            "b_id": hit.id,
                            "score": r.score,
                            "terms": list(r.terms),
                            "snippet": r.snippet,
                            "signal": r.signal,
                        }
                    )
                new_sources.append((hit, b.item.id))
                if r.milestone not in latest or latest[r.milestone] < b.item.published:
                    latest[r.milestone] = b.item.published

        if new:
            inserted = s.execute(insert(Match).returning(Match.id, sort_by_parameter_order=True), new).scalars().all()
            pending = {i: mid for i, mid in enumerate(inserted)}
            counts.added = len(inserted)
        else:
            pending = {}
        rows_to_add = []
        for hit, item_id in new_sources:
            mid = hit.id if hit.id is not None else pending[hit.pending]
            if (mid, item_id) not in sources:
                sources.add((mid, item_id))
                rows_to_add.append({"match_id": mid, "item_id": item_id})
        if rows_to_add:
            s.execute(insert(MatchSource), rows_to_add)
        if refresh:
            table = cast(Table, Match.__table__)
            s.connection().execute(
                update(table)
                .where(table.c.id == bindparam("b_id"))
                .values(
                    score=bindparam("score"),
                    terms=bindparam("terms"),
                    snippet=bindparam("snippet"),
                    signal=bindparam("signal"),
                ),
                refresh,
            )
        counts.removed = _drop_sources(s, dropped)
        for ms, when in latest.items():
            s.execute(
                update(Milestone)
                .where(Milestone.id == ms)
                .where(or_(Milestone.last_evidence_at.is_(None), Milestone.last_evidence_at < when))
                .values(last_evidence_at=when)
            )
        s.execute(update(Item).where(Item.id.in_(ids)).values(needs_match=False))
    return counts


@dataclass
class _Known:
    id: int | None  # None until inserted
    milestone: str
    item_id: int
    state: str
    pending: int = -1  # index among this batch's new matches


def _remember(known: dict[tuple[str, str, Any], _Known], k: _Known, key: str, title: str) -> None:
    known.setdefault(("item", k.milestone, k.item_id), k)
    if key:
        known.setdefault(("link", k.milestone, key), k)
    if title:
        known.setdefault(("title", k.milestone, title), k)


def _drop_sources(s: Session, dropped: list[tuple[int, int]]) -> int:
    """Remove items from evidence that no longer holds for them; evidence left with no source is deleted, and
    evidence whose primary item left points at one of its other sources."""
    if not dropped:
        return 0
    for match_id, item_id in dropped:
        s.execute(delete(MatchSource).where(MatchSource.match_id == match_id, MatchSource.item_id == item_id))
    touched = {m for m, _ in dropped}
    left: dict[int, int] = {}
    for match_id, item_id in s.execute(
        select(MatchSource.match_id, MatchSource.item_id).where(MatchSource.match_id.in_(touched))
    ):
        left.setdefault(match_id, item_id)
    gone = touched - set(left)
    if gone:
        s.execute(delete(Match).where(Match.id.in_(gone)))
    for match_id, item_id in left.items():
        s.execute(
            update(Match)
            .where(
                Match.id == match_id,
                Match.item_id.not_in(select(MatchSource.item_id).where(MatchSource.match_id == match_id)),
            )
            .values(item_id=item_id)
        )
    return len(gone)
