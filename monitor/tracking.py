"""Milestone state: listing with deadlines, one milestone in full, status changes and their history.

State is read and written through storage.milestones; the views are monitor.views'."""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from . import deadlines
from .app import App
from .choices import check_ids, check_words, many
from .deadlines import STATUSES, VERDICTS, Deadline, Progress
from .definitions import AgreementDef, FeedDef, MilestoneDef
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

SORTS = ("urgency", "due", "id", "agreement")


@dataclass(frozen=True)
class Reading:
    """The stored state every milestone view is built from, read once: rows, the progress deadlines count from, and
    since when each agreement's sources have been read (for "quiet")."""

    rows: dict[str, MilestoneRow]
    progress: dict[str, Progress]
    watched_since: dict[str, dt.date | None]


def sources_of(agreement: AgreementDef, feeds: tuple[FeedDef, ...]) -> list[FeedDef]:
    """An agreement's sources: the configured feeds whose countries meet its parties, and those with no countries
    (general sources). Pure."""
    parties = set(agreement.parties)
    return [f for f in feeds if not f.countries or parties & set(f.countries)]


def watched_since(
    agreement: AgreementDef, feeds: tuple[FeedDef, ...], first_read: dict[str, dt.date]
) -> dt.date | None:
    """Since when evidence for the agreement could have been found: the later of its signing and the first time any
    of its sources delivered items (`first_read`: feed id -> date); None while none has. Pure."""
    read = [first_read[f.id] for f in sources_of(agreement, feeds) if f.id in first_read]
    if not read:
        return None
    first = min(read)
    return max(first, agreement.signed) if agreement.signed else first


def read_state(app: App) -> Reading:
    rows = store.rows(app.db)
    first_read = {feed: app.local_date(when) for feed, when in evidence_reads.first_items(app.db).items()}
    defs = app.definitions
    return Reading(
        rows,
        store.progress_of(rows),
        {a.id: watched_since(a, defs.feeds, first_read) for a in defs.agreements},
    )


def _view(app: App, m: MilestoneDef, state: Reading) -> MilestoneView:
    agreement = app.definitions.agreement(m.agreement)
    row = state.rows[m.id]
    today = app.today()
    d: Deadline = deadlines.deadline(m, agreement, state.progress, today, app.settings.digest.due_soon_days)
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
            state.watched_since[agreement.id],
            today,
            app.settings.matching.quiet_after_days,
        ),
    )


def views(app: App, state: Reading | None = None) -> list[MilestoneView]:
    """Every active milestone as of today, in config order."""
    state = state or read_state(app)
    return [_view(app, m, state) for m in app.definitions.milestones]


def urgency(v: MilestoneView) -> tuple[int, int]:
    """How soon a milestone needs attention, smallest first: open milestones with a due date, earliest due first (so
    the most overdue leads, then the soonest due); then open ones waiting on another milestone; then open ones
    without a due date; then those with a verdict. Pure."""
    if v.status in deadlines.OPEN:
        if v.due is not None:
            return (0, v.due.toordinal())
        return (1, 0) if v.deadline_state == "waiting" else (2, 0)
    return (3, 0)


def sort_views(views: Sequence[MilestoneView], by: str, agreements: Sequence[str] = ()) -> list[MilestoneView]:
    """Milestones in the order `by` names (SORTS): urgency; due (earliest first, no due date last); id; agreement
    (in `agreements` order, then urgency). Ties keep the given (config) order. Pure."""
    if by == "urgency":
        return sorted(views, key=urgency)
    if by == "due":
        return sorted(views, key=lambda v: (v.due is None, v.due or dt.date.min))
    if by == "id":
        return sorted(views, key=lambda v: v.id)
    if by == "agreement":
        order = {a: i for i, a in enumerate(agreements)}
        return sorted(views, key=lambda v: (order.get(v.agreement, len(order)), urgency(v)))
    raise InputError(f"unknown sort {by!r} (one of: {', '.join(SORTS)})")


def list_milestones(
    app: App,
    agreement: str | Sequence[str] | None = None,
    country: str | Sequence[str] | None = None,
    status: str | Sequence[str] | None = None,
    deadline_state: str | Sequence[str] | None = None,
    *,
    due_within: int | None = None,
    sort: str | None = None,
) -> list[MilestoneView]:
    """Active milestones as of today. Each filter takes one value or several (a milestone passes when it has any of
    them; "a,b" is two values); different filters must all hold. `due_within`: open milestones due in 0 to N days
    (overdue ones are `deadline_state="overdue"`). `sort`: one of SORTS, default config order. Raises InputError
    naming an unknown agreement, country, status, deadline state or sort."""
    defs = app.definitions
    agreements = many(agreement)
    known_agreements = [a.id for a in defs.agreements]
    check_ids(agreements, known_agreements, "agreement")
    statuses = [check_status(s) for s in many(status)]
    states = many(deadline_state)
    check_words(states, deadlines.DEADLINE_STATES, "deadline state")
    given_countries = many(country)
    countries = [c.upper() for c in given_countries]
    if countries:
        parties = {p for a in defs.agreements for p in a.parties}
        for cc, given in zip(countries, given_countries, strict=True):
            if cc not in parties:
                raise InputError(f"unknown country {given!r} (tracked: {', '.join(sorted(parties))})")
    if due_within is not None and (isinstance(due_within, bool) or due_within < 0):
        raise InputError(f"--due-within: {due_within} is not a number of days (0 or more)")
    if sort is not None and sort not in SORTS:
        raise InputError(f"unknown sort {sort!r} (one of: {', '.join(SORTS)})")
    out = []
    for v in views(app):
        if agreements and v.agreement not in agreements:
            continue
        if countries and not set(countries) & set(v.countries):
            continue
        if statuses and v.status not in statuses:
            continue
        if states and v.deadline_state not in states:
            continue
        if due_within is not None and not (
            v.status in deadlines.OPEN and v.days_left is not None and 0 <= v.days_left <= due_within
        ):
            continue
        out.append(v)
    return sort_views(out, sort, known_agreements) if sort else out


def lookup(app: App, milestone_id: str, tx: Transaction | None = None) -> MilestoneDef:
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

    state = read_state(app)
    m = lookup(app, milestone_id)
    return MilestoneDetail(
        view=_view(app, m, state),
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
    m = lookup(app, milestone_id, tx)
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


def status_result(
    app: App, milestone_id: str, changed: bool, message: str, state: Reading | None = None
) -> StatusResult:
    """The milestone and the milestones that count from it, as they are now (`state`: read already, after the
    last write)."""
    state = state or read_state(app)
    view = _view(app, app.definitions.milestone(milestone_id), state)
    dependants = tuple(_view(app, d, state) for d in _dependants(app, milestone_id))
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
