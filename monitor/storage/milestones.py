"""Milestone state in the database: stored status rows, the progress map deadlines count from, status history,
and a status change (lock the row, update it, append one history row) inside the caller's transaction.

The state reads the CLI, the digest and the published report share. Nothing here decides: what a change means is
the use case's (monitor.tracking); this module only reads and writes it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import TypeAlias

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from ..deadlines import Progress
from ..views import HistoryRow
from .engine import Database
from .schema import Milestone, StatusChange

Transaction: TypeAlias = Session  # what `Database.write()` yields: pass it to the functions taking `tx`


@dataclass(frozen=True)
class MilestoneRow:
    """A milestone's stored state (its definition comes from config)."""

    id: str
    status: str
    status_on: dt.date | None
    evidence_url: str | None
    last_evidence_at: dt.datetime | None
    created_at: dt.datetime
    retired_at: dt.datetime | None


@dataclass(frozen=True)
class StatusWrite:
    """One status change to store: the history row, and the milestone's new status, date and evidence."""

    milestone_id: str
    from_status: str
    to_status: str
    on: dt.date  # the date of the change, in the history
    status_on: dt.date | None  # the milestone's verdict date (None for an open status)
    evidence_url: str | None
    recorded_at: dt.datetime
    by: str
    note: str | None
    match_id: int | None = None
    kind: str = "change"  # change | correction | undo (views.HistoryRow)
    refers_to: int | None = None  # the history row a correction corrects or an undo reverts


_COLUMNS = (
    Milestone.id,
    Milestone.status,
    Milestone.status_on,
    Milestone.evidence_url,
    Milestone.last_evidence_at,
    Milestone.created_at,
    Milestone.retired_at,
)


def rows(db: Database) -> dict[str, MilestoneRow]:
    """Every stored milestone by id, retired ones too."""
    with db.read() as s:
        return {r.id: r for r in (MilestoneRow(*t) for t in s.execute(select(*_COLUMNS)))}


def row(db: Database, milestone_id: str, tx: Transaction | None = None) -> MilestoneRow | None:
    """One stored milestone, or None; read in `tx` when given (inside the caller's transaction)."""
    q = select(*_COLUMNS).where(Milestone.id == milestone_id)
    if tx is not None:
        found = tx.execute(q).first()
    else:
        with db.read() as s:
            found = s.execute(q).first()
    return MilestoneRow(*found) if found is not None else None


def ids(db: Database) -> list[str]:
    """The ids of every stored milestone, retired ones too."""
    with db.read() as s:
        return list(s.scalars(select(Milestone.id).order_by(Milestone.id)))


def progress_of(stored: Mapping[str, MilestoneRow]) -> dict[str, Progress]:
    """The progress map deadlines count from (`deadlines.deadline`), of rows already read."""
    return {r.id: Progress(r.status, r.status_on) for r in stored.values()}


def progress(db: Database) -> dict[str, Progress]:
    """Every stored milestone's status and verdict date, by id."""
    with db.read() as s:
        q = select(Milestone.id, Milestone.status, Milestone.status_on)
        return {i: Progress(status, on) for i, status, on in s.execute(q)}


def with_status(db: Database, statuses: Collection[str]) -> set[str]:
    """The ids of milestones whose status is one of `statuses`."""
    with db.read() as s:
        return set(s.scalars(select(Milestone.id).where(Milestone.status.in_(list(statuses)))))


def _history_row(h: StatusChange) -> HistoryRow:
    return HistoryRow(
        milestone=h.milestone_id,
        from_status=h.from_status,
        to_status=h.to_status,
        on=h.on,
        recorded_at=h.recorded_at,
        by=h.by,
        note=h.note,
        evidence_url=h.evidence_url,
        match_id=h.match_id,
        kind=h.kind,
        refers_to=h.refers_to,
        id=h.id,
    )


def history(
    db: Database,
    milestone_id: str | None = None,
    since: dt.date | None = None,
    *,
    recorded_after: dt.datetime | None = None,
    recorded_until: dt.datetime | None = None,
) -> list[HistoryRow]:
    """Status changes, newest recorded first; only one milestone's, only those dated on or after `since`, only
    those recorded after `recorded_after` and up to and including `recorded_until` (a digest's window)."""
    q = select(StatusChange).order_by(StatusChange.recorded_at.desc(), StatusChange.id.desc())
    if milestone_id is not None:
        q = q.where(StatusChange.milestone_id == milestone_id)
    if since is not None:
        q = q.where(StatusChange.on >= since)
    if recorded_after is not None:
        q = q.where(StatusChange.recorded_at > recorded_after)
    if recorded_until is not None:
        q = q.where(StatusChange.recorded_at <= recorded_until)
    with db.read() as s:
        return [_history_row(h) for h in s.scalars(q)]


def history_in(tx: Transaction, milestone_id: str) -> list[HistoryRow]:
    """One milestone's whole history in the caller's transaction, oldest first (in the order it was written)."""
    q = select(StatusChange).where(StatusChange.milestone_id == milestone_id).order_by(StatusChange.id)
    return [_history_row(h) for h in tx.scalars(q)]


def lock(tx: Transaction, milestone_id: str) -> MilestoneRow:
    """The milestone's row, locked until `tx` ends (PostgreSQL: FOR UPDATE; SQLite's write transaction already
    excludes other writers). Every milestone in config has a row: synced when the app opened."""
    found = tx.execute(select(*_COLUMNS).where(Milestone.id == milestone_id).with_for_update()).first()
    assert found is not None, f"milestone {milestone_id} is synced from config before it changes"
    return MilestoneRow(*found)


def write_status(tx: Transaction, change: StatusWrite) -> None:
    """Append the history row and set the milestone's status, verdict date and evidence, in `tx`."""
    tx.execute(
        insert(StatusChange).values(
            milestone_id=change.milestone_id,
            from_status=change.from_status,
            to_status=change.to_status,
            on=change.on,
            recorded_at=change.recorded_at,
            by=change.by,
            note=change.note,
            evidence_url=change.evidence_url,
            match_id=change.match_id,
            kind=change.kind,
            refers_to=change.refers_to,
        )
    )
    tx.execute(
        update(Milestone)
        .where(Milestone.id == change.milestone_id)
        .values(status=change.to_status, status_on=change.status_on, evidence_url=change.evidence_url)
    )
