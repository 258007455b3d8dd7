"""How counts and deadlines read in English, for every output that shows them to people (terminal, e-mail,
report): "1 change", "3 changes", "327 days overdue", "due today". Pure; no dependencies."""

from __future__ import annotations

# A deadline state (monitor.deadlines.DEADLINE_STATES) as people read it, in the terminal and the report.
DEADLINE_WORDS = {
    "none": "no due date",
    "waiting": "waiting",
    "upcoming": "upcoming",
    "due_soon": "due soon",
    "overdue": "overdue",
    "met": "met",
    "late": "late",
}


def plural(n: int, one: str, many: str | None = None) -> str:
    """`n` and the noun that agrees with it: plural(1, "change") == "1 change", plural(0, "match", "matches")."""
    return f"{n} {one if n == 1 else (many if many is not None else one + 's')}"


def days_phrase(days_left: int | None) -> str:
    """An open milestone's time to its due date, from `days_left` (due - today): "5 days left", "1 day left",
    "due today", "1 day overdue", "327 days overdue"; "" without a due date (or for a verdict)."""
    if days_left is None:
        return ""
    if days_left == 0:
        return "due today"
    if days_left > 0:
        return plural(days_left, "day") + " left"
    return plural(-days_left, "day") + " overdue"
