"""Evidence: matching stored items against milestones, listing what was found, and reviewing it.

Matching never changes a status; only a person does (review --complete, complete, status).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import select

from . import tracking
from .app import App
from .clock import iso
from .deadlines import VERDICTS
from .errors import InputError, unknown_id
from .match.engine import ItemText, Matcher, build_matcher
from .match.stories import canonical_link, headline_key
from .storage import matches as store
from .storage.schema import Item, Match, MatchSource, Milestone

BATCH = 2000
MATCH_STATES = ("new", "confirmed", "dismissed")
SIGNALS = ("completion", "progress", "delay", "none")


def matcher_for(app: App) -> Matcher:
    d = app.definitions
    return build_matcher(d.milestones, d.aliases, d.signals, app.settings.matching.threshold)


def open_milestones(app: App, with_rule: bool = True) -> list[str]:
    """Milestones without a verdict, in config order; only those with a `match:` rule unless `with_rule` is false."""
    with app.db.read() as s:
        closed = set(s.scalars(select(Milestone.id).where(Milestone.status.in_(VERDICTS))))
    return [m.id for m in app.definitions.milestones if m.id not in closed and (m.match is not None or not with_rule)]


@dataclass(frozen=True)
class RematchReport:
    items: int
    added: int
    removed: int
    milestones: tuple[str, ...]

    def as_json(self) -> dict[str, Any]:
        return {"items": self.items, "added": self.added, "removed": self.removed, "milestones": list(self.milestones)}


def _run(app: App, scope: list[str], only_pending: bool) -> RematchReport:
    matcher = matcher_for(app)
    allowed = frozenset(scope)  # built once, not per item
    total = added = removed = 0
    for rows in store.items_to_match(app.db, BATCH, only_pending):
        batch = [
            store.ItemMatches(
                item,
                matcher.match(ItemText(item.title, item.text), allowed),
                canonical_link(item.link),
                headline_key(item.title),
            )
            for item in rows
        ]
        counts = store.record(app.db, batch, scope, app.now())
        total += len(rows)
        added += counts.added
        removed += counts.removed
    return RematchReport(total, added, removed, tuple(scope))


def match_pending(app: App) -> int:
    """Match new and changed items (as marked by polling) against every open milestone."""
    return _run(app, open_milestones(app, with_rule=False), only_pending=True).added


def rematch(app: App, milestone_id: str | None = None) -> RematchReport:
    """Apply the current rules to every stored item: new evidence added, unreviewed evidence that no longer
    holds removed. Reviewed evidence is never changed. A milestone whose `match:` rule was deleted is in scope
    too: nothing matches it any more, so its unreviewed evidence goes."""
    if milestone_id is not None:
        ids = [m.id for m in app.definitions.milestones]
        if milestone_id not in ids:
            raise unknown_id("milestone", milestone_id, ids)
        scope = [milestone_id]
    else:
        scope = open_milestones(app, with_rule=False)
    return _run(app, scope, only_pending=False)


# ---------------------------------------------------------------- listing


@dataclass(frozen=True)
class Source:
    feed: str
    url: str | None
    title: str


@dataclass(frozen=True)
class MatchView:
    id: int
    milestone: str
    item_title: str
    item_url: str | None
    published: dt.datetime
    feed: str
    score: float
    signal: str
    state: str
    snippet: str
    terms: tuple[str, ...]
    sources: tuple[Source, ...]
    note: str | None
    reviewed_at: dt.datetime | None

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "milestone": self.milestone,
            "item_title": self.item_title,
            "item_url": self.item_url,
            "published": self.published.isoformat(),
            "feed": self.feed,
            "score": self.score,
            "signal": self.signal,
            "state": self.state,
            "snippet": self.snippet,
            "terms": list(self.terms),
            "sources": [{"feed": s.feed, "url": s.url, "title": s.title} for s in self.sources],
            "note": self.note,
            "reviewed_at": iso(self.reviewed_at),
        }


def list_matches(
    app: App,
    milestone: str | None = None,
    state: str | None = None,
    signal: str | None = None,
    since: dt.date | None = None,
    limit: int | None = None,
    match_id: int | None = None,
) -> list[MatchView]:
    if milestone is not None:
        ids = [m.id for m in app.definitions.milestones]
        if milestone not in ids:
            raise unknown_id("milestone", milestone, ids)
    if state is not None and state not in MATCH_STATES:
        raise InputError(f"unknown match state {state!r} (one of: {', '.join(MATCH_STATES)})")
    if signal is not None and signal not in SIGNALS:
        raise InputError(f"unknown signal {signal!r} (one of: {', '.join(SIGNALS)})")
    with app.db.read() as s:
        q = select(Match, Item).join(Item, Item.id == Match.item_id)
        if milestone:
            q = q.where(Match.milestone_id == milestone)
        if match_id is not None:
            q = q.where(Match.id == match_id)
        if state:
            q = q.where(Match.state == state)
        if signal:
            q = q.where(Match.signal == signal)
        if since:
            q = q.where(Item.published >= dt.datetime.combine(since, dt.time(), dt.UTC))
        q = q.order_by(Item.published.desc(), Match.id.desc())
        if limit:
            q = q.limit(limit)
        rows = s.execute(q).all()
        sources: dict[int, list[Source]] = {}
        if rows:
            src = s.execute(
                select(MatchSource.match_id, Item.feed_id, Item.link, Item.title)
                .join(Item, Item.id == MatchSource.item_id)
                .where(MatchSource.match_id.in_([m.id for m, _ in rows]))
                .order_by(Item.id)
            )
            for mid, feed, link, title in src:
                sources.setdefault(mid, []).append(Source(feed, link, title))
        return [
            MatchView(
                m.id,
                m.milestone_id,
                i.title,
                i.link,
                i.published,
                i.feed_id,
                m.score,
                m.signal,
                m.state,
                m.snippet,
                tuple(m.terms),
                tuple(sources.get(m.id, ())),
                m.note,
                m.reviewed_at,
            )
            for m, i in rows
        ]


# ---------------------------------------------------------------- review

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
    with app.db.write() as s:
        match = s.get(Match, match_id, with_for_update=True)
        if match is None:
            recent = [str(i) for i in s.scalars(select(Match.id).order_by(Match.id.desc()).limit(200))]
            raise unknown_id("match", str(match_id), recent)
        item = s.get(Item, match.item_id)
        assert item is not None  # a match's item is deleted with it
        milestone_id, before = match.milestone_id, match.state
        if complete:
            published = app.local_date(item.published)
            on = min(published, app.today())
            evidence_url, caveat = _evidence_link(item.link)
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
                session=s,
            )
        match.state, match.reviewed_at = state, app.now()
        if note is not None:
            match.note = note
        if change is not None:
            changed, status_message = tracking.record_change(s, app, change)
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
