"""Due dates and deadline states: pure functions of (definitions, completions, today)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from .definitions import AgreementDef, DueRule, MilestoneDef

STATUSES = ("pending", "in_progress", "stalled", "complete", "partial", "missed")
VERDICTS = ("complete", "partial", "missed")
OPEN = ("pending", "in_progress", "stalled")
DEADLINE_STATES = ("none", "waiting", "upcoming", "due_soon", "overdue", "met", "late")

DeadlineState = Literal["none", "waiting", "upcoming", "due_soon", "overdue", "met", "late"]


@dataclass(frozen=True)
class Progress:
    """A milestone's stored state as far as deadlines care."""

    status: str = "pending"
    on: dt.date | None = None  # the verdict's date for complete / partial / missed


@dataclass(frozen=True)
class Deadline:
    due: dt.date | None
    state: DeadlineState
    soft: bool = False  # an `expected:` target rather than a commitment
    days_left: int | None = None  # due - today, for open milestones with a due date


def fulfilled_on(progress: Progress | None) -> dt.date | None:
    """The date a milestone counts as done for its dependants: complete or partial, with a date."""
    if progress and progress.status in ("complete", "partial"):
        return progress.on
    return None


def due_date(
    rule: DueRule | None,
    agreement: AgreementDef,
    progress: Mapping[str, Progress],
) -> tuple[dt.date | None, bool]:
    """(due date, waiting): waiting means the date depends on a milestone that is not done yet."""
    if rule is None:
        return None, False
    if rule.kind in ("fixed", "expected"):
        return rule.on, False
    if rule.after == "signed":
        return (rule.offset(agreement.signed), False) if agreement.signed else (None, False)
    assert rule.after is not None
    start = fulfilled_on(progress.get(rule.after))
    return (rule.offset(start), False) if start else (None, True)


def deadline(
    milestone: MilestoneDef,
    agreement: AgreementDef,
    progress: Mapping[str, Progress],
    today: dt.date,
    due_soon_days: int,
) -> Deadline:
    due, waiting = due_date(milestone.due, agreement, progress)
    soft = bool(milestone.due and milestone.due.soft)
    mine = progress.get(milestone.id, Progress())
    if due is None:
        return Deadline(None, "waiting" if waiting and mine.status not in VERDICTS else "none", soft)
    if mine.status in VERDICTS:
        # complete / partial on or before the due date met it; after it, late. `missed` never meets it.
        kept = mine.status != "missed" and mine.on is not None and mine.on <= due
        return Deadline(due, "met" if kept else "late", soft)
    left = (due - today).days
    if left < 0:
        state: DeadlineState = "overdue"
    elif left <= due_soon_days:
        state = "due_soon"
    else:
        state = "upcoming"
    return Deadline(due, state, soft, left)


def is_quiet(
    status: str, last_evidence: dt.date | None, watched_since: dt.date | None, today: dt.date, days: int
) -> bool:
    """An open milestone with no new evidence for more than `days` days since the later of its last evidence and
    `watched_since` (the later of the agreement's signing and the first read of its sources: before that, no
    evidence could have been found). Never quiet while neither is known (a home never polled)."""
    if status not in OPEN:
        return False
    known = [d for d in (last_evidence, watched_since) if d is not None]
    return bool(known) and (today - max(known)).days > days
