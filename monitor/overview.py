"""The overview: per agreement, its milestones counted by deadline state; what is overdue, due soon and quiet;
evidence awaiting review; failing sources. Read-only over the state reads the CLI, the digest and the report share
(tracking's milestone views, storage.evidence_reads, storage.feeds.health), so they never disagree.

The counting and ordering are pure functions of views (`agreement_views`, `summarise`); `summary` and
`agreements` read the state and call them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from . import tracking
from .app import App
from .deadlines import DEADLINE_STATES, OPEN
from .definitions import AgreementDef
from .errors import InputError
from .storage import evidence_reads
from .storage import feeds as feed_store
from .storage.evidence_reads import NewEvidence
from .storage.feeds import FeedHealth
from .views import AgreementView, EvidenceWaiting, FailingSource, MilestoneView, Summary

# ---------------------------------------------------------------- pure


def agreement_views(agreements: Sequence[AgreementDef], views: Sequence[MilestoneView]) -> list[AgreementView]:
    """Every agreement, in the order given, with its milestones counted; one without milestones counts zeros."""
    out = []
    for a in agreements:
        mine = [v for v in views if v.agreement == a.id]
        out.append(
            AgreementView(
                id=a.id,
                title=a.title,
                kind=a.kind,
                parties=a.parties,
                signed=a.signed,
                binding=a.binding,
                milestones=len(mine),
                open=sum(v.status in OPEN for v in mine),
                quiet=sum(v.quiet for v in mine),
                deadline_states={s: sum(v.deadline_state == s for v in mine) for s in DEADLINE_STATES},
            )
        )
    return out


def overdue(views: Sequence[MilestoneView]) -> list[MilestoneView]:
    """Open milestones past their due date, most overdue first."""
    late = [v for v in views if v.deadline_state == "overdue" and v.days_left is not None]
    return sorted(late, key=lambda v: v.days_left or 0)


def due_within(views: Sequence[MilestoneView], days: int) -> list[MilestoneView]:
    """Open milestones due today or in the next `days` days, soonest first."""
    soon = [v for v in views if v.status in OPEN and v.days_left is not None and 0 <= v.days_left <= days]
    return sorted(soon, key=lambda v: v.days_left or 0)


def failing(health: Sequence[FeedHealth]) -> list[FailingSource]:
    """Enabled sources whose last check failed, most consecutive failures first."""
    rows = [h for h in health if h.enabled and h.consecutive_failures > 0]
    return [
        FailingSource(
            h.id, h.title, h.type, h.url, h.consecutive_failures, h.last_error, h.last_checked, h.last_success
        )
        for h in sorted(rows, key=lambda h: (-h.consecutive_failures, h.id))
    ]


def waiting(new: Sequence[NewEvidence], views: Sequence[MilestoneView]) -> list[EvidenceWaiting]:
    """Unreviewed evidence of active milestones, in the order given (newest evidence first)."""
    titles = {v.id: v.title for v in views}
    return [
        EvidenceWaiting(e.milestone, titles[e.milestone], e.matches, e.latest) for e in new if e.milestone in titles
    ]


def summarise(
    today: dt.date,
    days: int,
    quiet_after_days: int,
    agreements: Sequence[AgreementDef],
    views: Sequence[MilestoneView],
    new: Sequence[NewEvidence],
    health: Sequence[FeedHealth],
) -> Summary:
    evidence = waiting(new, views)
    checked = [h.last_checked for h in health if h.last_checked is not None]
    return Summary(
        today=today,
        due_soon_days=days,
        quiet_after_days=quiet_after_days,
        agreements=tuple(agreement_views(agreements, views)),
        overdue=tuple(overdue(views)),
        due_soon=tuple(due_within(views, days)),
        quiet=tuple(v for v in views if v.quiet),
        new_matches=sum(e.matches for e in evidence),
        new_evidence=tuple(evidence),
        failing_sources=tuple(failing(health)),
        sources_checked=max(checked) if checked else None,
    )


# ---------------------------------------------------------------- reading


def summary(app: App, days: int | None = None) -> Summary:
    """The overview as of today; `days`: the due-soon window (default `digest.due_soon_days`)."""
    if days is None:
        days = app.settings.digest.due_soon_days
    if isinstance(days, bool) or days < 0:
        raise InputError(f"--days: {days} is not a number of days (0 or more)")
    return summarise(
        app.today(),
        days,
        app.settings.matching.quiet_after_days,
        app.definitions.agreements,
        tracking.views(app),
        evidence_reads.awaiting_review(app.db),
        feed_store.health(app.db),
    )


def agreements(app: App) -> list[AgreementView]:
    """Every agreement in config order with its milestones counted."""
    return agreement_views(app.definitions.agreements, tracking.views(app))
