"""What the report is made of, read once through the shared views (tracking, storage): the edge where the report
meets the database and the clock. Everything after `read_state` is a pure function of the ReportState."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from .. import tracking
from ..app import App
from ..definitions import AgreementDef, MilestoneDef
from ..storage import evidence_reads, trends
from ..storage.feeds import FeedHealth, health
from ..storage.trends import Found
from ..views import HistoryRow, MatchView, MilestoneView

EVIDENCE_SHOWN = 100  # pieces of evidence listed on a milestone page; the rest are counted
TREND_WEEKS = 104  # the trend charts start at the first signing, at most two years back


@dataclass(frozen=True)
class ReportState:
    now: dt.datetime
    today: dt.date
    timezone: str
    due_soon_days: int
    base_url: str | None  # digest.base_url: where the report is published, for absolute links in feeds
    agreements: tuple[AgreementDef, ...]
    milestones: tuple[MilestoneDef, ...]
    views: tuple[MilestoneView, ...]  # as `monitor milestones` lists them
    history: tuple[HistoryRow, ...]  # every change of a tracked milestone, newest recorded first
    evidence: Mapping[str, tuple[MatchView, ...]]  # per milestone, not dismissed, newest first, at most a limit
    evidence_total: Mapping[str, int]  # per milestone, not dismissed, all of it
    found: tuple[Found, ...]  # evidence since the trend window's start, for the charts
    trend_start: dt.date  # the Monday the trend charts start on
    feeds: tuple[FeedHealth, ...]

    def view(self, milestone_id: str) -> MilestoneView:
        return next(v for v in self.views if v.id == milestone_id)


def week_start(day: dt.date) -> dt.date:
    """The Monday of `day`'s ISO week."""
    return day - dt.timedelta(days=day.weekday())


def trend_window(agreements: tuple[AgreementDef, ...], today: dt.date, weeks: int = TREND_WEEKS) -> dt.date:
    """The Monday the trend charts start on: the week of the first signing, at most `weeks` weeks back."""
    first = week_start(today) - dt.timedelta(weeks=weeks - 1)
    signed = [a.signed for a in agreements if a.signed is not None and a.signed <= today]
    return max(first, week_start(min(signed))) if signed else first


def newest_evidence(app: App, milestone_id: str, limit: int) -> tuple[MatchView, ...]:
    """The `limit` newest pieces of a milestone's evidence that were not dismissed (confirmed or unreviewed), in
    the order evidence_reads.matches gives (newest item first)."""
    return tuple(evidence_reads.matches(app.db, milestone=milestone_id, state=("confirmed", "new"), limit=limit))


def read_state(app: App, evidence_limit: int = EVIDENCE_SHOWN, with_trends: bool = True) -> ReportState:
    """Everything the report shows, read now: each milestone's newest `evidence_limit` pieces of evidence, and
    (`with_trends`) the evidence the charts count. Evidence dismissed by a reviewer is left out: it was judged
    not to be evidence."""
    defs = app.definitions
    views = tuple(tracking.list_milestones(app))
    tracked = {m.id for m in defs.milestones}
    history = tuple(h for h in tracking.history(app) if h.milestone in tracked)
    evidence = {m.id: newest_evidence(app, m.id, evidence_limit) for m in defs.milestones}
    today = app.today()
    start = trend_window(defs.agreements, today)
    # a week starts at midnight in `timezone`; a day earlier in UTC covers every offset, the content cuts exactly
    since = dt.datetime.combine(start - dt.timedelta(days=1), dt.time(), dt.UTC)
    return ReportState(
        now=app.now(),
        today=today,
        timezone=app.settings.timezone,
        due_soon_days=app.settings.digest.due_soon_days,
        base_url=app.settings.digest.base_url,
        agreements=defs.agreements,
        milestones=defs.milestones,
        views=views,
        history=history,
        evidence=evidence,
        evidence_total=trends.evidence_counts(app.db),
        found=tuple(trends.evidence_found(app.db, since)) if with_trends else (),
        trend_start=start,
        feeds=tuple(f for f in health(app.db) if f.enabled),
    )
