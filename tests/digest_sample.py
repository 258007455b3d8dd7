"""A fixed digest state for tests that need no database: a few milestones of the shipped deals in every section,
evidence from two sources, a status change, a failing source. Built from the views the CLI shows."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from monitor.digest.content import (
    AgreementInfo,
    DigestOptions,
    DigestState,
    FeedState,
    Recipient,
    RecordedEvidence,
    Window,
)
from monitor.views import HistoryRow, MatchView, MilestoneView, Source

END = dt.datetime(2026, 11, 22, 12, tzinfo=dt.UTC)
START = END - dt.timedelta(days=7)
WINDOW = Window(START, END, first=False)
TODAY = dt.date(2026, 11, 22)

JAPAN = AgreementInfo(
    "us-japan-minerals-framework",
    "United States–Japan Framework for Securing the Supply of Critical Minerals and Rare Earths",
    ("US", "JP"),
    dt.date(2025, 10, 28),
)
KOREA = AgreementInfo(
    "us-korea-deal", "United States–Korea trade and investment deal", ("US", "KR"), dt.date(2025, 10, 29)
)
THAILAND = AgreementInfo(
    "us-thailand-framework",
    "United States–Thailand Framework for an Agreement on Reciprocal Trade",
    ("US", "TH"),
    dt.date(2025, 10, 26),
)


def milestone(
    id: str,
    agreement: AgreementInfo,
    title: str,
    *,
    status: str = "pending",
    due: dt.date | None = None,
    deadline_state: str = "none",
    soft: bool = False,
    quiet: bool = False,
    last_evidence: dt.datetime | None = None,
) -> MilestoneView:
    return MilestoneView(
        id=id,
        agreement=agreement.id,
        agreement_title=agreement.title,
        title=title,
        status=status,
        status_on=None,
        due=due,
        due_rule=None,
        soft=soft,
        deadline_state=deadline_state,
        days_left=(due - TODAY).days
        if due is not None and deadline_state in ("upcoming", "due_soon", "overdue")
        else None,
        evidence_url=None,
        last_evidence=last_evidence,
        quiet=quiet,
        countries=agreement.parties,
    )


MINISTERIAL = milestone(
    "jp-minerals-ministerial",
    JAPAN,
    "Bilateral Mining, Minerals and Metals Investment Ministerial held",
    due=dt.date(2026, 4, 26),
    deadline_state="overdue",
    last_evidence=END - dt.timedelta(days=2),
)
FINANCED = milestone(
    "jp-projects-financed",
    JAPAN,
    "First jointly selected critical-minerals projects receive financing",
    due=dt.date(2026, 11, 20),
    deadline_state="overdue",
    quiet=True,
)
STOCKPILING = milestone(
    "jp-stockpiling",
    JAPAN,
    "Stockpiling coordination arrangement for critical minerals",
    quiet=True,
)
KR_TEXT = milestone(
    "kr-final-text",
    KOREA,
    "Full text or joint fact sheet of the Korea deal released",
    status="complete",
    last_evidence=END - dt.timedelta(days=3),
)
KR_TARIFF = milestone(
    "kr-tariff-15",
    KOREA,
    "15% US tariff on Korean goods (including autos) put into effect",
    due=dt.date(2026, 12, 10),
    deadline_state="due_soon",
    status="in_progress",
)
TH_FULL = milestone(
    "th-full-agreement",
    THAILAND,
    "Full US–Thailand reciprocal trade agreement concluded or signed",
    due=dt.date(2025, 12, 31),
    deadline_state="overdue",
    soft=True,
    status="stalled",
    quiet=True,
)

MILESTONES = (MINISTERIAL, FINANCED, STOCKPILING, KR_TEXT, KR_TARIFF, TH_FULL)


def match(
    id: int,
    milestone: str,
    title: str,
    url: str | None,
    published: dt.datetime,
    feed: str,
    *,
    signal: str = "progress",
    state: str = "new",
    snippet: str = "",
    also: tuple[Source, ...] = (),
) -> MatchView:
    return MatchView(
        id=id,
        milestone=milestone,
        item_title=title,
        item_url=url,
        published=published,
        feed=feed,
        score=3.0,
        signal=signal,
        state=state,
        snippet=snippet,
        terms=("japan",),
        sources=(Source(feed, url, title), *also),
        note=None,
        reviewed_at=None,
    )


EVIDENCE = (
    RecordedEvidence(
        END - dt.timedelta(days=2),
        match(
            11,
            "jp-minerals-ministerial",
            "Japan and US ministers meet in Tokyo on critical minerals investment",
            "https://www.meti.go.jp/english/press/2026/1120_001.html",
            END - dt.timedelta(days=2, hours=3),
            "meti-news",
            signal="completion",
            snippet="… the first Mining, Minerals and Metals Investment Ministerial was held in Tokyo on 20 November, "
            "where ministers agreed a list of priority projects …",
            also=(
                Source(
                    "wh-fact-sheets",
                    "https://www.whitehouse.gov/fact-sheets/2026/11/us-japan-ministerial/",
                    "Fact Sheet: United States and Japan Hold Critical Minerals Ministerial",
                ),
            ),
        ),
    ),
    RecordedEvidence(
        END - dt.timedelta(days=3),
        match(
            12,
            "kr-final-text",
            "US and Korea release joint fact sheet on trade and security",
            "https://www.korea.net/NewsFocus/policies/view?articleId=280001",
            END - dt.timedelta(days=3, hours=1),
            "korea-net",
            signal="completion",
            state="confirmed",
            snippet="… the joint fact sheet released on Friday sets out the 15% tariff and the $350 billion …",
        ),
    ),
    RecordedEvidence(  # recorded before the window: not in this digest
        START - dt.timedelta(hours=1),
        match(13, "kr-tariff-15", "Old news about Korean tariffs", "https://news.example.org/old", START, "news-kr"),
    ),
)

CHANGES = (
    HistoryRow(
        milestone="kr-final-text",
        from_status="pending",
        to_status="complete",
        on=dt.date(2026, 11, 19),
        recorded_at=END - dt.timedelta(days=3),
        by="ana",
        note="Joint fact sheet published by both governments.",
        evidence_url="https://www.korea.net/NewsFocus/policies/view?articleId=280001",
        match_id=12,
        kind="change",
        refers_to=None,
        id=2,
    ),
    HistoryRow(
        milestone="th-full-agreement",
        from_status="in_progress",
        to_status="stalled",
        on=dt.date(2026, 11, 18),
        recorded_at=END - dt.timedelta(days=4),
        by="ben",
        note="Talks suspended over the border dispute.",
        evidence_url=None,
        match_id=None,
        kind="change",
        refers_to=None,
        id=1,
    ),
)

FEEDS = (
    FeedState("meti-news", "METI — news releases (English)", ("JP",), True, 0, None, END),
    FeedState("korea-net", "Korea.net — policy news", ("KR",), True, 4, "HTTP 503", END - dt.timedelta(days=5)),
    FeedState("wh-fact-sheets", "White House — fact sheets", ("US",), True, 3, "timeout after 30 s", None),
    FeedState("news-th", "News search — Thailand", ("TH",), False, 9, "HTTP 404", None),
)

STATE = DigestState(
    today=TODAY,
    timezone="UTC",
    agreements=(JAPAN, KOREA, THAILAND),
    milestones=MILESTONES,
    changes=CHANGES,
    evidence=EVIDENCE,
    feeds=FEEDS,
    feed_titles={f.id: f.title for f in FEEDS},
)

OPTIONS = DigestOptions(
    due_soon_days=30,
    quiet_after_days=60,
    base_url="https://monitor.example.org/status",
    unsubscribe_address="monitor@example.org",
)

EVERYTHING = Recipient("ana@example.org", "Ana Analyst", "weekly", token="tok-ana-0123456789")
JAPAN_ONLY = Recipient("jun@example.org", "Jun", "weekly", countries=("JP",), token="tok-jun")


def with_evidence(state: DigestState, *extra: RecordedEvidence) -> DigestState:
    return replace(state, evidence=state.evidence + extra)
