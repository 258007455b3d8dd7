"""A digest with something in every section, made up, for `monitor check` to render the digest templates with
(a home's template that names something a digest does not have fails there, not on Monday morning)."""

from __future__ import annotations

import datetime as dt

from ..views import HistoryRow, MatchView, MilestoneView, Source
from .content import (
    AgreementInfo,
    Digest,
    DigestOptions,
    DigestState,
    FeedState,
    Recipient,
    RecordedEvidence,
    Window,
    build_digest,
)

END = dt.datetime(2026, 1, 12, 8, tzinfo=dt.UTC)
TODAY = END.date()


def _milestone(n: int, state: str, due: dt.date | None, *, quiet: bool = False) -> MilestoneView:
    days = (due - TODAY).days if due is not None else None
    return MilestoneView(
        id=f"sample-{n}",
        agreement="sample-agreement",
        agreement_title="Sample agreement",
        title=f"Sample milestone {n}",
        status="pending",
        status_on=None,
        due=due,
        due_rule=None,
        soft=False,
        deadline_state=state,
        days_left=days,
        evidence_url=None,
        last_evidence=END - dt.timedelta(days=90) if quiet else END - dt.timedelta(days=1),
        quiet=quiet,
        countries=("US", "JP"),
    )


def sample_digest(options: DigestOptions) -> Digest:
    milestones = (
        _milestone(1, "overdue", TODAY - dt.timedelta(days=3)),
        _milestone(2, "due_soon", TODAY + dt.timedelta(days=5)),
        _milestone(3, "none", None, quiet=True),
    )
    match = MatchView(
        id=1,
        milestone="sample-1",
        item_title="Sample evidence",
        item_url="https://example.org/news/1",
        published=END - dt.timedelta(days=1),
        feed="sample-feed",
        score=2.0,
        signal="progress",
        state="new",
        snippet="… a sample snippet …",
        terms=("sample",),
        sources=(
            Source("sample-feed", "https://example.org/news/1", "Sample evidence"),
            Source("other-feed", "https://example.net/news/1", "Sample evidence, elsewhere"),
        ),
        note=None,
        reviewed_at=None,
    )
    change = HistoryRow(
        "sample-2", "pending", "in_progress", TODAY, END, "sample", "A note", None, None, "change", None, 1
    )
    state = DigestState(
        today=TODAY,
        timezone="UTC",
        agreements=(AgreementInfo("sample-agreement", "Sample agreement", ("US", "JP"), dt.date(2025, 10, 28)),),
        milestones=milestones,
        changes=(change,),
        evidence=(RecordedEvidence(END - dt.timedelta(hours=1), match),),
        feeds=(FeedState("failing-feed", "A failing feed", (), True, 4, "HTTP 503", None),),
        feed_titles={"sample-feed": "Sample feed", "other-feed": "Other feed"},
    )
    recipient = Recipient("reader@example.org", "A Reader", "weekly", token="sample-token")
    return build_digest(recipient, Window(END - dt.timedelta(days=7), END), state, options)
