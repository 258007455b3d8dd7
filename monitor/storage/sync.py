"""Config → database: upsert agreements, milestones and feeds by id; retire what config no longer has.

Never touches a status or a feed's health. Reads first and takes the write lock only when something differs,
so read-only commands on an unchanged config never write. Concurrent first runs (several commands starting at
once on a new database) are serialised: the write transaction holds a lock and plans again from what it reads
under it, so the second writer finds the first one's rows and adds nothing twice.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..definitions import Definitions
from .engine import SYNC_LOCK, Database, serialise
from .schema import Agreement, Feed, Milestone


@dataclass
class SyncReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    retired: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.retired)


def _wanted(defs: Definitions) -> dict[type[Any], dict[str, dict[str, Any]]]:
    return {
        Agreement: {
            a.id: {"title": a.title, "kind": a.kind, "parties": list(a.parties), "signed": a.signed}
            for a in defs.agreements
        },
        Milestone: {m.id: {"agreement_id": m.agreement, "title": m.title} for m in defs.milestones},
        Feed: {
            f.id: {"title": f.title, "type": f.type, "url": f.url, "tier": f.tier, "enabled": f.enabled}
            for f in defs.feeds
        },
    }


def _plan(session: Session, defs: Definitions, now: dt.datetime, apply: bool) -> SyncReport:
    report = SyncReport()
    for model, wanted in _wanted(defs).items():
        kind = model.__tablename__[:-1]
        rows = {r.id: r for r in session.scalars(select(model))}
        for id_, values in wanted.items():
            row = rows.get(id_)
            if row is None:
                report.added.append(f"{kind} {id_}")
                if apply:
                    extra = {"created_at": now} if model is Milestone else {}
                    session.add(model(id=id_, **values, **extra))
                continue
            differs = {k: v for k, v in values.items() if getattr(row, k) != v}
            if differs or row.retired_at is not None:
                report.updated.append(f"{kind} {id_}")
                if apply:
                    for k, v in differs.items():
                        setattr(row, k, v)
                    row.retired_at = None
                    if model is Feed and "url" in differs:  # another document: old validators mean nothing
                        row.etag = row.last_modified = row.body_hash = None
                        row.next_check_after = None
        for id_, row in rows.items():
            if id_ not in wanted and row.retired_at is None:
                report.retired.append(f"{kind} {id_}")
                if apply:
                    row.retired_at = now
        if apply:
            session.flush()  # agreements before the milestones that point at them
    return report


def sync(db: Database, defs: Definitions, now: dt.datetime) -> SyncReport:
    with db.read() as s:
        report = _plan(s, defs, now, apply=False)
    if not report.changed:
        return report
    with db.write() as s:
        serialise(s, SYNC_LOCK)
        return _plan(s, defs, now, apply=True)
