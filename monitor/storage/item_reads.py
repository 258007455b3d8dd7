"""Stored items as people browse them (`monitor items`): matched or not, newest first, with the milestones each one
is evidence for (through every match it is a source of, so a story seen in several feeds names its milestones on
each copy)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import or_, select

from ..views import ItemView
from .engine import Database
from .feeds import CHUNK
from .schema import Item, Match, MatchSource


def items(
    db: Database,
    *,
    feeds: Sequence[str] = (),
    search: str | None = None,
    since: dt.date | None = None,
    limit: int | None = None,
) -> list[ItemView]:
    """Items (of any of `feeds`, when given), newest publication first; every condition given holds. `search`:
    the words as written, anywhere in the title or the text, case-insensitively (for ASCII letters on SQLite, as its
    LIKE is); `since`: published on or after that day, UTC."""
    q = select(
        Item.id, Item.feed_id, Item.title, Item.link, Item.published, Item.first_seen, Item.updated_at, Item.text
    )
    if feeds:
        q = q.where(Item.feed_id.in_(feeds))
    if search:
        q = q.where(or_(Item.title.icontains(search, autoescape=True), Item.text.icontains(search, autoescape=True)))
    if since:
        q = q.where(Item.published >= dt.datetime.combine(since, dt.time(), dt.UTC))
    q = q.order_by(Item.published.desc(), Item.id.desc())
    if limit:
        q = q.limit(limit)
    with db.read() as s:
        rows = s.execute(q).all()
        found: dict[int, set[str]] = {}
        ids = [r.id for r in rows]
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start : start + CHUNK]
            for item_id, milestone in s.execute(
                select(MatchSource.item_id, Match.milestone_id)
                .join(Match, Match.id == MatchSource.match_id)
                .where(MatchSource.item_id.in_(chunk))
            ):
                found.setdefault(item_id, set()).add(milestone)
    return [
        ItemView(
            r.id,
            r.feed_id,
            r.title,
            r.link,
            r.published,
            r.first_seen,
            r.updated_at,
            tuple(sorted(found.get(r.id, ()))),
            r.text,
        )
        for r in rows
    ]
