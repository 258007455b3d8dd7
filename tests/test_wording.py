"""Counts and deadlines in plain English: a table of cases, no fixtures."""

from __future__ import annotations

import pytest

from monitor.wording import days_phrase, plural


@pytest.mark.parametrize(
    ("n", "one", "many", "expected"),
    [
        (0, "change", None, "0 changes"),
        (1, "change", None, "1 change"),
        (2, "change", None, "2 changes"),
        (1, "match", "matches", "1 match"),
        (3, "match", "matches", "3 matches"),
        (-1, "day", None, "-1 days"),
    ],
)
def test_plural(n: int, one: str, many: str | None, expected: str) -> None:
    assert plural(n, one, many) == expected


@pytest.mark.parametrize(
    ("days_left", "expected"),
    [
        (None, ""),
        (0, "due today"),
        (1, "1 day left"),
        (30, "30 days left"),
        (-1, "1 day overdue"),
        (-327, "327 days overdue"),
    ],
)
def test_days_phrase(days_left: int | None, expected: str) -> None:
    assert days_phrase(days_left) == expected
