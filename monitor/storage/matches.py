"""Evidence in the database: matches, their sources, review state. One transaction per batch of items."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass
from typing import cast

from sqlalchemy import Table, bindparam, delete, insert, or_, select, tuple_, update
from sqlalchemy.orm import Session

from ..match.engine import MatchResult
from ..plan.evidence import BatchItem, Evidence, EvidencePlan, Pending, Source, plan_evidence
from .engine import EVIDENCE_LOCK, Database, serialise
from .schema import Item, Match, MatchSource, Milestone

MARK_CHUNK = 400  # (feed, hash) pairs per statement: 800 parameters, under every backend's limit


@dataclass(frozen=True)
class StoredItem:
    id: int
    feed_id: str
    title: str
    text: str
    link: str | None
    published: dt.datetime
    content_hash: str  # of the title and text above: a poll that rewrites the item meanwhile changes it


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
            q = select(
                Item.id, Item.feed_id, Item.title, Item.text, Item.link, Item.published, Item.content_hash
            ).where(Item.id > last)
            if only_pending:
                q = q.where(Item.needs_match.is_(True))
            rows = [StoredItem(*r) for r in s.execute(q.order_by(Item.id).limit(batch))]
        if not rows:
            return
        yield rows
        last = rows[-1].id


def mark_for_matching(db: Database, contents: Sequence[tuple[str, str]]) -> None:
    """Mark the items of these (feed, content hash) for matching again (a cycle whose scope changed under it)."""
    with db.write() as s:
        for start in range(0, len(contents), MARK_CHUNK):
            s.execute(
                update(Item)
                .where(tuple_(Item.feed_id, Item.content_hash).in_(contents[start : start + MARK_CHUNK]))
                .values(needs_match=True)
                .execution_options(synchronize_session=False)
            )


def has_pending(db: Database) -> bool:
    """Whether any item is marked for matching (one indexed lookup: a cycle that stored nothing builds no matcher)."""
    with db.read() as s:
        return s.scalar(select(Item.id).where(Item.needs_match.is_(True)).limit(1)) is not None


def record(db: Database, batch: Sequence[ItemMatches], scope: Collection[str], now: dt.datetime) -> MatchCounts:
    """Store one batch's results for the milestones in `scope`: new evidence added, evidence that no longer
    holds removed, unless someone has reviewed it (monitor.plan.evidence decides). Marks the items as matched,
    each only if its content is still the one that was matched: a poll that rewrote it meanwhile left it marked.

    A fixed number of statements per batch, whatever the number of matches: the evidence the batch can touch is
    loaded first, the plan is made in Python (two items of one batch can be the same story), and new matches
    and sources are inserted in bulk.

    Writers take turns (two polls matching the same new items at once): the transaction holds a lock before it
    loads the evidence, so what it loads is current and the second writer adds to the first one's evidence
    instead of inserting the same match again."""
    items = [
        BatchItem(b.item.id, b.item.content_hash, b.item.published, b.results, b.story_key, b.story_title)
        for b in batch
    ]
    with db.write() as s:
        serialise(s, EVIDENCE_LOCK)
        plan = plan_evidence(items, _evidence(s, items), _sources(s, items), scope, now)
        return _apply(s, plan)


def _evidence(s: Session, batch: Sequence[BatchItem]) -> list[Evidence]:
    """The stored matches of the batch's milestones that are of its items, or of its stories, oldest first."""
    milestones = {r.milestone for b in batch for r in b.results}
    if not milestones:
        return []
    ids = [b.item_id for b in batch]
    keys = {b.story_key for b in batch if b.story_key}
    titles = {b.story_title for b in batch if b.story_title}
    rows = s.execute(
        select(Match.id, Match.milestone_id, Match.item_id, Match.state, Match.story_key, Match.story_title)
        .where(Match.milestone_id.in_(milestones))
        .where(or_(Match.item_id.in_(ids), Match.story_key.in_(keys), Match.story_title.in_(titles)))
        .order_by(Match.id)
    )
    return [Evidence(*r) for r in rows]


def _sources(s: Session, batch: Sequence[BatchItem]) -> list[Source]:
    """Every source of the matches that one of the batch's items is a source of."""
    touched = select(MatchSource.match_id).where(MatchSource.item_id.in_([b.item_id for b in batch]))
    rows = s.execute(
        select(MatchSource.match_id, MatchSource.item_id, Match.milestone_id, Match.state, Match.item_id)
        .join(Match, Match.id == MatchSource.match_id)
        .where(MatchSource.match_id.in_(touched))
        .order_by(MatchSource.match_id, MatchSource.item_id)
    )
    return [Source(*r) for r in rows]


def _apply(s: Session, plan: EvidencePlan) -> MatchCounts:
    """Write a plan: one statement per kind of change (and one per milestone whose latest evidence moved)."""
    counts = MatchCounts()
    inserted: Sequence[int] = []
    if plan.new_matches:
        rows = [
            {
                "item_id": m.item_id,
                "milestone_id": m.milestone,
                "score": m.score,
                "terms": list(m.terms),
                "snippet": m.snippet,
                "signal": m.signal,
                "state": m.state,
                "story_key": m.story_key,
                "story_title": m.story_title,
                "created_at": m.created_at,
            }
            for m in plan.new_matches
        ]
        inserted = s.execute(insert(Match).returning(Match.id, sort_by_parameter_order=True), rows).scalars().all()
        counts.added = len(inserted)
    if plan.new_sources:
        s.execute(
            insert(MatchSource),
            [
                {"match_id": inserted[n.match.index] if isinstance(n.match, Pending) else n.match, "item_id": n.item_id}
                for n in plan.new_sources
            ],
        )
    table = cast(Table, Match.__table__)
    if plan.refreshes:
        s.connection().execute(
            update(table)
            .where(table.c.id == bindparam("b_id"))
            .values(
                score=bindparam("score"),
                terms=bindparam("terms"),
                snippet=bindparam("snippet"),
                signal=bindparam("signal"),
            ),
            [
                {"b_id": r.match_id, "score": r.score, "terms": list(r.terms), "snippet": r.snippet, "signal": r.signal}
                for r in plan.refreshes
            ],
        )
    if plan.dropped_sources:
        sources = cast(Table, MatchSource.__table__)
        s.connection().execute(
            delete(sources).where(sources.c.match_id == bindparam("b_match"), sources.c.item_id == bindparam("b_item")),
            [{"b_match": m, "b_item": i} for m, i in plan.dropped_sources],
        )
    if plan.deleted_matches:
        s.execute(delete(Match).where(Match.id.in_(plan.deleted_matches)))
        counts.removed = len(plan.deleted_matches)
    if plan.repoints:
        s.connection().execute(
            update(table).where(table.c.id == bindparam("b_id")).values(item_id=bindparam("b_item")),
            [{"b_id": r.match_id, "b_item": r.item_id} for r in plan.repoints],
        )
    for ms, when in plan.last_evidence:
        s.execute(
            update(Milestone)
            .where(Milestone.id == ms)
            .where(or_(Milestone.last_evidence_at.is_(None), Milestone.last_evidence_at < when))
            .values(last_evidence_at=when)
        )
    if plan.matched:
        s.execute(
            update(Item)
            .where(tuple_(Item.id, Item.content_hash).in_(plan.matched))
            .values(needs_match=False)
            .execution_options(synchronize_session=False)
        )
    return counts
