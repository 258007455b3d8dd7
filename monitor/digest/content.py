"""What one subscriber's digest says: a pure function of (recipient, window, state) -> Digest.

No database, clock, templates or SMTP here. The state is what the CLI and the report read too (MilestoneView,
HistoryRow, MatchView, feed health), so the e-mail never disagrees with `monitor milestones`.

A digest covers the window (start, end]: status changes and evidence the monitor *recorded* in it (not the items'
published dates), and the milestones whose deadline passed or came within `due_soon_days` in it. Those are its
news; without news it is empty. It also shows the standing state: every followed milestone due soon or overdue,
the quiet ones, and sources failing for `failing_after` checks or more in a row.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from zoneinfo import ZoneInfo

from ..plan.deliveries import Window  # (start, end] in UTC: the delivery planner's type
from ..plan.history import kind_phrase
from ..views import FAILING_AFTER, HistoryRow, MatchView, MilestoneView
from ..wording import days_phrase, plural

SHOWN_STATES = ("new", "confirmed")  # dismissed evidence is a reviewer's "no": not news


# ---------------------------------------------------------------- the inputs


@dataclass(frozen=True)
class Recipient:
    """Who the digest is for and what they follow. No filters: everything. A milestone is followed when any filter
    names it, its agreement, or one of its agreement's parties. `token` is None for a test digest to an address
    that is not a subscriber."""

    email: str
    name: str | None = None
    frequency: str = "weekly"
    agreements: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()
    milestones: tuple[str, ...] = ()
    token: str | None = None

    @property
    def follows_everything(self) -> bool:
        return not (self.agreements or self.countries or self.milestones)

    def follows(self, m: MilestoneView) -> bool:
        return (
            self.follows_everything
            or m.id in self.milestones
            or m.agreement in self.agreements
            or any(c in self.countries for c in m.countries)
        )


@dataclass(frozen=True)
class AgreementInfo:
    id: str
    title: str
    parties: tuple[str, ...]
    signed: dt.date | None = None


@dataclass(frozen=True)
class FeedState:
    """A source as the digest sees it: its definition's title and countries, its health."""

    id: str
    title: str
    countries: tuple[str, ...]
    enabled: bool
    consecutive_failures: int
    last_error: str | None
    last_success: dt.datetime | None


@dataclass(frozen=True)
class RecordedEvidence:
    """A piece of evidence and when the monitor recorded it (its window is by that, not by publication)."""

    recorded_at: dt.datetime
    match: MatchView


@dataclass(frozen=True)
class DigestState:
    """Everything a digest can say, read once per run and shared by every subscriber's digest."""

    today: dt.date  # in `timezone`, at the window's end
    timezone: str
    agreements: tuple[AgreementInfo, ...]  # config order
    milestones: tuple[MilestoneView, ...]  # config order, retired ones excluded
    changes: tuple[HistoryRow, ...]  # status changes recorded since the earliest window start (or all)
    evidence: tuple[RecordedEvidence, ...]  # likewise
    feeds: tuple[FeedState, ...]
    feed_titles: Mapping[str, str]  # every feed id ever seen -> its title (evidence may name a retired one)


@dataclass(frozen=True)
class DigestOptions:
    due_soon_days: int = 30
    quiet_after_days: int = 60
    base_url: str | None = None  # where the published report lives
    unsubscribe_address: str = "monitor@example.org"  # the From address: unsubscribe requests go there
    failing_after: int = FAILING_AFTER


# ---------------------------------------------------------------- the digest


@dataclass(frozen=True)
class MilestoneLine:
    """A milestone as a digest line. `new`: it entered its section (overdue, due soon, quiet) during the window."""

    id: str
    title: str
    agreement: str
    agreement_title: str
    status: str
    due: dt.date | None
    deadline_state: str
    days_left: int | None
    soft: bool
    url: str | None  # its page in the published report
    quiet_days: int | None = None  # days without new evidence (quiet section)
    last_evidence: dt.date | None = None
    new: bool = False

    @property
    def days(self) -> str:
        """'5 days left', 'due today', '327 days overdue', or ''."""
        return days_phrase(self.days_left)


@dataclass(frozen=True)
class ChangeLine:
    milestone: MilestoneLine
    from_status: str
    to_status: str
    on: dt.date
    recorded_at: dt.datetime
    by: str
    note: str | None
    evidence_url: str | None
    kind: str = ""  # "correction of #3", "undo of #5" (plan.history.kind_phrase); "" for a change


@dataclass(frozen=True)
class SourceLine:
    feed: str  # the feed's title
    url: str | None
    title: str


@dataclass(frozen=True)
class EvidenceLine:
    id: int
    title: str
    url: str | None
    published: dt.date  # in the digest's timezone
    feed: str  # the primary source's feed title
    signal: str
    state: str
    snippet: str
    sources: tuple[SourceLine, ...]  # every source, the primary one first

    @property
    def other_sources(self) -> tuple[SourceLine, ...]:
        return self.sources[1:]


@dataclass(frozen=True)
class MilestoneEvidence:
    milestone: MilestoneLine
    items: tuple[EvidenceLine, ...]


@dataclass(frozen=True)
class AgreementEvidence:
    id: str
    title: str
    milestones: tuple[MilestoneEvidence, ...]

    @property
    def count(self) -> int:
        return sum(len(m.items) for m in self.milestones)


@dataclass(frozen=True)
class FailingSource:
    id: str
    title: str
    failures: int
    last_error: str | None
    last_success: dt.date | None


@dataclass(frozen=True)
class Counts:
    changes: int
    evidence: int
    due_soon: int
    overdue: int
    quiet: int
    failing_sources: int
    newly_due_soon: int
    newly_overdue: int

    @property
    def news(self) -> int:
        return self.changes + self.evidence + self.newly_due_soon + self.newly_overdue

    def phrases(self) -> tuple[str, ...]:
        """The header's counts, in words: ('2 status changes', '5 new pieces of evidence', '4 overdue' ...)."""
        out = [
            plural(self.changes, "status change"),
            plural(self.evidence, "new piece of evidence", "new pieces of evidence"),
            f"{self.due_soon} due soon",
            f"{self.overdue} overdue",
        ]
        if self.quiet:
            out.append(f"{self.quiet} quiet")
        if self.failing_sources:
            out.append(plural(self.failing_sources, "failing source"))
        return tuple(out)


@dataclass(frozen=True)
class Digest:
    recipient: Recipient
    frequency: str
    window: Window
    today: dt.date
    timezone: str
    start_day: dt.date  # the window's start and end as dates in `timezone`
    end_day: dt.date
    changes: tuple[ChangeLine, ...]
    evidence: tuple[AgreementEvidence, ...]
    due_soon: tuple[MilestoneLine, ...]
    overdue: tuple[MilestoneLine, ...]
    quiet: tuple[MilestoneLine, ...]
    failing_sources: tuple[FailingSource, ...]
    following: tuple[str, ...]  # what the recipient follows, for the header ('everything', 'country JP' ...)
    options: DigestOptions
    report_url: str | None
    unsubscribe_url: str | None
    unsubscribe_subject: str | None  # for a mail to options.unsubscribe_address

    @property
    def counts(self) -> Counts:
        return Counts(
            changes=len(self.changes),
            evidence=sum(a.count for a in self.evidence),
            due_soon=len(self.due_soon),
            overdue=len(self.overdue),
            quiet=len(self.quiet),
            failing_sources=len(self.failing_sources),
            newly_due_soon=sum(m.new for m in self.due_soon),
            newly_overdue=sum(m.new for m in self.overdue),
        )

    @property
    def is_empty(self) -> bool:
        """Nothing happened in the window: no status change, no new evidence, no deadline passed or came near."""
        return self.counts.news == 0


# ---------------------------------------------------------------- building it


def link(base_url: str | None, path: str) -> str | None:
    return f"{base_url.rstrip('/')}/{path}" if base_url else None


def milestone_url(base_url: str | None, milestone_id: str) -> str | None:
    """The milestone's page in the published report: {base_url}/milestones/{id}.html."""
    return link(base_url, f"milestones/{milestone_id}.html")


def _local(when: dt.datetime, timezone: str) -> dt.date:
    return when.astimezone(ZoneInfo(timezone)).date()


def _line(m: MilestoneView, options: DigestOptions) -> MilestoneLine:
    return MilestoneLine(
        id=m.id,
        title=m.title,
        agreement=m.agreement,
        agreement_title=m.agreement_title,
        status=m.status,
        due=m.due,
        deadline_state=m.deadline_state,
        days_left=m.days_left,
        soft=m.soft,
        url=milestone_url(options.base_url, m.id),
    )


def _following(r: Recipient) -> tuple[str, ...]:
    if r.follows_everything:
        return ("everything",)
    return (
        *(f"agreement {a}" for a in r.agreements),
        *(f"country {c}" for c in r.countries),
        *(f"milestone {m}" for m in r.milestones),
    )


def _crossed(day: dt.date, start_day: dt.date, end_day: dt.date) -> bool:
    """Whether a state that begins on `day` began during the window (after its first day, up to its last)."""
    return start_day < day <= end_day


def build_digest(recipient: Recipient, window: Window, state: DigestState, options: DigestOptions) -> Digest:
    """The digest `recipient` gets for `window`, from `state`. Pure: same inputs, same digest."""
    tz = state.timezone
    start_day, end_day = _local(window.start, tz), _local(window.end, tz)
    followed = [m for m in state.milestones if recipient.follows(m)]
    by_id = {m.id: m for m in followed}
    signed = {a.id: a.signed for a in state.agreements}

    changes = tuple(
        ChangeLine(
            milestone=_line(by_id[h.milestone], options),
            from_status=h.from_status,
            to_status=h.to_status,
            on=h.on,
            recorded_at=h.recorded_at,
            by=h.by,
            note=h.note,
            evidence_url=h.evidence_url,
            kind=kind_phrase(h.kind, h.refers_to),
        )
        for h in sorted(state.changes, key=lambda h: h.recorded_at, reverse=True)
        if h.milestone in by_id and h.recorded_at in window
    )

    evidence = _evidence(state, window, by_id, options)

    due_soon = tuple(
        replace(_line(m, options), new=_crossed(m.due - dt.timedelta(days=options.due_soon_days), start_day, end_day))
        for m in sorted(followed, key=lambda m: (m.days_left or 0, m.id))
        if m.deadline_state == "due_soon" and m.due is not None
    )
    overdue = tuple(
        replace(_line(m, options), new=_crossed(m.due + dt.timedelta(days=1), start_day, end_day))
        for m in sorted(followed, key=lambda m: (m.days_left or 0, m.id))
        if m.deadline_state == "overdue" and m.due is not None
    )
    listed = {m.id for m in (*due_soon, *overdue)}
    quiet_lines = []
    for m in followed:
        if not m.quiet or m.id in listed:
            continue
        last = _local(m.last_evidence, tz) if m.last_evidence else None
        since = last or signed.get(m.agreement)
        days = (state.today - since).days if since else None
        became = since + dt.timedelta(days=options.quiet_after_days + 1) if since else None
        quiet_lines.append(
            replace(
                _line(m, options),
                quiet_days=days,
                last_evidence=last,
                new=became is not None and _crossed(became, start_day, end_day),
            )
        )
    quiet = tuple(sorted(quiet_lines, key=lambda q: (-(q.quiet_days or 0), q.id)))

    failing = _failing_sources(recipient, state, followed, options)
    token = recipient.token
    return Digest(
        recipient=recipient,
        frequency=recipient.frequency,
        window=window,
        today=state.today,
        timezone=tz,
        start_day=start_day,
        end_day=end_day,
        changes=changes,
        evidence=evidence,
        due_soon=due_soon,
        overdue=overdue,
        quiet=quiet,
        failing_sources=failing,
        following=_following(recipient),
        options=options,
        report_url=link(options.base_url, "index.html"),
        unsubscribe_url=link(options.base_url, f"unsubscribe?token={token}") if token else None,
        unsubscribe_subject=f"unsubscribe {token}" if token else None,
    )


def _evidence(
    state: DigestState, window: Window, followed: Mapping[str, MilestoneView], options: DigestOptions
) -> tuple[AgreementEvidence, ...]:
    """New evidence in the window, by agreement then milestone (config order), newest item first."""
    found: dict[str, list[MatchView]] = {}
    for e in sorted(state.evidence, key=lambda e: (e.match.published, e.match.id), reverse=True):
        m = e.match
        if m.milestone in followed and m.state in SHOWN_STATES and e.recorded_at in window:
            found.setdefault(m.milestone, []).append(m)
    groups = []
    for a in state.agreements:
        per_milestone = tuple(
            MilestoneEvidence(_line(v, options), tuple(_evidence_line(x, state) for x in found[v.id]))
            for v in state.milestones
            if v.agreement == a.id and v.id in found
        )
        if per_milestone:
            groups.append(AgreementEvidence(a.id, a.title, per_milestone))
    return tuple(groups)


def _evidence_line(m: MatchView, state: DigestState) -> EvidenceLine:
    def title_of(feed: str) -> str:
        return state.feed_titles.get(feed) or feed

    primary = SourceLine(title_of(m.feed), m.item_url, m.item_title)
    others = tuple(
        SourceLine(title_of(s.feed), s.url, s.title) for s in m.sources if (s.feed, s.url) != (m.feed, m.item_url)
    )
    return EvidenceLine(
        id=m.id,
        title=m.item_title,
        url=m.item_url,
        published=_local(m.published, state.timezone),
        feed=primary.feed,
        signal=m.signal,
        state=m.state,
        snippet=m.snippet,
        sources=(primary, *others),
    )


def _failing_sources(
    recipient: Recipient, state: DigestState, followed: Sequence[MilestoneView], options: DigestOptions
) -> tuple[FailingSource, ...]:
    """Enabled sources failing for `failing_after` checks or more that bear on what the recipient follows: a
    source about no country in particular, or about a party of an agreement they follow."""
    parties = {c for m in followed for c in m.countries}
    out = [
        FailingSource(
            f.id,
            f.title,
            f.consecutive_failures,
            f.last_error,
            _local(f.last_success, state.timezone) if f.last_success else None,
        )
        for f in state.feeds
        if f.enabled
        and f.consecutive_failures >= options.failing_after
        and (recipient.follows_everything or not f.countries or parties.intersection(f.countries))
    ]
    return tuple(sorted(out, key=lambda f: (-f.failures, f.id)))
