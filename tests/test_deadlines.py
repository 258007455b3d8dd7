"""Deadline logic as a table of cases: pure values, a fixed today, no fixtures."""

from __future__ import annotations

import datetime as dt

import pytest

from monitor.deadlines import Progress, deadline, due_date
from monitor.definitions import AgreementDef, DueRule, MilestoneDef

D = dt.date.fromisoformat
AGREEMENT = AgreementDef("ag", "Agreement", "framework", ("US", "JP"), D("2025-10-28"), False)
UNSIGNED = AgreementDef("ag", "Agreement", "framework", ("US", "JP"), None, False)
TODAY = D("2026-11-22")


def ms(due: DueRule | None, id_: str = "m") -> MilestoneDef:
    return MilestoneDef(id_, "ag", "Milestone", "", due, None)


CASES = [
    # name, rule, progress of m / of dep, agreement, expected (due, state, days_left, soft)
    ("no due date", None, {}, AGREEMENT, (None, "none", None, False)),
    ("fixed, far ahead", DueRule("fixed", on=D("2027-03-01")), {}, AGREEMENT, (D("2027-03-01"), "upcoming", 99, False)),
    (
        "fixed, within 30 days",
        DueRule("fixed", on=D("2026-12-22")),
        {},
        AGREEMENT,
        (D("2026-12-22"), "due_soon", 30, False),
    ),
    ("fixed, 31 days", DueRule("fixed", on=D("2026-12-23")), {}, AGREEMENT, (D("2026-12-23"), "upcoming", 31, False)),
    ("fixed, due today", DueRule("fixed", on=TODAY), {}, AGREEMENT, (TODAY, "due_soon", 0, False)),
    ("fixed, yesterday", DueRule("fixed", on=D("2026-11-21")), {}, AGREEMENT, (D("2026-11-21"), "overdue", -1, False)),
    (
        "signed + 180 days",
        DueRule("after", after="signed", days=180),
        {},
        AGREEMENT,
        (D("2026-04-26"), "overdue", -210, False),
    ),
    (
        "signed + 6 months",
        DueRule("after", after="signed", months=6),
        {},
        AGREEMENT,
        (D("2026-04-28"), "overdue", -208, False),
    ),
    (
        "signed, agreement unsigned",
        DueRule("after", after="signed", days=10),
        {},
        UNSIGNED,
        (None, "none", None, False),
    ),
    (
        "after dependency not done",
        DueRule("after", after="dep", days=60),
        {},
        AGREEMENT,
        (None, "waiting", None, False),
    ),
    (
        "after dependency in progress",
        DueRule("after", after="dep", days=60),
        {"dep": Progress("in_progress")},
        AGREEMENT,
        (None, "waiting", None, False),
    ),
    (
        "after dependency complete",
        DueRule("after", after="dep", days=60),
        {"dep": Progress("complete", D("2026-03-01"))},
        AGREEMENT,
        (D("2026-04-30"), "overdue", -206, False),
    ),
    (
        "after dependency partial",
        DueRule("after", after="dep", days=60),
        {"dep": Progress("partial", D("2026-11-01"))},
        AGREEMENT,
        (D("2026-12-31"), "upcoming", 39, False),
    ),
    (
        "after dependency missed",
        DueRule("after", after="dep", days=60),
        {"dep": Progress("missed", D("2026-03-01"))},
        AGREEMENT,
        (None, "waiting", None, False),
    ),
    (
        "expected, past",
        DueRule("expected", on=D("2025-12-31")),
        {},
        AGREEMENT,
        (D("2025-12-31"), "overdue", -326, True),
    ),
    (
        "expected, ahead",
        DueRule("expected", on=D("2027-01-31")),
        {},
        AGREEMENT,
        (D("2027-01-31"), "upcoming", 70, True),
    ),
    (
        "complete before due",
        DueRule("fixed", on=D("2026-04-26")),
        {"m": Progress("complete", D("2026-04-01"))},
        AGREEMENT,
        (D("2026-04-26"), "met", None, False),
    ),
    (
        "complete on due",
        DueRule("fixed", on=D("2026-04-26")),
        {"m": Progress("complete", D("2026-04-26"))},
        AGREEMENT,
        (D("2026-04-26"), "met", None, False),
    ),
    (
        "complete after due",
        DueRule("fixed", on=D("2026-04-26")),
        {"m": Progress("complete", D("2026-04-27"))},
        AGREEMENT,
        (D("2026-04-26"), "late", None, False),
    ),
    (
        "partial before due",
        DueRule("fixed", on=D("2026-04-26")),
        {"m": Progress("partial", D("2026-01-01"))},
        AGREEMENT,
        (D("2026-04-26"), "met", None, False),
    ),
    (
        "missed",
        DueRule("fixed", on=D("2026-04-26")),
        {"m": Progress("missed", D("2026-04-01"))},
        AGREEMENT,
        (D("2026-04-26"), "late", None, False),
    ),
    ("complete, no due", None, {"m": Progress("complete", D("2026-04-01"))}, AGREEMENT, (None, "none", None, False)),
    (
        "complete, waiting rule",
        DueRule("after", after="dep", days=5),
        {"m": Progress("complete", D("2026-04-01"))},
        AGREEMENT,
        (None, "none", None, False),
    ),
    (
        "stalled and overdue",
        DueRule("fixed", on=D("2026-01-01")),
        {"m": Progress("stalled")},
        AGREEMENT,
        (D("2026-01-01"), "overdue", -325, False),
    ),
]


@pytest.mark.parametrize("name,rule,progress,agreement,expected", CASES, ids=[c[0] for c in CASES])
def test_deadline(
    name: str,
    rule: DueRule | None,
    progress: dict[str, Progress],
    agreement: AgreementDef,
    expected: tuple[object, ...],
) -> None:
    d = deadline(ms(rule), agreement, progress, TODAY, due_soon_days=30)
    assert (d.due, d.state, d.days_left, d.soft) == expected


def test_month_offset_clamps_to_month_end() -> None:
    rule = DueRule("after", after="signed", months=1)
    aug = AgreementDef("ag", "A", "mou", ("US",), D("2026-01-31"), False)
    assert due_date(rule, aug, {}) == (D("2026-02-28"), False)


@pytest.mark.parametrize(
    "rule,text",
    [
        (DueRule("fixed", on=D("2026-04-26")), "2026-04-26"),
        (DueRule("after", after="signed", days=180), "signing + 180 days"),
        (DueRule("after", after="signed", months=6), "signing + 6 months"),
        (DueRule("after", after="my-notifications", days=60), "my-notifications + 60 days"),
        (DueRule("expected", on=D("2025-12-31")), "expected 2025-12-31 (soft target)"),
    ],
)
def test_describe(rule: DueRule, text: str) -> None:
    assert rule.describe() == text
