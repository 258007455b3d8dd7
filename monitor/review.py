"""Judging evidence: confirm or dismiss a match; `confirm --complete` also completes its milestone, in the same
transaction (a refused completion leaves the match as it was).

Builds on tracking (status changes) and evidence (the match as listed); neither knows of it."""

from __future__ import annotations

import re
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
    if isinstance(match_id, bool) or not isinstance(match_id, int) or not 1 <= match_id <= MAX_MATCH_ID:
        raise InputError(f"unknown match {str(match_id)!r}")
    if verdict not in ("confirm", "dismiss"):
        raise InputError(f"unknown review verdict {tracking.shown(str(verdict))} (confirm or dismiss)")
    if complete and verdict != "confirm":
        raise InputError("--complete goes with confirm: a dismissed match cannot complete a milestone")
    tracking.check_note(note)
    tracking.check_by(by)
    state = "confirmed" if verdict == "confirm" else "dismissed"
    caveat = ""
    change: tracking.Change | None = None
    changed, status_message = False, ""
    with app.db.write() as tx:
        match = evidence_reads.lock_for_review(tx, match_id)
        if match is None:
            recent = [str(i) for i in evidence_reads.recent_ids(tx)]
            raise unknown_id("match", str(match_id), recent)
        milestone_id, before = match.milestone_id, match.state
        if complete:
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
        if change is not None:
            changed, status_message = tracking.record_change(tx, app, change)
    message = (
        f"match {match_id} ({milestone_id}): {before} → {state}"
        if before != state
        else f"match {match_id} ({milestone_id}) is already {state}"
    )
    status = None
    if change is not None:
        if caveat and changed:
            status_message += f" ({caveat}; the history row records match {match_id})"
        status = tracking.status_result(app, milestone_id, changed, status_message)
    view = list_matches(app, match_id=match_id)[0]
    return ReviewResult(view, message, status)
