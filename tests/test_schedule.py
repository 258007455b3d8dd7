"""Scheduling decisions as tables, with a fixed clock: next runs across the March and November clock changes in
London and New York, crontab weekday numbers, the length of a poll period, and whether the daemon polls at once
when it starts."""

from __future__ import annotations

import datetime as dt

import pytest

from monitor.schedule import last_runs, local, misfire_grace, next_run, period, poll_at_start, runs_after, trigger
from monitor.settings import build

LON, NY, UTC = "Europe/London", "America/New_York", "UTC"


def z(text: str) -> dt.datetime:
    """An instant written in UTC: '2026-03-29 05:00'."""
    return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC)


# ---------------------------------------------------------------- next runs

NEXT_RUNS = [
    # zone, expression, after (UTC), the next runs (UTC), what it shows
    (LON, "0 6 * * *", "2026-03-28 12:00", ["2026-03-29 05:00", "2026-03-30 05:00"], "06:00 BST from the change on"),
    (LON, "0 6 * * *", "2026-10-24 12:00", ["2026-10-25 06:00", "2026-10-26 06:00"], "06:00 GMT from the change on"),
    (LON, "30 1 * * *", "2026-03-28 12:00", ["2026-03-29 01:30", "2026-03-30 00:30"], "01:30 does not exist on the 29th: once, at 02:30 BST"),
    (LON, "30 1 * * *", "2026-10-24 12:00", ["2026-10-25 00:30", "2026-10-26 01:30"], "01:30 happens twice on the 25th: the first only"),
    (LON, "*/30 * * * *", "2026-10-25 00:10", ["2026-10-25 00:30", "2026-10-25 01:00", "2026-10-25 01:30"], "every half hour: both 01:xx hours run"),
    (NY, "30 2 * * *", "2026-03-07 12:00", ["2026-03-08 07:30", "2026-03-09 06:30"], "02:30 does not exist on the 8th: once, at 03:30 EDT"),
    (NY, "30 1 * * *", "2026-10-31 12:00", ["2026-11-01 05:30", "2026-11-02 06:30"], "01:30 EDT, not again at 01:30 EST"),
    (NY, "0 6 * * *", "2026-10-31 00:00", ["2026-10-31 10:00", "2026-11-01 11:00"], "06:00 EDT, then 06:00 EST"),
    (NY, "0 8 * * mon", "2026-10-31 00:00", ["2026-11-02 13:00", "2026-11-09 13:00"], "weekly, Monday 08:00 EST"),
    (NY, "0 8 * * mon", "2026-03-07 00:00", ["2026-03-09 12:00", "2026-03-16 12:00"], "weekly, Monday 08:00 EDT"),
    (UTC, "0 8 * * 1", "2026-11-21 00:00", ["2026-11-23 08:00"], "crontab 1 is Monday (APScheduler 3 alone: Tuesday)"),
    (UTC, "0 8 * * 0", "2026-11-21 00:00", ["2026-11-22 08:00"], "crontab 0 is Sunday"),
    (UTC, "0 8 * * 7", "2026-11-21 00:00", ["2026-11-22 08:00"], "crontab 7 is Sunday too"),
    (UTC, "0 8 * * 1-5", "2026-11-21 00:00", ["2026-11-23 08:00", "2026-11-24 08:00"], "1-5: Monday to Friday"),
    (UTC, "0 8 * * 5-7", "2026-11-23 00:00", ["2026-11-27 08:00", "2026-11-28 08:00", "2026-11-29 08:00"], "5-7: Friday to Sunday"),
    (UTC, "0 0 29 2 *", "2026-01-01 00:00", ["2028-02-29 00:00"], "a leap day"),
]


@pytest.mark.parametrize(("zone", "expr", "after", "expected", "why"), NEXT_RUNS, ids=[c[-1] for c in NEXT_RUNS])
def test_next_runs(zone: str, expr: str, after: str, expected: list[str], why: str) -> None:
    assert runs_after(expr, zone, z(after), len(expected)) == [z(e) for e in expected]


def test_next_run_includes_now_and_is_utc() -> None:
    """A scheduler started at 06:00:00 runs the 06:00 job at once, as APScheduler does."""
    assert next_run("0 6 * * *", LON, z("2026-11-22 06:00")) == z("2026-11-22 06:00")
    assert next_run("0 6 * * *", LON, z("2026-11-22 06:00:01")) == z("2026-11-23 06:00")
    assert next_run("0 6 * * *", NY, z("2026-11-22 12:00")).tzinfo == dt.UTC  # type: ignore[union-attr]
    assert local(z("2026-11-01 11:00"), NY).isoformat() == "2026-11-01T06:00:00-05:00"


def test_the_scheduler_trigger_agrees() -> None:
    """The trigger the daemon hands to APScheduler is the one these decisions use (fall-back included)."""
    t = trigger("30 1 * * *", NY)
    first = t.get_next_fire_time(None, z("2026-10-31 12:00").astimezone(t.timezone))
    second = t.get_next_fire_time(first, first)
    assert (first.astimezone(dt.UTC), second.astimezone(dt.UTC)) == (z("2026-11-01 05:30"), z("2026-11-02 06:30"))


# ---------------------------------------------------------------- the crontab reader (settings use it too)

BAD = [
    ("0 6 * *", "expected 5 fields"),
    ("0 25 * * *", "higher than the maximum value (23)"),
    ("0 8 * * 8", "bad weekday '8'"),
    ("0 8 * * 5-1", "runs backwards"),
    ("0 8 1 * mon", "restricts both the day of the month and the day of the week"),
    ("0 8 * * */0", "bad step"),
]


@pytest.mark.parametrize(("expr", "says"), BAD, ids=[b[0] for b in BAD])
def test_bad_expressions_are_refused_by_the_settings(expr: str, says: str) -> None:
    settings, problems = build("config/monitor.yaml", {"schedule": {"poll": expr}}, {})
    assert settings is None
    assert len(problems) == 1
    assert problems[0].startswith(f"config/monitor.yaml: schedule.poll: not a crontab expression {expr!r}: ")
    assert says in problems[0]


# ---------------------------------------------------------------- periods and lateness

PERIODS = [
    (LON, "0 6 * * *", "2026-11-22 12:00", 24, "an ordinary day"),
    (LON, "0 6 * * *", "2026-03-29 12:00", 23, "the day the clocks go forward"),
    (LON, "0 6 * * *", "2026-10-25 12:00", 25, "the day the clocks go back"),
    (LON, "0 8 * * mon", "2026-03-30 12:00", 167, "the week the clocks go forward"),
    (NY, "30 1 * * *", "2026-11-02 12:00", 25, "fall back, the repeated 01:30 not counted"),
    (UTC, "*/15 * * * *", "2026-11-22 12:07", 0.25, "every quarter hour"),
]


@pytest.mark.parametrize(("zone", "expr", "now", "hours", "why"), PERIODS, ids=[p[-1] for p in PERIODS])
def test_period(zone: str, expr: str, now: str, hours: float, why: str) -> None:
    assert period(expr, zone, z(now)) == dt.timedelta(hours=hours)


def test_last_runs_and_grace() -> None:
    assert last_runs("0 6 * * *", UTC, z("2026-11-22 06:00"), 2) == [z("2026-11-22 06:00"), z("2026-11-21 06:00")]
    assert last_runs("0 0 29 2 *", UTC, z("2026-11-22 00:00"), 2) == [z("2024-02-29 00:00")]  # four years back
    assert misfire_grace("0 6 * * *", UTC, z("2026-11-22 12:00")) == 86_400
    assert misfire_grace("* * * * *", UTC, z("2026-11-22 12:00")) == 60
    assert misfire_grace("0 0 29 2 *", UTC, z("2026-11-22 12:00")) == 7 * 86_400


# ---------------------------------------------------------------- catch-up on start

CATCH_UP = [
    # zone, expression, last successful poll (its start, UTC) or None, now (UTC), polls at once?, why
    (UTC, "0 6 * * *", None, "2026-11-22 12:00", True, "never polled"),
    (UTC, "0 6 * * *", "2026-11-21 06:00:02", "2026-11-22 05:00", False, "restart before today's run"),
    (UTC, "0 6 * * *", "2026-11-21 06:00:02", "2026-11-22 07:00", True, "today's run was missed"),
    (UTC, "0 6 * * *", "2026-11-22 05:00", "2026-11-22 07:00", False, "a poll by hand an hour before the run"),
    (UTC, "0 6 * * *", "2026-11-22 06:00:01", "2026-11-22 23:59", False, "today's run was made"),
    (UTC, "0 6 * * *", "2026-11-10 06:00", "2026-11-22 05:00", True, "down for days"),
    (LON, "0 6 * * *", "2026-03-28 06:00", "2026-03-29 05:30", True, "the BST morning run missed: 23.5 h > a 23 h period"),
    (NY, "0 6 * * *", "2026-10-31 10:00", "2026-11-01 10:30", False, "24.5 h later, but before the EST run at 11:00Z"),
    (NY, "0 6 * * *", "2026-10-31 10:00", "2026-11-01 11:30", True, "the EST run missed"),
    (UTC, "*/10 * * * *", "2026-11-22 11:45", "2026-11-22 12:01", True, "frequent polls: two runs missed"),
]


@pytest.mark.parametrize(("zone", "expr", "last", "now", "due", "why"), CATCH_UP, ids=[c[-1] for c in CATCH_UP])
def test_poll_at_start(zone: str, expr: str, last: str | None, now: str, due: bool, why: str) -> None:
    decision = poll_at_start(expr, zone, z(last) if last else None, z(now))
    assert decision.due is due, decision.why
    assert decision.why
