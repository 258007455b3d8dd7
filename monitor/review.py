"""Judging evidence: confirm or dismiss a match; `confirm --complete` also completes its milestone, in the same
transaction (a refused completion leaves the match as it was).

Builds on tracking (status changes) and evidence (the match as listed); neither knows of it."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from . import tracking
from .app import App
from .errors import InputError, unknown_id
from .evidence import list_matches
from .storage import evidence_reads
from .views import MatchView

MAX_MATCH_ID = 2**31 - 1  # the id column is a 32-bit integer on PostgreSQL


def parse_match_id(text: str) -> int:
    """A MATCH_ID typed by a person: ASCII digits only (int() would take '٣' or ' 3'), within the id range."""
    if not re.fullmatch(r"[0-9]+", text, re.ASCII):
        raise InputError(f"MATCH_ID must be a whole number such as 42, got {tracking.shown(text)}")
    value = int(text)
    if not 1 <= value <= MAX_MATCH_ID:
        raise InputError(f"unknown match {tracking.shown(text)}")
    return value


@dataclass(frozen=True)
class ReviewResult:
    match: MatchView
    message: str
    status: tracking.StatusResult | None = None


def _evidence_link(link: str | None) -> tuple[str | None, str]:
    """The item's link as a completion's evidence URL, or None and why not (said in the review's message)."""
    if link is None:
        return None, "the item has no link: the completion has no evidence URL"
    problem = tracking.url_problem(link)
    if problem is None:
        return link, ""
    return None, f"the item's link {tracking.shown(link)} is {problem}: the completion has no evidence URL"


def review(
    app: App,
    match_id: int,
    verdict: Literal["confirm", "dismiss"],
    *,
    complete: bool = False,
    note: str | None = None,
    by: str,
    force: bool = False,
) -> ReviewResult:
    """Confirm or dismiss a match; with `complete`, also mark its milestone complete, dated by the item's
    publication (in the configured timezone, never after today), with the item's http(s) link as evidence.

    Everything is checked first and written in one transaction: a refused completion leaves the match as it was."""
    return review_many(app, [match_id], verdict, complete=complete, note=note, by=by, force=force)[0]


@dataclass(frozen=True)
class _Judged:
    match_id: int
    milestone_id: str
    before: str
    state: str
    change: tracking.Change | None
    changed: bool
    status_message: str
    caveat: str


def _check_id(match_id: object) -> int:
    if isinstance(match_id, bool) or not isinstance(match_id, int) or not 1 <= match_id <= MAX_MATCH_ID:
        raise InputError(f"unknown match {str(match_id)!r}")
    return match_id


def review_many(
    app: App,
    match_ids: Sequence[int],
    verdict: Literal["confirm", "dismiss"],
    *,
    complete: bool = False,
    note: str | None = None,
    by: str,
    force: bool = False,
) -> list[ReviewResult]:
    """Judge several matches alike (`review 3 5 8 dismiss`), in the order given (an id given twice counts once),
    all in one transaction: one unknown id or one refused completion and nothing is written. With `complete`, each
    match completes its own milestone (see `review`); two matches of one milestone cannot both complete it."""
    ids = list(dict.fromkeys(_check_id(i) for i in match_ids))
    if not ids:
        raise InputError("give at least one MATCH_ID")
    if verdict not in ("confirm", "dismiss"):
        raise InputError(f"unknown review verdict {tracking.shown(str(verdict))} (confirm or dismiss)")
    if complete and verdict != "confirm":
        raise InputError("--complete goes with confirm: a dismissed match cannot complete a milestone")
    tracking.check_note(note)
    tracking.check_by(by)
    state = "confirmed" if verdict == "confirm" else "dismissed"
    judged: list[_Judged] = []
    completing: dict[str, int] = {}
    with app.db.write() as tx:
        for match_id in ids:
            match = evidence_reads.lock_for_review(tx, match_id)
            if match is None:
                recent = [str(i) for i in evidence_reads.recent_ids(tx)]
                raise unknown_id("match", str(match_id), recent)
            milestone_id, before = match.milestone_id, match.state
            change: tracking.Change | None = None
            caveat = ""
            if complete:
                if milestone_id in completing:
                    raise InputError(
                        f"matches {completing[milestone_id]} and {match_id} are both evidence for {milestone_id}: "
                        "--complete takes one of them (the one whose date is right)"
                    )
                completing[milestone_id] = match_id
                on = min(app.local_date(match.published), app.today())
                evidence_url, caveat = _evidence_link(match.link)
                change = tracking.plan_change(
                    app,
                    milestone_id,
                    "complete",
                    on=on,
                    evidence_url=evidence_url,
                    note=note,
                    by=by,
                    match_id=match_id,
                    force=force,
                    subject=f"match {match_id} is dated {on.isoformat()} (its item's publication), which",
                    tx=tx,
                )
            evidence_reads.set_review(tx, match_id, state, app.now(), note)
            changed, status_message = False, ""
            if change is not None:
                changed, status_message = tracking.record_change(tx, app, change)
            judged.append(_Judged(match_id, milestone_id, before, state, change, changed, status_message, caveat))
    now = tracking.read_state(app) if any(j.change is not None for j in judged) else None  # once, after the writes
    return [_result(app, j, now) for j in judged]


def _result(app: App, j: _Judged, state: tracking.Reading | None) -> ReviewResult:
    message = (
        f"match {j.match_id} ({j.milestone_id}): {j.before} → {j.state}"
        if j.before != j.state
        else f"match {j.match_id} ({j.milestone_id}) is already {j.state}"
    )
    status = None
    if j.change is not None:
        status_message = j.status_message
        if j.caveat and j.changed:
            status_message += f" ({j.caveat}; the history row records match {j.match_id})"
        status = tracking.status_result(app, j.milestone_id, j.changed, status_message, state)
    view = list_matches(app, match_id=j.match_id)[0]
    return ReviewResult(view, message, status)
