"""The report's pictures as geometry: pure functions of the ReportState that place every mark in SVG user units.
The templates only draw what is placed here (templates/report/charts.html), so no text from data is ever part
of a path or a coordinate, and every label goes through autoescaping.

- timeline: one lane per milestone, grouped by agreement, from the agreement's signing to the due date and the
  completion, with today marked;
- evidence_chart: evidence found per week per agreement (small multiples on one scale);
- status_chart: how many milestones were met, late and overdue at the end of each week."""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from ..deadlines import VERDICTS, Progress, deadline
from ..plan.history import in_effect
from ..views import HistoryRow
from .state import ReportState, week_start
from .text import shorten

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass(frozen=True)
class Tick:
    x: float
    label: str  # "" for a month that is only a grid line


class Scale:
    """Dates to x between `x0` and `x1`; a date outside [start, end] is placed at the nearer edge."""

    def __init__(self, start: dt.date, end: dt.date, x0: float, x1: float) -> None:
        self.start, self.end, self.x0, self.x1 = start, max(end, start + dt.timedelta(days=1)), x0, x1

    def __call__(self, day: dt.date) -> float:
        span = (self.end - self.start).days
        x = self.x0 + (day - self.start).days / span * (self.x1 - self.x0)
        return round(min(max(x, self.x0), self.x1), 1)

    def outside(self, day: dt.date) -> bool:
        return not self.start <= day <= self.end

    def months(self) -> tuple[Tick, ...]:
        """A tick at each first of the month inside the scale; labelled every 1, 2 or 3 months by the span, with
        the year on the first label and on every January."""
        months = (self.end.year - self.start.year) * 12 + self.end.month - self.start.month
        every = 1 if months <= 8 else 2 if months <= 18 else 3
        day = dt.date(self.start.year, self.start.month, 1)
        ticks, first = [], True
        while day <= self.end:
            if day >= self.start:
                labelled = (day.month - 1) % every == 0
                name = MONTHS[day.month - 1] + (f" {day.year}" if labelled and (first or day.month == 1) else "")
                ticks.append(Tick(self(day), name if labelled else ""))
                first = first and not labelled
            day = dt.date(day.year + day.month // 12, day.month % 12 + 1, 1)
        return tuple(ticks)


# ---------------------------------------------------------------- timeline


@dataclass(frozen=True)
class Lane:
    """One row of the timeline: an agreement's heading, or a milestone."""

    kind: str  # "agreement" | "milestone"
    y: float
    label: str
    title: str  # what a pointer hovering over the row reads
    href: str | None
    start_x: float | None  # the agreement's signing (milestones only)
    end_x: float | None  # where the line stops: completion, else due date, else today
    dashed: bool  # no due date (yet): the line runs to today
    due_x: float | None
    soft: bool
    state: str  # the deadline state, for the due mark's colour
    done_x: float | None
    done: str | None  # complete | partial | missed


@dataclass(frozen=True)
class Timeline:
    width: int
    height: int
    plot_x1: int
    ticks: tuple[Tick, ...]
    today_x: float
    today_label: str
    lanes: tuple[Lane, ...]
    clipped: bool  # some date lies beyond the drawn range and is shown at its edge
    axis_y: int


TL_WIDTH, TL_LABELS, TL_RIGHT, TL_TOP, TL_ROW, TL_HEAD = 1000, 220, 16, 44, 22, 28
TL_MAX_AHEAD = dt.timedelta(days=730)  # dates more than two years after today are drawn at the edge


def timeline(state: ReportState, page_href: str = "milestones/{}.html") -> Timeline:
    agreements = {a.id: a for a in state.agreements}
    dates: list[dt.date] = [state.today]
    for v in state.views:
        a = agreements[v.agreement]
        dates += [d for d in (a.signed, v.due, v.status_on) if d is not None]
    start = min(dates) - dt.timedelta(days=14)
    end = min(max(dates) + dt.timedelta(days=21), state.today + TL_MAX_AHEAD)
    x = Scale(start, end, TL_LABELS, TL_WIDTH - TL_RIGHT)
    lanes: list[Lane] = []
    y: float = TL_TOP
    clipped = False
    for a in state.agreements:
        views = [v for v in state.views if v.agreement == a.id]
        if not views:
            continue
        signed_x = x(a.signed) if a.signed else None
        signed = f"signed {a.signed.isoformat()}" if a.signed else "no signing date"
        y += TL_HEAD
        lanes.append(
            Lane(
                kind="agreement",
                y=y,
                label=shorten(a.title, 110),
                title=f"{a.title} ({signed})",
                href=None,
                start_x=None,
                end_x=None,
                dashed=False,
                due_x=None,
                soft=False,
                state="",
                done_x=None,
                done=None,
            )
        )
        for v in views:
            y += TL_ROW
            done_on = v.status_on if v.status in VERDICTS else None
            due_x = x(v.due) if v.due else None
            done_x = x(done_on) if done_on else None
            clipped = clipped or any(d is not None and x.outside(d) for d in (v.due, done_on))
            end_x = done_x if done_x is not None else due_x if due_x is not None else x(state.today)
            parts = [v.title]
            if v.due:
                parts.append(f"due {v.due.isoformat()}" + (" (soft target)" if v.soft else ""))
            if done_on:
                parts.append(f"{v.status} {done_on.isoformat()}")
            parts.append(v.deadline_state.replace("_", " "))
            lanes.append(
                Lane(
                    kind="milestone",
                    y=y,
                    label=shorten(v.id, 30),
                    title=" · ".join(parts),
                    href=page_href.format(v.id),
                    start_x=signed_x,
                    end_x=end_x if signed_x is not None else None,
                    dashed=v.due is None,
                    due_x=due_x,
                    soft=v.soft,
                    state=v.deadline_state,
                    done_x=done_x,
                    done=v.status if done_on else None,
                )
            )
    return Timeline(
        width=TL_WIDTH,
        height=int(y + 16),
        plot_x1=TL_WIDTH - TL_RIGHT,
        ticks=x.months(),
        today_x=x(state.today),
        today_label=f"today {state.today.isoformat()}",
        lanes=tuple(lanes),
        clipped=clipped,
        axis_y=TL_TOP - 14,
    )


# ---------------------------------------------------------------- evidence per week


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    week: dt.date
    count: int


@dataclass(frozen=True)
class Spark:
    agreement: str
    title: str
    bars: tuple[Bar, ...]  # one per week with evidence
    total: int
    this_week: int
    peak: int
    peak_week: dt.date | None


@dataclass(frozen=True)
class EvidenceChart:
    start: dt.date
    weeks: int
    width: int
    height: int
    max_count: int  # the one scale every agreement's bars share
    rows: tuple[Spark, ...]


SPARK_WIDTH, SPARK_HEIGHT = 520, 40


def weeks_between(start: dt.date, today: dt.date) -> list[dt.date]:
    """The Mondays from `start` to the week of `today`."""
    return [start + dt.timedelta(weeks=i) for i in range((week_start(today) - start).days // 7 + 1)]


def evidence_chart(state: ReportState) -> EvidenceChart:
    """Per agreement, how many items were evidence for any of its milestones, per week of their publication (in
    `timezone`); an item that is evidence for two of its milestones counts once."""
    weeks = weeks_between(state.trend_start, state.today)
    agreement_of = {m.id: m.agreement for m in state.milestones}
    tz = ZoneInfo(state.timezone)
    items: dict[tuple[str, dt.date], set[int]] = defaultdict(set)
    for f in state.found:
        week = week_start(f.published.astimezone(tz).date())
        if weeks[0] <= week <= weeks[-1] and f.milestone in agreement_of:
            items[(agreement_of[f.milestone], week)].add(f.item_id)
    counts = {key: len(ids) for key, ids in items.items()}
    peak = max(counts.values(), default=0)
    top = max(peak, 1)
    step = SPARK_WIDTH / len(weeks)
    rows = []
    for a in state.agreements:
        if not any(m.agreement == a.id for m in state.milestones):
            continue
        bars = []
        for i, week in enumerate(weeks):
            n = counts.get((a.id, week), 0)
            if n:
                h = max(2.0, round(n / top * (SPARK_HEIGHT - 4), 1))
                bars.append(Bar(round(i * step + 0.5, 1), round(SPARK_HEIGHT - h, 1), round(max(step - 1, 1), 1), h,
                                week, n))
        best = max(bars, key=lambda b: (b.count, b.week), default=None)
        rows.append(
            Spark(
                agreement=a.id,
                title=a.title,
                bars=tuple(bars),
                total=len(set().union(*(items[(a.id, w)] for w in weeks if (a.id, w) in items))),
                this_week=counts.get((a.id, weeks[-1]), 0),
                peak=best.count if best else 0,
                peak_week=best.week if best else None,
            )
        )
    return EvidenceChart(state.trend_start, len(weeks), SPARK_WIDTH, SPARK_HEIGHT, peak, tuple(rows))


# ---------------------------------------------------------------- met / late / overdue over time


@dataclass(frozen=True)
class Series:
    key: str  # met | late | overdue
    label: str
    points: str  # an SVG polyline's points
    last: int
    label_x: float
    label_y: float


@dataclass(frozen=True)
class Sample:
    day: dt.date  # the end of the week (today for the current week)
    met: int
    late: int
    overdue: int


@dataclass(frozen=True)
class StatusChart:
    width: int
    height: int
    x0: int
    x1: int
    y0: int  # the baseline (count 0)
    y1: int  # the top
    y_ticks: tuple[tuple[float, int], ...]
    x_ticks: tuple[Tick, ...]
    series: tuple[Series, ...]
    samples: tuple[Sample, ...]


SC_WIDTH, SC_HEIGHT, SC_LEFT, SC_RIGHT, SC_TOP, SC_BOTTOM = 720, 240, 40, 110, 16, 34
SERIES = (("met", "met"), ("late", "late"), ("overdue", "overdue"))


def progress_on(changes: Sequence[HistoryRow], day: dt.date) -> Progress:
    """A milestone's status on `day` as its history tells it now: of the rows in effect (plan.history: not undone,
    not corrected) dated on or before `day`, the one recorded last (so a completion entered late, with an earlier
    date, counts from that date; an amended one from its corrected date; an undone one not at all)."""
    known = [h for h in in_effect(changes) if h.on <= day]
    if not known:
        return Progress()
    last = max(known, key=lambda h: h.recorded_at)
    return Progress(last.to_status, last.on if last.to_status in VERDICTS else None)


def states_on(state: ReportState, day: dt.date, by_milestone: dict[str, list[HistoryRow]]) -> Counter[str]:
    """How many milestones were in each deadline state on `day`, by their history."""
    progress = {m.id: progress_on(by_milestone.get(m.id, ()), day) for m in state.milestones}
    agreements = {a.id: a for a in state.agreements}
    return Counter(
        deadline(m, agreements[m.agreement], progress, day, state.due_soon_days).state for m in state.milestones
    )


def _spread(ys: list[float], gap: float, low: float, high: float) -> list[float]:
    """Label positions near `ys`, at least `gap` apart, inside [low, high], in the order given."""
    order = sorted(range(len(ys)), key=lambda i: ys[i])
    placed = [0.0] * len(ys)
    last = -math.inf
    for i in order:
        placed[i] = max(ys[i], last + gap)
        last = placed[i]
    overflow = max(0.0, last - high)
    return [round(max(low, p - overflow), 1) for p in placed]


def _y_ticks(top: int) -> list[int]:
    step = 1 if top <= 5 else 2 if top <= 10 else 5 if top <= 25 else math.ceil(top / 5)
    return list(range(0, top + step, step))


def status_chart(state: ReportState) -> StatusChart:
    by_milestone: dict[str, list[HistoryRow]] = defaultdict(list)
    for h in state.history:
        by_milestone[h.milestone].append(h)
    samples = []
    for week in weeks_between(state.trend_start, state.today):
        day = min(week + dt.timedelta(days=6), state.today)
        c = states_on(state, day, by_milestone)
        samples.append(Sample(day, c["met"], c["late"], c["overdue"]))
    ticks = _y_ticks(max([max(s.met, s.late, s.overdue) for s in samples] + [1]))
    x0, x1, y0, y1 = SC_LEFT, SC_WIDTH - SC_RIGHT, SC_HEIGHT - SC_BOTTOM, SC_TOP
    x = Scale(samples[0].day, samples[-1].day, x0, x1)

    def y(n: int) -> float:
        return round(y0 - n / ticks[-1] * (y0 - y1), 1)

    lasts = [getattr(samples[-1], key) for key, _ in SERIES]
    label_ys = _spread([y(n) + 4 for n in lasts], 14, y1 + 4, y0 + 4)
    series = tuple(
        Series(
            key=key,
            label=label,
            points=" ".join(f"{x(s.day)},{y(getattr(s, key))}" for s in samples),
            last=lasts[i],
            label_x=x1 + 8,
            label_y=label_ys[i],
        )
        for i, (key, label) in enumerate(SERIES)
    )
    return StatusChart(
        width=SC_WIDTH,
        height=SC_HEIGHT,
        x0=x0,
        x1=x1,
        y0=y0,
        y1=y1,
        y_ticks=tuple((y(n), n) for n in ticks),
        x_ticks=x.months() if len(samples) > 1 else (),
        series=series,
        samples=tuple(samples),
    )
