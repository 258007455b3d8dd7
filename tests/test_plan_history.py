"""Corrections and undos read as what they are (monitor/plan/history.py): a table of cases, no fixtures."""

from __future__ import annotations

import datetime as dt

from monitor.deadlines import Progress
from monitor.plan.history import in_effect, kind_phrase, standing
from monitor.report.charts import progress_on
from monitor.views import HistoryRow

WHEN = dt.datetime(2026, 3, 10, 12, tzinfo=dt.UTC)


def row(n: int, to: str, on: str, kind: str = "change", refers_to: int | None = None) -> HistoryRow:
    return HistoryRow(
        "m", "pending", to, dt.date.fromisoformat(on), WHEN + dt.timedelta(hours=n), "x", None, None, None,
        kind, refers_to, n,
    )  # fmt: skip


COMPLETE = row(1, "complete", "2026-03-01")
AMENDED = row(2, "complete", "2026-03-04", "correction", 1)
UNDONE = row(3, "pending", "2026-03-10", "undo", 2)


def test_standing_and_in_effect() -> None:
    assert [r.id for r in standing([COMPLETE, AMENDED])] == [1, 2]
    assert [r.id for r in in_effect([COMPLETE, AMENDED])] == [2]  # the correction replaces what it corrects
    assert [r.id for r in standing([COMPLETE, AMENDED, UNDONE])] == [1]  # the correction taken back
    assert [r.id for r in in_effect([COMPLETE, AMENDED, UNDONE])] == [1]
    assert in_effect([COMPLETE, row(2, "pending", "2026-03-02", "undo", 1)]) == []


def test_the_report_replays_what_is_in_effect() -> None:
    day = dt.date(2026, 3, 2)
    assert progress_on([COMPLETE], day) == Progress("complete", dt.date(2026, 3, 1))
    assert progress_on([COMPLETE, AMENDED], day) == Progress()  # amended to the 4th: not complete on the 2nd
    assert progress_on([COMPLETE, AMENDED], dt.date(2026, 3, 5)) == Progress("complete", dt.date(2026, 3, 4))
    assert progress_on([COMPLETE, row(2, "pending", "2026-03-10", "undo", 1)], day) == Progress()  # never was


def test_kind_phrase() -> None:
    assert (kind_phrase("change", None), kind_phrase("correction", 3), kind_phrase("undo", 5)) == (
        "",
        "correction of #3",
        "undo of #5",
    )
