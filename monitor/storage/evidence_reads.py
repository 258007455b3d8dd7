"""Evidence as people see it: matches with their items and sources, and a review's lock-and-update.

Reads shared by the CLI, the digest and the published report; storage/matches.py writes what matching finds."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from ..views import MatchView, Source
from .engine import EVIDENCE_LOCK, Database, serialise
from .milestones import Transaction
from .schema import Item, Match, MatchSource


@dataclass(frozen=True)
class MatchToReview:
    """A match locked for review, with what a completion takes from its item."""

    id: int
    milestone_id: str
    state: str
    published: dt.datetime
    link: str | None


def _values(value: str | Collection[str] | None) -> list[str]:
    return [] if value is None else [value] if isinstance(value, str) else list(value)


def matches(
    db: Database,
    *,
    milestone: str | Collection[str] | None = None,
    state: str | Collection[str] | None = None,
    signal: str | Collection[str] | None = None,
    since: dt.date | None = None,
    limit: int | None = None,
    match_id: int | None = None,
) -> list[MatchView]:
    """Matches with their primary item and every source, newest item first; every condition given holds
    (`milestone`, `state`, `signal`: one value or any of several; `since`: items published on or after that day,
    UTC)."""
    q = select(Match, Item).join(Item, Item.id == Match.item_id)
    if milestone:
        q = q.where(Match.milestone_id.in_(_values(milestone)))
    if match_id is not None:
        q = q.where(Match.id == match_id)
    if state:
        q = q.where(Match.state.in_(_values(state)))
    if signal:
        q = q.where(Match.signal.in_(_values(signal)))
    if since:
        q = q.where(Item.published >= dt.datetime.combine(since, dt.time(), dt.UTC))
    q = q.order_by(Item.published.desc(), Match.id.desc())
    if limit:
        q = q.limit(limit)
    with db.read() as s:
        return [view for _, view in _views(s, s.execute(q).all())]


@dataclass(frozen=True)
class RecordedMatch:
    """A piece of evidence and when the monitor recorded it (found it, not when its item was published)."""

    recorded_at: dt.datetime
    view: MatchView


def recorded_between(db: Database, after: dt.datetime, until: dt.datetime) -> list[RecordedMatch]:
    """The evidence recorded after `after`, up to and including `until` (a digest's window), newest item first."""
    q = (
        select(Match, Item)
        .join(Item, Item.id == Match.item_id)
        .where(Match.created_at > after, Match.created_at <= until)
        .order_by(Item.published.desc(), Match.id.desc())
    )
    with db.read() as s:
        return [RecordedMatch(m.created_at, view) for m, view in _views(s, s.execute(q).all())]


def _views(s: Session, rows: Sequence[Any]) -> list[tuple[Match, MatchView]]:
    """Each (match, item) row as a view with every source of the match, in one more query."""
    sources: dict[int, list[Source]] = {}
    if rows:
        src = s.execute(
            select(MatchSource.match_id, Item.feed_id, Item.link, Item.title)
            .join(Item, Item.id == MatchSource.item_id)
            .where(MatchSource.match_id.in_([m.id for m, _ in rows]))
            .order_by(Item.id)
        )
        for mid, feed, link, title in src:
            sources.setdefault(mid, []).append(Source(feed, link, title))
    return [
        (
            m,
            MatchView(
                id=m.id,
                milestone=m.milestone_id,
                item_title=i.title,
                item_url=i.link,
                published=i.published,
                feed=i.feed_id,
                score=m.score,
                signal=m.signal,
                state=m.state,
                snippet=m.snippet,
                terms=tuple(m.terms),
                sources=tuple(sources.get(m.id, ())),
                note=m.note,
                reviewed_at=m.reviewed_at,
            ),
        )
        for m, i in rows
    ]


@dataclass(frozen=True)
class MatchedText:
    """What a match's primary item says, to explain the match again."""

    title: str
    text: str
    published: dt.datetime


def matched_texts(db: Database, match_ids: list[int]) -> dict[int, MatchedText]:
    """The title, text and publication of each match's primary item, by match id."""
    if not match_ids:
        return {}
    with db.read() as s:
        rows = s.execute(
            select(Match.id, Item.title, Item.text, Item.published)
            .join(Item, Item.id == Match.item_id)
            .where(Match.id.in_(match_ids))
        )
        return {mid: MatchedText(title, text, published) for mid, title, text, published in rows}


def lock_for_review(tx: Transaction, match_id: int) -> MatchToReview | None:
    """The match, locked until `tx` ends (PostgreSQL: FOR UPDATE of the match row), or None. Takes the evidence
    lock first, as evidence recording does, so a review never lands between a poll's reading of the evidence it
    will change and its writing."""
    serialise(tx, EVIDENCE_LOCK)
    found = tx.execute(
        select(Match.id, Match.milestone_id, Match.state, Item.published, Item.link)
        .join(Item, Item.id == Match.item_id)
        .where(Match.id == match_id)
        .with_for_update(of=Match)
    ).first()
    return MatchToReview(*found) if found is not None else None


def recent_ids(tx: Transaction, n: int = 200) -> list[int]:
    """The ids of the `n` newest matches (for an unknown id's "did you mean")."""
    return list(tx.scalars(select(Match.id).order_by(Match.id.desc()).limit(n)))


def set_review(tx: Transaction, match_id: int, state: str, reviewed_at: dt.datetime, note: str | None) -> None:
    """Record a review in `tx`: its state and time; the note, unless None (the previous note stays)."""
    values: dict[str, object] = {"state": state, "reviewed_at": reviewed_at}
    if note is not None:
        values["note"] = note
    tx.execute(update(Match).where(Match.id == match_id).values(**values))


@dataclass(frozen=True)
class NewEvidence:
    """How much evidence for one milestone awaits review, and the newest item's publication."""

    milestone: str
    matches: int
    latest: dt.datetime


def awaiting_review(db: Database) -> list[NewEvidence]:
    """Unreviewed (`new`) evidence counted per milestone, the milestone with the newest item first."""
    q = (
        select(Match.milestone_id, func.count(), func.max(Item.published))
        .join(Item, Item.id == Match.item_id)
        .where(Match.state == "new")
        .group_by(Match.milestone_id)
    )
    with db.read() as s:
        found = [NewEvidence(m, n, latest) for m, n, latest in s.execute(q)]
    return sorted(found, key=lambda e: (-e.latest.timestamp(), e.milestone))


def first_items(db: Database) -> dict[str, dt.datetime]:
    """When each feed's first stored item was first seen: when the monitor began reading that source."""
    with db.read() as s:
        q = select(Item.feed_id, func.min(Item.first_seen)).group_by(Item.feed_id)
        return {feed: when for feed, when in s.execute(q)}
