"""Milestone state: listing with deadlines, one milestone in full, status changes and their history.

State is read and written through storage.milestones; the views are monitor.views'."""

from __future__ import annotations

import datetime as dt
import unicodedata
from dataclasses import dataclass
from urllib.parse import urlsplit

from . import deadlines
from .app import App
from .deadlines import STATUSES, VERDICTS, Deadline, Progress
from .definitions import AgreementDef, MilestoneDef
from .errors import InputError, unknown_id
from .storage import evidence_reads
from .storage import milestones as store
from .storage.milestones import MilestoneRow, StatusWrite, Transaction
from .views import HistoryRow, MilestoneDetail, MilestoneView


@dataclass(frozen=True)
class StatusResult:
    changed: bool
    message: str
    view: MilestoneView
    dependants: tuple[MilestoneView, ...] = ()


# ---------------------------------------------------------------- reading


def _view(app: App, m: MilestoneDef, row: MilestoneRow, progress: dict[str, Progress]) -> MilestoneView:
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
    rows = store.rows(app.db)
    progress = store.progress_of(rows)
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


def _lookup(app: App, milestone_id: str, tx: Transaction | None = None) -> MilestoneDef:
    ids = [m.id for m in app.definitions.milestones]
    if milestone_id not in ids:
        trimmed = milestone_id.strip()
        error = (
            InputError(f"unknown milestone {shown(milestone_id)} (did you mean {trimmed!r}?)")
            if trimmed in ids
            else unknown_id("milestone", milestone_id, ids)
        )
        row = store.row(app.db, milestone_id, tx)
        if row is not None and row.retired_at is not None:
            raise InputError(
                f"{error} (retired: removed from config/milestones.yaml on {app.local_date(row.retired_at)}; "
                f"its history: monitor history {milestone_id})"
            )
        raise error
    return app.definitions.milestone(milestone_id)


def history(app: App, milestone_id: str | None = None, since: dt.date | None = None) -> list[HistoryRow]:
    """Status changes, newest first; a retired milestone's too (its history is kept)."""
    if milestone_id is not None:
        known = store.ids(app.db)
        if milestone_id not in known:
            raise unknown_id("milestone", milestone_id, known)
    return store.history(app.db, milestone_id, since)


def _dependants(app: App, milestone_id: str) -> list[MilestoneDef]:
    """The milestones due a set time after this one."""
    return [d for d in app.definitions.milestones if d.due and d.due.kind == "after" and d.due.after == milestone_id]


def show(app: App, milestone_id: str) -> MilestoneDetail:
    """One milestone in full, with its history and its ten most recent pieces of evidence, each explained."""
    from . import evidence  # matching, imported only by the commands that explain evidence

    rows = store.rows(app.db)
    m = _lookup(app, milestone_id)
    row = rows[m.id]
    return MilestoneDetail(
        view=_view(app, m, row, store.progress_of(rows)),
        description=m.description,
        depends_on=m.due.after if m.due and m.due.kind == "after" and m.due.after != "signed" else None,
        dependants=tuple(d.id for d in _dependants(app, m.id)),
        history=tuple(history(app, milestone_id)),
        matches=tuple(evidence.explained(app, evidence_reads.matches(app.db, milestone=milestone_id, limit=10))),
    )


# ---------------------------------------------------------------- changing

EARLIEST = dt.date(1990, 1, 1)  # no date before it without --force: older agreements are not tracked
MAX_NOTE = 10_000  # characters: a note is a line or a paragraph, not a document
MAX_BY = 200  # the width of the history's `by` column
MAX_URL = 2_048


def shown(value: str, limit: int = 60) -> str:
    """A value for an error line: repr'd (control characters escaped), shortened when long."""
    return repr(value) if len(value) <= limit else repr(value[:limit]) + f"... ({len(value)} characters)"


def _control(text: str, allowed: str = "") -> bool:
    return any(unicodedata.category(c)[0] == "C" and c not in allowed for c in text)


def check_status(status: str) -> str:
    if status not in STATUSES:
        if status.strip().lower() in STATUSES:
            raise InputError(f"unknown status {shown(status)} (did you mean {status.strip().lower()!r}?)")
        raise InputError(f"unknown status {shown(status)} (one of: {', '.join(STATUSES)})")
    return status


def url_problem(url: str) -> str | None:
    """Why `url` cannot be kept as evidence (a web page people open), or None when it can."""
    if len(url) > MAX_URL:
        return f"longer than {MAX_URL} characters"
    if any(c.isspace() for c in url) or _control(url):
        return "not an http(s) URL (it contains a space or a control character)"
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        return "not a valid URL"
    if parts.scheme.lower() not in ("http", "https"):
        return "not an http(s) URL"
    if not parts.hostname:
        return "not an http(s) URL (no host)"
    return None


def check_url(url: str | None) -> str | None:
    if url is None:
        return None
    problem = url_problem(url)
    if problem is not None:
        raise InputError(f"--evidence: {problem}: {shown(url)}")
    return url


def check_note(note: str | None) -> str | None:
    """A note is kept as given; at most MAX_NOTE characters, no control characters but newlines and tabs."""
    if note is None:
        return None
    if len(note) > MAX_NOTE:
        raise InputError(f"--note: {len(note)} characters is too long (at most {MAX_NOTE}; link to a document instead)")
    if _control(note, "\n\t"):
        raise InputError(f"--note: contains a control character: {shown(note)}")
    return note


def check_by(by: str) -> str:
    if not by.strip():
        raise InputError("--by: empty; give a name, or leave the option out for $MONITOR_USER or the login name")
    if len(by) > MAX_BY or _control(by):
        raise InputError(f"--by: not a name (at most {MAX_BY} characters, no control characters): {shown(by)}")
    return by


def check_date(
    on: dt.date, status: str, agreement: AgreementDef, today: dt.date, *, force: bool, subject: str
) -> dt.date:
    """A status change's date: never in the future; with --force only, before the agreement was signed (a verdict)
    or before 1990-01-01. `subject` names the date in the error, e.g. "--on 2020-01-01"."""
    if on > today:
        raise InputError(f"{subject} is in the future (today is {today.isoformat()})")
    if force:
        return on
    if status in VERDICTS and agreement.signed is not None and on < agreement.signed:
        raise InputError(
            f"{subject} is before agreement {agreement.id!r} was signed ({agreement.signed.isoformat()}); "
            "use --force if that is right"
        )
    if on < EARLIEST:
        signed = "" if agreement.signed is not None else f" and agreement {agreement.id!r} has no signing date"
        raise InputError(f"{subject} is before {EARLIEST.isoformat()}{signed}; use --force if that is right")
    return on


@dataclass(frozen=True)
class Change:
    """A validated status change, ready to be recorded."""

    milestone_id: str
    status: str
    on: dt.date
    evidence_url: str | None
    note: str | None
    by: str
    match_id: int | None = None


def plan_change(
    app: App,
    milestone_id: str,
    status: str,
    *,
    on: dt.date | None = None,
    evidence_url: str | None = None,
    note: str | None = None,
    by: str,
    match_id: int | None = None,
    force: bool = False,
    subject: str | None = None,
    tx: Transaction | None = None,
) -> Change:
    """Check everything about a status change before anything is written; raises InputError naming the problem."""
    check_status(status)
    check_url(evidence_url)
    check_note(note)
    check_by(by)
    today = app.today()
    day = on or today
    m = _lookup(app, milestone_id, tx)
    check_date(
        day,
        status,
        app.definitions.agreement(m.agreement),
        today,
        force=force,
        subject=subject or f"--on {day.isoformat()}",
    )
    return Change(milestone_id, status, day, evidence_url, note, by, match_id)


def record_change(tx: Transaction, app: App, change: Change) -> tuple[bool, str]:
    """Write one planned change in the caller's transaction: (changed, message). Locks the milestone row."""
    row = store.lock(tx, change.milestone_id)
    status, on = change.status, change.on
    if row.status == status:
        when = f" on {row.status_on.isoformat()}" if row.status_on and status in VERDICTS else ""
        return False, f"{change.milestone_id} is already {status}{when}; nothing changed"
    store.write_status(
        tx,
        StatusWrite(
            milestone_id=change.milestone_id,
            from_status=row.status,
            to_status=status,
            on=on,
            status_on=on if status in VERDICTS else None,
            evidence_url=change.evidence_url,  # the evidence of the latest change, not of an older verdict
            recorded_at=app.now(),
            by=change.by,
            note=change.note,
            match_id=change.match_id,
        ),
    )
    when = f" on {on.isoformat()}" if status in VERDICTS else ""
    return True, f"{change.milestone_id}: {row.status} → {status}{when}"


def status_result(app: App, milestone_id: str, changed: bool, message: str) -> StatusResult:
    """The milestone and the milestones that count from it, as they are now."""
    rows = store.rows(app.db)
    progress = store.progress_of(rows)
    view = _view(app, app.definitions.milestone(milestone_id), rows[milestone_id], progress)
    dependants = tuple(_view(app, d, rows[d.id], progress) for d in _dependants(app, milestone_id))
    return StatusResult(changed, message, view, dependants)


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
    force: bool = False,
) -> StatusResult:
    """Record a status change (one history row) unless the milestone already has that status.

    Refused (InputError, nothing written): an unknown or retired milestone, an unknown status, a date in the
    future, a verdict dated before the agreement was signed or any date before 1990-01-01 (unless `force`), an
    evidence URL that is not http(s), an over-long note or an empty `by`."""
    change = plan_change(
        app, milestone_id, status, on=on, evidence_url=evidence_url, note=note, by=by, match_id=match_id, force=force
    )
    with app.db.write() as tx:
        changed, message = record_change(tx, app, change)
    return status_result(app, milestone_id, changed, message)
