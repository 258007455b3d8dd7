"""The report's content: pure functions of the ReportState (no database, clock or files), turned into pages by
site.py and into files by exports.py.

Every link from data is checked here (text.safe_url): a template only ever receives an http(s) URL or None."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from ..clock import local_date
from ..deadlines import DEADLINE_STATES, STATUSES
from ..definitions import AgreementDef, MilestoneDef
from ..plan.history import kind_phrase
from ..views import FAILING_AFTER, HistoryRow, MatchView, MilestoneDetail, MilestoneView
from ..wording import DEADLINE_WORDS, days_phrase, plural
from . import charts
from .state import EVIDENCE_SHOWN, ReportState
from .text import safe_url, shorten

STATUS_LABELS = {s: s.replace("_", " ") for s in STATUSES}
STATE_LABELS = DEADLINE_WORDS
SOFT_STATES = ("upcoming", "due_soon", "overdue")  # where a soft target reads differently from a commitment
CHANGES_IN_FEED = 100  # status changes in changes.xml
TAG = "tag:monitor,2025:"  # the authority and date of every id the report mints (RFC 4151)


def page_path(milestone_id: str) -> str:
    """A milestone's page, relative to the site's root (ids are [a-z0-9-]+: safe as file names)."""
    return f"milestones/{milestone_id}.html"


def absolute(base_url: str | None, path: str) -> str | None:
    """`path` under the published report's address, when one is configured."""
    return f"{base_url.rstrip('/')}/{path}" if base_url else None


def state_label(v: MilestoneView) -> str:
    label = STATE_LABELS[v.deadline_state]
    return label + " (soft)" if v.soft and v.deadline_state in SOFT_STATES else label


def status_phrase(v: MilestoneView) -> str:
    """The status and deadline in a few words, as a calendar or a feed shows them: "overdue, stalled",
    "complete on 2026-03-01, met", "due soon (soft)", "missed on 2026-05-01"."""
    if v.status in ("complete", "partial", "missed"):
        when = f" on {v.status_on.isoformat()}" if v.status_on else ""
        kept = v.deadline_state in ("met", "late") and v.status != "missed"
        return f"{STATUS_LABELS[v.status]}{when}" + (f", {STATE_LABELS[v.deadline_state]}" if kept else "")
    phrase = state_label(v)
    return phrase if v.status == "pending" else f"{phrase}, {STATUS_LABELS[v.status]}"


def local_time(when: dt.datetime, timezone: str) -> str:
    """An instant as people read it in the configured timezone: "2026-03-01 10:00 UTC"."""
    return when.astimezone(ZoneInfo(timezone)).strftime("%Y-%m-%d %H:%M %Z")


def depends_on(m: MilestoneDef) -> str | None:
    """The milestone whose completion this one's due date counts from (as `monitor show` says)."""
    return m.due.after if m.due and m.due.kind == "after" and m.due.after != "signed" else None


# ---------------------------------------------------------------- the index


@dataclass(frozen=True)
class Row:
    """One milestone in the index: its view and how each cell reads."""

    view: MilestoneView
    href: str
    status_label: str
    state_label: str
    days: str  # "5 days left", "327 days overdue", "" for a verdict or without a due date
    waiting_for: str | None
    latest: MatchView | None  # the newest evidence, not dismissed
    latest_url: str | None
    latest_title: str
    latest_date: dt.date | None  # its publication, in `timezone`


@dataclass(frozen=True)
class AgreementSection:
    agreement: AgreementDef
    rows: tuple[Row, ...]
    summary: str  # "5 milestones: 2 overdue, 1 met"


@dataclass(frozen=True)
class Tile:
    state: str
    label: str
    count: int


@dataclass(frozen=True)
class Option:
    value: str
    label: str
    count: int


@dataclass(frozen=True)
class SourceSummary:
    total: int
    failing: tuple[tuple[str, int], ...]  # (feed title, consecutive failures) for feeds failing 3+ checks
    last_checked: str | None  # the latest check of any source, in `timezone`


@dataclass(frozen=True)
class Index:
    generated: str
    today: dt.date
    total: int
    tiles: tuple[Tile, ...]
    new_evidence: int  # evidence published in the last 7 days
    sections: tuple[AgreementSection, ...]
    countries: tuple[Option, ...]
    statuses: tuple[Option, ...]
    deadlines: tuple[Option, ...]
    timeline: charts.Timeline
    evidence_chart: charts.EvidenceChart
    status_chart: charts.StatusChart
    sources: SourceSummary
    calendar_url: str | None  # webcal:// address of calendar.ics when the report's address is known


def row(state: ReportState, v: MilestoneView, href: str) -> Row:
    m = next(d for d in state.milestones if d.id == v.id)
    shown = state.evidence.get(v.id, ())
    latest = shown[0] if shown else None
    return Row(
        view=v,
        href=href,
        status_label=STATUS_LABELS[v.status],
        state_label=state_label(v),
        days=days_phrase(v.days_left),
        waiting_for=depends_on(m) if v.deadline_state == "waiting" else None,
        latest=latest,
        latest_url=safe_url(latest.item_url) if latest else None,
        latest_title=shorten(latest.item_title, 120) if latest else "",
        latest_date=local_date(latest.published, state.timezone) if latest else None,
    )


def _summary(rows: tuple[Row, ...]) -> str:
    counts = Counter(r.view.deadline_state for r in rows)
    parts = [f"{counts[s]} {STATE_LABELS[s]}" for s in ("overdue", "due_soon", "met", "late") if counts[s]]
    head = plural(len(rows), "milestone")
    return f"{head}: {', '.join(parts)}" if parts else head


TILES = ("overdue", "due_soon", "upcoming", "waiting", "met", "late")


def index(state: ReportState) -> Index:
    sections = []
    for a in state.agreements:
        rows = tuple(row(state, v, page_path(v.id)) for v in state.views if v.agreement == a.id)
        if rows:
            sections.append(AgreementSection(a, rows, _summary(rows)))
    states = Counter(v.deadline_state for v in state.views)
    statuses = Counter(v.status for v in state.views)
    countries = Counter(c for v in state.views for c in v.countries)
    week_ago = state.now - dt.timedelta(days=7)
    checked = [f.last_checked for f in state.feeds if f.last_checked is not None]
    calendar = absolute(state.base_url, "calendar.ics")
    return Index(
        generated=local_time(state.now, state.timezone),
        today=state.today,
        total=len(state.views),
        tiles=tuple(Tile(s, STATE_LABELS[s], states[s]) for s in TILES),
        new_evidence=len({f.item_id for f in state.found if f.published >= week_ago}),
        sections=tuple(sections),
        countries=tuple(Option(c, c, n) for c, n in sorted(countries.items())),
        statuses=tuple(Option(s, STATUS_LABELS[s], statuses[s]) for s in STATUSES if statuses[s]),
        deadlines=tuple(Option(s, STATE_LABELS[s], states[s]) for s in DEADLINE_STATES if states[s]),
        timeline=charts.timeline(state),
        evidence_chart=charts.evidence_chart(state),
        status_chart=charts.status_chart(state),
        sources=SourceSummary(
            total=len(state.feeds),
            failing=tuple(
                (f.title or f.id, f.consecutive_failures)
                for f in state.feeds
                if f.consecutive_failures >= FAILING_AFTER
            ),
            last_checked=local_time(max(checked), state.timezone) if checked else None,
        ),
        calendar_url="webcal://" + calendar.split("://", 1)[1] if calendar else None,
    )


# ---------------------------------------------------------------- one page per milestone


@dataclass(frozen=True)
class Change:
    row: HistoryRow
    recorded: str
    from_label: str
    to_label: str
    evidence_url: str | None

    @property
    def kind(self) -> str:
        """"correction of #3", "undo of #5", or "" for a change (plan.history.kind_phrase)."""
        return kind_phrase(self.row.kind, self.row.refers_to)


@dataclass(frozen=True)
class SourceLink:
    feed: str
    title: str
    url: str | None


@dataclass(frozen=True)
class EvidenceEntry:
    match: MatchView
    url: str | None
    published: dt.date
    sources: tuple[SourceLink, ...]  # the other items telling the same story


@dataclass(frozen=True)
class MilestonePage:
    detail: MilestoneDetail  # the view `monitor show` prints, with every piece of evidence not dismissed
    agreement: AgreementDef
    row: Row
    evidence_url: str | None  # of the latest status change
    depends_on: MilestoneView | None
    dependants: tuple[MilestoneView, ...]
    history: tuple[Change, ...]
    evidence: tuple[EvidenceEntry, ...]  # the newest EVIDENCE_SHOWN (what the state holds)
    evidence_total: int
    generated: str


def _evidence_entry(e: MatchView, timezone: str) -> EvidenceEntry:
    others = tuple(
        SourceLink(s.feed, s.title, safe_url(s.url))
        for s in e.sources
        if not (s.url == e.item_url and s.feed == e.feed)
    )
    return EvidenceEntry(e, safe_url(e.item_url), local_date(e.published, timezone), others)


def milestone_page(state: ReportState, milestone_id: str) -> MilestonePage:
    m = next(d for d in state.milestones if d.id == milestone_id)
    v = state.view(milestone_id)
    history = tuple(h for h in state.history if h.milestone == milestone_id)
    evidence = state.evidence.get(milestone_id, ())
    dependants = tuple(d.id for d in state.milestones if depends_on(d) == milestone_id)
    upstream = depends_on(m)
    return MilestonePage(
        detail=MilestoneDetail(
            view=v,
            description=m.description,
            depends_on=upstream,
            dependants=dependants,
            history=history,
            matches=evidence[:EVIDENCE_SHOWN],
        ),
        agreement=next(a for a in state.agreements if a.id == m.agreement),
        row=row(state, v, milestone_id + ".html"),
        evidence_url=safe_url(v.evidence_url),
        depends_on=state.view(upstream) if upstream else None,
        dependants=tuple(state.view(d) for d in dependants),
        history=tuple(
            Change(
                h,
                local_time(h.recorded_at, state.timezone),
                STATUS_LABELS.get(h.from_status, h.from_status),
                STATUS_LABELS.get(h.to_status, h.to_status),
                safe_url(h.evidence_url),
            )
            for h in history
        ),
        evidence=tuple(_evidence_entry(e, state.timezone) for e in evidence[:EVIDENCE_SHOWN]),
        evidence_total=max(state.evidence_total.get(milestone_id, 0), len(evidence)),
        generated=local_time(state.now, state.timezone),
    )


# ---------------------------------------------------------------- the change feed


@dataclass(frozen=True)
class Entry:
    """One status change as an Atom entry."""

    id: str  # a tag: URI, the same in every run
    title: str
    summary: str
    updated: dt.datetime
    author: str
    href: str  # the milestone's page: absolute under base_url, else relative to the feed
    evidence_url: str | None


@dataclass(frozen=True)
class ChangeFeed:
    id: str
    title: str
    updated: dt.datetime
    self_href: str
    index_href: str
    entries: tuple[Entry, ...]


def entry_id(h: HistoryRow) -> str:
    """A history row's id: its milestone and its number in the history, which never change (two rows recorded
    at the same instant, as under a pinned clock, still differ)."""
    return f"{TAG}{h.milestone}/change/{h.id}"


def change_feed(state: ReportState, limit: int = CHANGES_IN_FEED) -> ChangeFeed:
    """The newest `limit` status changes, newest recorded first."""
    titles = {m.id: m.title for m in state.milestones}
    entries = []
    for h in state.history[:limit]:
        change = f"{STATUS_LABELS.get(h.from_status, h.from_status)} → {STATUS_LABELS.get(h.to_status, h.to_status)}"
        kind = kind_phrase(h.kind, h.refers_to)
        if kind:  # a correction or an undo says so, never passes for news
            change = f"{kind}: {change}"
        parts = [f"{h.milestone}: {change} on {h.on.isoformat()}."]
        if h.note:
            parts.append(f"Note: {h.note}")
        evidence = safe_url(h.evidence_url)
        if evidence:
            parts.append(f"Evidence: {evidence}")
        path = page_path(h.milestone)
        entries.append(
            Entry(
                id=entry_id(h),
                title=f"{titles[h.milestone]}: {change}",
                summary="\n".join(parts),
                updated=h.recorded_at,
                author=h.by,
                href=absolute(state.base_url, path) or path,
                evidence_url=evidence,
            )
        )
    return ChangeFeed(
        id=f"{TAG}changes",
        title="Implementation Monitor: status changes",
        updated=entries[0].updated if entries else state.now,
        self_href=absolute(state.base_url, "changes.xml") or "changes.xml",
        index_href=absolute(state.base_url, "index.html") or "index.html",
        entries=tuple(entries),
    )
