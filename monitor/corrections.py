"""Corrections without lies in the history: amending the current record (its status, date or evidence) and undoing
the last change, each as a new history row that says what it is and points at the row it corrects or reverts.

History stays append-only. The rows that still *stand* are the changes and corrections no undo has reverted; the
milestone holds the state the last standing row left (its `to` status, its `on` as the verdict date, its evidence),
so an undo restores the state the standing row before it left, and undoing again walks further back.

The decisions (which row, which state) are pure functions of the history; the writes go through
storage.milestones, in one transaction with the milestone row locked."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from . import tracking
from .app import App
from .deadlines import VERDICTS
from .errors import InputError
from .plan.history import standing
from .storage import milestones as store
from .storage.milestones import StatusWrite
from .views import HistoryRow

# ---------------------------------------------------------------- pure decisions


@dataclass(frozen=True)
class Record:
    """What a milestone holds after a history row: its status, the verdict's date, the evidence."""

    status: str
    status_on: dt.date | None
    evidence_url: str | None

    def describe(self) -> str:
        return self.status + (f" on {self.status_on.isoformat()}" if self.status_on else "")


def record_after(row: HistoryRow) -> Record:
    return Record(row.to_status, row.on if row.to_status in VERDICTS else None, row.evidence_url)


@dataclass(frozen=True)
class UndoPlan:
    reverts: HistoryRow  # the row taken back
    restores: Record  # what the milestone holds again


def plan_undo(rows: Sequence[HistoryRow]) -> UndoPlan | None:
    """What `undo` does to a history (oldest first): revert the last standing row, restoring the record the standing
    row before it left (or its `from` status, undated and without evidence, when it was the first). None when
    nothing stands."""
    up = standing(rows)
    if not up:
        return None
    last = up[-1]
    before = record_after(up[-2]) if len(up) > 1 else Record(last.from_status, None, None)
    return UndoPlan(last, before)


# ---------------------------------------------------------------- use cases


def _result(app: App, milestone_id: str, changed: bool, message: str) -> tracking.StatusResult:
    return tracking.status_result(app, milestone_id, changed, message)


def correct(
    app: App,
    milestone_id: str,
    status: str | None = None,
    *,
    on: dt.date | None = None,
    evidence_url: str | None = None,
    note: str | None = None,
    by: str,
    force: bool = False,
) -> tracking.StatusResult:
    """Correct the milestone's current record (the last standing row): its status (`status`, default unchanged),
    its date (`on`, default the corrected row's) or its evidence (default unchanged), as one history row of kind
    `correction` that refers to the corrected row. Dependants' due dates follow.

    Refused (InputError, nothing written): a milestone with no recorded change to correct, an unknown status, a
    date in the future, a verdict dated before the agreement's signing (or any date before 1990-01-01) without
    `force`, a bad URL, note or name. Correcting to what is already recorded changes nothing and says so."""
    if status is not None:
        tracking.check_status(status)
    tracking.check_url(evidence_url)
    tracking.check_note(note)
    tracking.check_by(by)
    m = tracking.lookup(app, milestone_id)
    agreement = app.definitions.agreement(m.agreement)
    today = app.today()
    with app.db.write() as tx:
        row = store.lock(tx, milestone_id)
        up = standing(store.history_in(tx, milestone_id))
        if not up:
            raise InputError(
                f"{milestone_id} has no recorded status change to correct (it is {row.status}); "
                f"record one with: monitor status {milestone_id} STATUS"
            )
        target = up[-1]
        current = Record(row.status, row.status_on, row.evidence_url)
        new_status = status or current.status
        day = on or target.on
        if on is not None or new_status != current.status:
            tracking.check_date(day, new_status, agreement, today, force=force, subject=f"--on {day.isoformat()}")
        new = Record(new_status, day if new_status in VERDICTS else None, evidence_url or current.evidence_url)
        if new == current and day == target.on:
            return _result(app, milestone_id, False, f"{milestone_id} is already {current.describe()}; nothing changed")
        store.write_status(
            tx,
            StatusWrite(
                milestone_id=milestone_id,
                from_status=current.status,
                to_status=new.status,
                on=day,
                status_on=new.status_on,
                evidence_url=new.evidence_url,
                recorded_at=app.now(),
                by=by,
                note=note,
                kind="correction",
                refers_to=target.id,
            ),
        )
    what = [f"{current.describe()} → {new.describe()}"]
    if new.status_on is None and day != target.on:
        what.append(f"dated {day.isoformat()}")
    if new.evidence_url != current.evidence_url:
        what.append(f"evidence {new.evidence_url}")
    return _result(app, milestone_id, True, f"{milestone_id}: corrected #{target.id}: {', '.join(what)}")


def undo(app: App, milestone_id: str, *, note: str | None = None, by: str) -> tracking.StatusResult:
    """Take back the milestone's last standing change or correction: one history row of kind `undo` that refers to
    it and restores the record before it (status, verdict date, evidence). Dependants' due dates follow. A review
    that went with the change stays as it is. Refused (InputError, nothing written) when nothing is left to undo."""
    tracking.check_note(note)
    tracking.check_by(by)
    tracking.lookup(app, milestone_id)
    with app.db.write() as tx:
        row = store.lock(tx, milestone_id)
        plan = plan_undo(store.history_in(tx, milestone_id))
        if plan is None:
            raise InputError(f"{milestone_id} has no status change to undo (it is {row.status})")
        back = plan.restores
        store.write_status(
            tx,
            StatusWrite(
                milestone_id=milestone_id,
                from_status=row.status,
                to_status=back.status,
                on=back.status_on or app.today(),
                status_on=back.status_on,
                evidence_url=back.evidence_url,
                recorded_at=app.now(),
                by=by,
                note=note,
                kind="undo",
                refers_to=plan.reverts.id,
            ),
        )
    r = plan.reverts
    dated = f" on {r.on.isoformat()}" if r.to_status in VERDICTS else ""
    undone = f"{r.kind} {r.from_status} → {r.to_status}{dated}"
    return _result(app, milestone_id, True, f"{milestone_id}: undid #{r.id} ({undone}); now {back.describe()}")
