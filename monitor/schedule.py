"""Scheduling decisions, pure: when a cron job runs next in a timezone, how long a poll period is, whether the
daemon polls at once when it starts, how late a missed run may still be made.

Nothing here reads the clock: `now` is passed in. Cron expressions are read by APScheduler's CronTrigger, the
parser that validates `schedule.*` in monitor.yaml (settings.check_crontab), so a schedule that loads is one the
daemon can run. Times come back timezone-aware in UTC; `local()` shows one in the configured zone.

Daylight saving time, the way cron does it:
- clocks go forward: a run whose local time does not exist that day (02:30 in New York on the second Sunday of
  March) is made once, an hour later by the wall clock (03:30), i.e. at the instant 02:30 would have been;
- clocks go back: a job at fixed hours runs once, at the first of the two instants that read that local time
  (01:30 EDT, not again at 01:30 EST); a job that runs every hour (`*` hours) runs in both hours, as both happen.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger

UTC = dt.UTC
JOBS = ("poll", "weekly_digest", "daily_digest")  # the cron jobs, named as their schedule.* keys
# How far back to look for a cron expression's last run before now: each window is tried in turn, so an
# expression that fires often is found in the first, small one (the search costs fires-per-window steps).
_LOOKBACK = (dt.timedelta(hours=2), dt.timedelta(days=2), dt.timedelta(days=9), dt.timedelta(days=63),
             dt.timedelta(days=367), dt.timedelta(days=4 * 366 + 1))


class LocalCronTrigger(CronTrigger):
    """CronTrigger that runs a fixed-hour job once when the clocks go back (see the module's docstring); the
    daemon schedules with it and every decision below uses it, so what `run --status` says is what runs."""

    __slots__ = ()

    def get_next_fire_time(self, previous_fire_time: dt.datetime | None, now: dt.datetime) -> dt.datetime | None:
        nxt: dt.datetime | None = super().get_next_fire_time(previous_fire_time, now)
        while nxt is not None and self._hours_fixed() and _second_of_two(nxt, self.timezone):
            nxt = super().get_next_fire_time(nxt, nxt)
        return nxt

    def _hours_fixed(self) -> bool:
        hour = next(f for f in self.fields if f.name == "hour")
        return str(hour) != "*"


def _second_of_two(when: dt.datetime, tz: Any) -> bool:
    """Whether `when` is the later of two instants that read the same local time (the hour repeated when the
    clocks go back)."""
    wall = when.astimezone(tz).replace(tzinfo=None)
    first = wall.replace(tzinfo=tz, fold=0).astimezone(UTC)
    second = wall.replace(tzinfo=tz, fold=1).astimezone(UTC)
    return first != second and when.astimezone(UTC) == second


@lru_cache(maxsize=64)
def trigger(expr: str, timezone: str) -> LocalCronTrigger:
    """The trigger of a crontab expression in an IANA timezone; ValueError saying what is wrong otherwise.

    Read as crontab(5) reads it, not as APScheduler 3's own `from_crontab` does: weekday numbers are crontab's
    (0 and 7 Sunday, 1 Monday ... 6 Saturday; APScheduler 3 counts 0 as Monday), and an expression that
    restricts both the day of the month and the day of the week is refused (cron runs on either day,
    APScheduler only on days that are both)."""
    values = expr.split()
    if len(values) != 5:
        raise ValueError(f"expected 5 fields (minute hour day month weekday), got {len(values)}")
    minute, hour, day, month, weekday = values
    if day != "*" and weekday != "*":
        raise ValueError(
            "restricts both the day of the month and the day of the week; cron runs on either, this scheduler "
            "would need both: restrict one of them"
        )
    return LocalCronTrigger(
        minute=minute, hour=hour, day=day, month=month, day_of_week=_weekdays(weekday), timezone=ZoneInfo(timezone)
    )


_DAY_NAMES = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")  # crontab numbering: 0 (and 7) is Sunday


def _weekdays(field: str) -> str:
    """A crontab weekday field as APScheduler 3 day names: `1-5` -> `mon,tue,wed,thu,fri`, `0` -> `sun`."""
    if field == "*":
        return field
    days: set[int] = set()
    for part in field.lower().split(","):
        span, slash, step_text = part.partition("/")
        step = _number(step_text, "step", 1, 7) if slash else 1
        if span == "*":
            low, high = 0, 6
        elif "-" in span:
            a, _, b = span.partition("-")
            low, high = _day(a), _day(b)
            if high == 0 and low > 0:  # mon-sun, 5-0: Sunday ends the week
                high = 7
            if low > high:
                raise ValueError(f"weekday range {span!r} runs backwards")
        else:
            low = _day(span)
            high = 7 if slash else low  # `1/2`: from Monday on, every other day
        days.update(d % 7 for d in range(low, high + 1, step))
    if len(days) == 7:
        return "*"
    return ",".join(_DAY_NAMES[d] for d in sorted(days, key=lambda d: (d - 1) % 7))


def _day(text: str) -> int:
    return _DAY_NAMES.index(text) if text in _DAY_NAMES else _number(text, "weekday", 0, 7)


def _number(text: str, what: str, low: int, high: int) -> int:
    if not text.isascii() or not text.isdigit() or not low <= int(text) <= high:
        names = " or sun-sat" if what == "weekday" else ""
        raise ValueError(f"bad {what} {text!r} (expected {low}-{high}{names})")
    return int(text)


def next_run(expr: str, timezone: str, now: dt.datetime) -> dt.datetime | None:
    """The first run at or after `now` (as a scheduler started at `now` would make it), in UTC; None if never."""
    t = trigger(expr, timezone)
    nxt = t.get_next_fire_time(None, now.astimezone(t.timezone))
    return nxt.astimezone(UTC) if nxt is not None else None


def runs_after(expr: str, timezone: str, after: dt.datetime, count: int) -> list[dt.datetime]:
    """The next `count` runs strictly after `after`, in UTC."""
    t = trigger(expr, timezone)
    out: list[dt.datetime] = []
    prev = after.astimezone(t.timezone)
    while len(out) < count:
        nxt = t.get_next_fire_time(prev, prev)
        if nxt is None:
            break
        out.append(nxt.astimezone(UTC))
        prev = nxt
    return out


def last_runs(expr: str, timezone: str, now: dt.datetime, count: int = 1) -> list[dt.datetime]:
    """The latest `count` runs at or before `now`, newest first, in UTC (fewer when the expression fired fewer
    times in the last four years)."""
    t = trigger(expr, timezone)
    for window in _LOOKBACK:
        start = (now - window).astimezone(t.timezone)
        found: list[dt.datetime] = []
        nxt = t.get_next_fire_time(None, start)
        while nxt is not None and nxt.astimezone(UTC) <= now:
            found.append(nxt.astimezone(UTC))
            nxt = t.get_next_fire_time(nxt, nxt)
        if len(found) >= count:
            return found[::-1][:count]
    return found[::-1][:count]


def period(expr: str, timezone: str, now: dt.datetime) -> dt.timedelta | None:
    """How long the schedule's current period is: from its last run at or before `now` to the run before that
    (a daily job: 24 h, 23 h or 25 h on the days the clocks change). None when it has not run twice in four
    years."""
    runs = last_runs(expr, timezone, now, 2)
    return runs[0] - runs[1] if len(runs) == 2 else None


@dataclass(frozen=True)
class CatchUp:
    due: bool
    why: str  # for the start-up log line


def poll_at_start(expr: str, timezone: str, last_success: dt.datetime | None, now: dt.datetime) -> CatchUp:
    """Whether the daemon polls as soon as it starts: when no poll ever completed, or when the last one that did
    (`last_success`: when it started, whoever ran it) is older than one poll period and a scheduled run has come
    since. Both, so that neither a poll made by hand an hour before the scheduled time nor a day the clocks
    change makes a wrong call: the period is the schedule's own latest one (23 h on the day the clocks go
    forward, so a daily poll missed that morning is still made up)."""
    if last_success is None:
        return CatchUp(True, "no poll has completed yet")
    runs = last_runs(expr, timezone, now, 2)
    age = now - last_success
    if not runs or last_success >= runs[0]:
        return CatchUp(False, f"the last poll started {_ago(age)} ago, after the last scheduled run")
    length = runs[0] - runs[1] if len(runs) == 2 else None
    if length is not None and age <= length:
        return CatchUp(False, f"the last poll started {_ago(age)} ago, within one poll period ({_ago(length)})")
    return CatchUp(True, f"the last poll started {_ago(age)} ago and the run of {runs[0].isoformat()} was missed")


def misfire_grace(expr: str, timezone: str, now: dt.datetime) -> int:
    """Seconds a run may be late (the machine slept, another job was running) and still be made: one period of
    its own schedule, so a missed run is made once, late, rather than skipped, unless the next one is nearer.
    At least a minute; a week when the expression has no period to measure."""
    length = period(expr, timezone, now)
    seconds = int(length.total_seconds()) if length is not None else 7 * 86_400
    return max(60, seconds)


def local(when: dt.datetime, timezone: str) -> dt.datetime:
    """An instant shown in the configured zone."""
    return when.astimezone(ZoneInfo(timezone))


def _ago(delta: dt.timedelta) -> str:
    seconds = int(delta.total_seconds())
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 2 * 3600:
        return f"{seconds // 60} min"
    if seconds < 2 * 86_400:
        return f"{seconds / 3600:.0f} h" if seconds % 3600 == 0 else f"{seconds / 3600:.1f} h"
    return f"{seconds / 86_400:.1f} days"
