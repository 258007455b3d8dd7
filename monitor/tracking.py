"""Milestone state: listing with deadlines, one milestone in full, status changes and their history."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from . import deadlines
from .app import App
from .clock import iso
from .deadlines import STATUSES, VERDICTS, Deadline, Progress
from .definitions import MilestoneDef
from .errors import InputError, unknown_id
from .storage.schema import Milestone, StatusChange


@dataclass(frozen=True)
class MilestoneView:
    id: str
    agreement: str
    agreement_title: str
    countries: tuple[str, ...]
    title: str
    status: str
    status_on: dt.date | None
    evidence_url: str | None
    due: dt.date | None
    due_rule: str | None
    deadline_state: str
    soft: bool
    days_left: int | None
    last_evidence: dt.datetime | None
    quiet: bool = False

    @property
    def completed_on(self) -> dt.date | None:
        return self.status_on if self.status in ("complete", "partial") else None

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "agreement": self.agreement,
            "title": self.title,
            "status": self.status,
            "status_on": iso(self.status_on),
            "due": iso(self.due),
            "due_rule": self.due_rule,
            "soft_deadline": self.soft,
            "deadline_state": self.deadline_state,
            "days_left": self.days_left,
            "completed_on": iso(self.completed_on),
            "evidence_url": self.evidence_url,
            "last_evidence": iso(self.last_evidence),
            "quiet": self.quiet,
            "countries": list(self.countries),
        }


@dataclass(frozen=True)
class HistoryRow:
    milestone: str
    from_status: str
    to_status: str
    on: dt.date
    recorded_at: dt.datetime
    by: str
    note: str | None
    evidence_url: str | None
    match_id: int | None

    def as_json(self) -> dict[str, Any]:
        return {
            "milestone": self.milestone,
            "from": self.from_status,
            "to": self.to_status,
            "on": iso(self.on),
            "recorded_at": iso(self.recorded_at),
            "by": self.by,
            "note": self.note,
            "evidence_url": self.evidence_url,
            "match_id": self.match_id,
        }


@dataclass(frozen=True)
class MilestoneDetail:
    view: MilestoneView
    description: str
    depends_on: str | None
    dependants: tuple[str, ...]
    history: tuple[HistoryRow, ...]
    retired: bool = False
    matches: tuple[Any, ...] = field(default=())

    def as_json(self) -> dict[str, Any]:
        return {
            **self.view.as_json(),
            "agreement_title": self.view.agreement_title,
            "description": self.description,
            "depends_on": self.depends_on,
            "dependants": list(self.dependants),
            "retired": self.retired,
            "history": [h.as_json() for h in self.history],
            "matches": [m.as_json() for m in self.matches],
        }


@dataclass(frozen=True)
class StatusResult:
    changed: bool
    message: str
    view: MilestoneView
    dependants: tuple[MilestoneView, ...] = ()


# ---------------------------------------------------------------- reading


def _progress(rows: list[Milestone]) -> dict[str, Progress]:
    return {r.id: Progress(r.status, r.status_on) for r in rows}


def _view(app: App, m: MilestoneDef, row: Milestone, progress: dict[str, Progress]) -> MilestoneView:
    agreement = app.definitions.agreement(m.agreement)
    d: Deadline = deadlines.deadline(m, agreement, progress, app.today(), app.settings.digest.due_soon_days)
    return MilestoneView(
        id=m.id,
        agreement=m.agreement,
        agreement_title=agreement.title,
        countries=agreement.parties,
        title=m.title,
        status=row.status,
        status_on=row.status_on,
        evidence_url=row.evidence_url,
        due=d.due,
        due_rule=m.due.describe() if m.due else None,
        deadline_state=d.state,
        soft=d.soft,
        days_left=d.days_left,
        last_evidence=row.last_evidence_at,
        quiet=deadlines.is_quiet(
            row.status,
            app.local_date(row.last_evidence_at) if row.last_evidence_at else None,
            agreement.signed or app.local_date(row.created_at),
            app.today(),
            app.settings.matching.quiet_after_days,
        ),
    )


def _rows(app: App) -> dict[str, Milestone]:
    with app.db.read() as s:
        return {r.id: r for r in s.scalars(select(Milestone))}


def list_milestones(
    app: App,
    agreement: str | None = None,
    country: str | None = None,
    status: str | None = None,
    deadline_state: str | None = None,
) -> list[MilestoneView]:
    defs = app.definitions
    if agreement is not None and agreement not in {a.id for a in defs.agreements}:
        raise unknown_id("agreement", agreement, [a.id for a in defs.agreements])
    if status is not None:
        check_status(status)
    if deadline_state is not None and deadline_state not in deadlines.DEADLINE_STATES:
        raise InputError(f"unknown deadline state {deadline_state!r} (one of: {', '.join(deadlines.DEADLINE_STATES)})")
    cc = country.upper() if country else None
    if cc is not None:
        parties = {p for a in defs.agreements for p in a.parties}
        if cc not in parties:
            raise InputError(f"unknown country {country!r} (tracked: {', '.join(sorted(parties))})")
    rows = _rows(app)
    progress = _progress(list(rows.values()))
    out = []
    for m in defs.milestones:
        v = _view(app, m, rows[m.id], progress)
        if agreement and v.agreement != agreement:
            continue
        if cc and cc not in v.countries:
            continue
        if status and v.status != status:
            continue
        if deadline_state and v.deadline_state != deadline_state:
            continue
        out.append(v)
    return out


def _lookup(app: App, milestone_id: str) -> MilestoneDef:
    ids = [m.id for m in app.definitions.milestones]
    if milestone_id not in ids:
        raise unknown_id("milestone", milestone_id, ids)
    return app.definitions.milestone(milestone_id)


def history(app: App, milestone_id: str | None = None, since: dt.date | None = None) -> list[HistoryRow]:
    with app.db.read() as s:
        if milestone_id is not None and s.get(Milestone, milestone_id) is None:
            raise unknown_id("milestone", milestone_id, list(s.scalars(select(Milestone.id))))
        q = select(StatusChange).order_by(StatusChange.recorded_at.desc(), StatusChange.id.desc())
        if milestone_id is not None:
            q = q.where(StatusChange.milestone_id == milestone_id)
        if since is not None:
            q = q.where(StatusChange.on >= since)
        return [
            HistoryRow(
                h.milestone_id,
                h.from_status,
                h.to_status,
                h.on,
                h.recorded_at,
                h.by,
                h.note,
                h.evidence_url,
                h.match_id,
            )
            for h in s.scalars(q)
        ]


def show(app: App, milestone_id: str) -> MilestoneDetail:
    rows = _rows(app)
    m = _lookup(app, milestone_id)
    progress = _progress(list(rows.values()))
    dependants = tuple(
        d.id for d in app.definitions.milestones if d.due and d.due.kind == "after" and d.due.after == m.id
    )
    return MilestoneDetail(
        view=_view(app, m, rows[m.id], progress),
        description=m.description,
        depends_on=m.due.after if m.due and m.due.kind == "after" and m.due.after != "signed" else None,
        dependants=dependants,
        history=tuple(history(app, milestone_id)),
        matches=tuple(_recent_evidence(app, milestone_id)),
    )


def _recent_evidence(app: App, milestone_id: str) -> list[Any]:
    from .evidence import list_matches  # evidence builds on tracking (review --complete), not the reverse

    return list_matches(app, milestone=milestone_id, limit=10)


# ---------------------------------------------------------------- changing


def check_status(status: str) -> str:
    if status not in STATUSES:
        raise InputError(f"unknown status {status!r} (one of: {', '.join(STATUSES)})")
    return status


def check_url(url: str | None) -> str | None:
    if url is None:
        return None
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise InputError(f"--evidence: not an http(s) URL: {url!r}")
    return url


def set_status(
    app: App,
    milestone_id: str,
    status: str,
    *,
    on: dt.date | None = None,
    evidence_url: str | None = None,
    note: str | None = None,
    by: str,
    match_id: int | None = None,
) -> StatusResult:
    """Record a status change (one history row) unless the milestone already has that status."""
    check_status(status)
    check_url(evidence_url)
    today = app.today()
    on = on or today
    if on > today:
        raise InputError(f"--on {on.isoformat()} is in the future (today is {today.isoformat()})")
    _lookup(app, milestone_id)
    with app.db.write() as s:
        row = s.get(Milestone, milestone_id, with_for_update=True)
        assert row is not None  # synced from config when the app opened
        if row.status == status:
            when = f" on {row.status_on.isoformat()}" if row.status_on and status in VERDICTS else ""
            changed, message = False, f"{milestone_id} is already {status}{when}; nothing changed"
        else:
            s.add(
                StatusChange(
                    milestone_id=milestone_id,
                    from_status=row.status,
                    to_status=status,
                    on=on,
                    recorded_at=app.now(),
                    by=by,
                    note=note,
                    evidence_url=evidence_url,
                    match_id=match_id,
                )
            )
            message = f"{milestone_id}: {row.status} → {status}" + (
                f" on {on.isoformat()}" if status in VERDICTS else ""
            )
            row.status = status
            row.status_on = on if status in VERDICTS else None
            row.evidence_url = evidence_url  # the evidence of the latest change, not of an older verdict
            changed = True
    rows = _rows(app)
    progress = _progress(list(rows.values()))
    view = _view(app, app.definitions.milestone(milestone_id), rows[milestone_id], progress)
    dependants = tuple(
        _view(app, d, rows[d.id], progress)
        for d in app.definitions.milestones
        if d.due and d.due.kind == "after" and d.due.after == milestone_id
    )
    return StatusResult(changed, message, view, dependants)
