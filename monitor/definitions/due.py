"""`due:` and dates as written in milestones.yaml, parsed once into a DueRule; ValueError names what is wrong."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ..validation import located
from .types import DueRule

MAX_DAYS = 36_500  # offsets in `due:` up to a hundred years
MAX_MONTHS = 1_200
SHAPES = "expected a date, {after: signed|<milestone>, days: N | months: N} or {expected: DATE}"


def parse_due(v: Any) -> DueRule | None:
    """A due rule from its YAML form (or a DueRule already parsed); ValueError names what is wrong."""
    if v is None or isinstance(v, DueRule):
        return v
    if isinstance(v, dt.datetime):
        return DueRule("fixed", on=v.date())
    if isinstance(v, dt.date):
        return DueRule("fixed", on=v)
    if isinstance(v, str):
        return DueRule("fixed", on=parse_date(v))
    if not isinstance(v, dict):
        raise ValueError(f"{SHAPES}, got {v!r}")
    keys = set(v)
    if keys == {"expected"}:
        return DueRule("expected", on=parse_date(v["expected"]))
    if "after" in keys and keys <= {"after", "days", "months"} and keys & {"days", "months"}:
        after = v["after"]
        if not isinstance(after, str) or not after:
            raise ValueError(f"'after' must be 'signed' or a milestone id, got {after!r}")
        days, months = v.get("days", 0), v.get("months", 0)
        for name, n, limit in (("days", days, MAX_DAYS), ("months", months, MAX_MONTHS)):
            if not isinstance(n, int) or isinstance(n, bool) or not 0 <= n <= limit:
                raise ValueError(f"'{name}' must be a whole number of {name} from 0 to {limit}, got {n!r}")
        return DueRule("after", after=after, days=days, months=months)
    raise ValueError(f"{SHAPES}, got {v!r}")


def parse_date(v: Any) -> dt.date:
    """A date as YAML gave it (a date, or text that the loader could not read as one, with its line)."""
    if isinstance(v, dt.datetime):
        return v.date()
    if isinstance(v, dt.date):
        return v
    try:
        return dt.date.fromisoformat(str(v))
    except ValueError:
        raise ValueError(f"not a valid date (YYYY-MM-DD): {v!r}{located(v)}") from None
