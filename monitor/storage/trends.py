"""State over time, for the published report's trend charts: when evidence appeared, and how much there is.

(Status over time needs no query of its own: it is the history, storage.milestones.history.)"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select

from .engine import Database
from .schema import Item, Match, Milestone


@dataclass(frozen=True)
class Found:
    """One piece of evidence by the publication time of its item."""

    milestone: str
    item_id: int
    published: dt.datetime


def evidence_found(db: Database, since: dt.datetime) -> list[Found]:
    """Evidence not dismissed, of milestones still tracked, whose item was published at or after `since`,
    oldest first."""
    q = (
        select(Match.milestone_id, Match.item_id, Item.published)
        .join(Item, Item.id == Match.item_id)
        .join(Milestone, Milestone.id == Match.milestone_id)
        .where(Match.state != "dismissed", Milestone.retired_at.is_(None), Item.published >= since)
        .order_by(Item.published, Match.id)
    )
    with db.read() as s:
        return [Found(*r) for r in s.execute(q)]


def evidence_counts(db: Database) -> dict[str, int]:
    """How many pieces of evidence each milestone has that were not dismissed (milestones with none are absent)."""
    q = select(Match.milestone_id, func.count()).where(Match.state != "dismissed").group_by(Match.milestone_id)
    with db.read() as s:
        return {m: n for m, n in s.execute(q)}
