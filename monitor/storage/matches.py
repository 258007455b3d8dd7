"""Evidence in the database: matches, their sources, review state. One transaction per batch of items."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from ..match.engine import MatchResult
from .engine import Database
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
    sources_added: int = 0


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
    holds removed, unless someone has reviewed it. Marks the items as matched."""
    counts = MatchCounts()
    with db.write() as s:
        ids = [b.item.id for b in batch]
        previous: dict[int, list[Match]] = {}
        rows = s.execute(
            select(MatchSource.item_id, Match)
            .join(Match, Match.id == MatchSource.match_id)
            .where(MatchSource.item_id.in_(ids), Match.milestone_id.in_(scope))
        )
        for item_id, match in rows:
            previous.setdefault(item_id, []).append(match)
        for b in batch:
            wanted = {r.milestone: r for r in b.results}
            for old in previous.get(b.item.id, []):
                if old.milestone_id not in wanted and old.state == "new":
                    counts.removed += _drop_source(s, old, b.item.id)
            for r in b.results:
                added, sources = _add(s, b, r, now)
                counts.added += added
                counts.sources_added += sources
        s.execute(update(Item).where(Item.id.in_(ids)).values(needs_match=False))
    return counts


def _drop_source(s: Session, match: Match, item_id: int) -> int:
    s.execute(delete(MatchSource).where(MatchSource.match_id == match.id, MatchSource.item_id == item_id))
    others = s.scalars(select(MatchSource.item_id).where(MatchSource.match_id == match.id)).first()
    if others is None:
        s.delete(match)
        return 1
    if match.item_id == item_id:
        match.item_id = others  # another source of the same story stays the evidence
    return 0


def _add(s: Session, b: ItemMatches, r: MatchResult, now: dt.datetime) -> tuple[int, int]:
    keys = [Match.story_key == b.story_key] if b.story_key else []
    if b.story_title:
        keys.append(Match.story_title == b.story_title)
    existing = s.scalars(
        select(Match).where(Match.milestone_id == r.milestone, or_(Match.item_id == b.item.id, *keys))
    ).first()
    added = 0
    if existing is None:
        existing = Match(
            item_id=b.item.id,
            milestone_id=r.milestone,
            score=r.score,
            terms=list(r.terms),
            snippet=r.snippet,
            signal=r.signal,
            state="new",
            story_key=b.story_key,
            story_title=b.story_title,
            created_at=now,
        )
        s.add(existing)
        s.flush()
        added = 1
    elif existing.state == "new" and existing.item_id == b.item.id:
        existing.score, existing.terms, existing.snippet, existing.signal = r.score, list(r.terms), r.snippet, r.signal
    has = s.get(MatchSource, (existing.id, b.item.id))
    if has is None:
        s.add(MatchSource(match_id=existing.id, item_id=b.item.id))
    milestone = s.get(Milestone, r.milestone)
    if milestone is not None and (milestone.last_evidence_at is None or milestone.last_evidence_at < b.item.published):
        milestone.last_evidence_at = b.item.published
    return added, int(has is None and not added)
