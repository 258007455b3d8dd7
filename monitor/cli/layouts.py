"""The tables of milestones, history and evidence: which columns, and how each gets narrower (cli/tables.py).

Shared by the commands that show them (milestones, show, history, matches); imported when a command runs."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from rich.text import Text

from .output import STATE_STYLE, fmt
from .tables import Column, Layout, drop, swap

if TYPE_CHECKING:
    from ..views import HistoryRow, MatchView, MilestoneView

SIGNAL_STYLE = {"completion": "green", "delay": "red", "progress": "yellow", "none": "dim"}


def deadline_text(v: MilestoneView, soft: bool = True) -> Text:
    shown = soft and v.soft and v.deadline_state in ("overdue", "due_soon", "upcoming")
    return Text(v.deadline_state + (" (soft)" if shown else ""), style=STATE_STYLE.get(v.deadline_state, ""))


def _evidence(v: MilestoneView) -> str:
    day = fmt(v.last_evidence)[:10] if v.last_evidence else "—"
    return day + (" (quiet)" if v.quiet else "")


def milestone_layout(views: Sequence[MilestoneView]) -> Layout:
    """The milestone table: ids, dates and states whole; at narrow widths the agreement, last evidence, days,
    status and the soft marker go, in that order; the title wraps."""
    from ..wording import days_phrase

    return Layout(
        [
            Column("id", [v.id for v in views]),
            Column("agreement", [v.agreement for v in views]),
            Column("title", [v.title for v in views], wrap=True, min_width=20),
            Column("status", [v.status for v in views]),
            Column("due", [fmt(v.due) for v in views]),
            Column("deadline", [deadline_text(v) for v in views]),
            Column("days", [days_phrase(v.days_left) for v in views]),
            Column("last evidence", [_evidence(v) for v in views]),
        ],
        [
            drop("agreement"),
            drop("last evidence"),
            drop("days"),
            drop("status"),
            swap("deadline", lambda: Column("deadline", [deadline_text(v, soft=False) for v in views])),
            swap("title", lambda: Column("title", [v.title for v in views], wrap=True, min_width=12)),
        ],
    )


def history_layout(rows: Sequence[HistoryRow], with_milestone: bool = True) -> Layout:
    """The history table: the milestone, the change and its date whole; a correction or an undo says so and which
    row it refers to. At narrow widths the evidence, the recording time, who, and the row numbers go; the kind
    moves in front of the note."""

    from ..plan.history import kind_phrase

    def kind(r: HistoryRow) -> str:
        return kind_phrase(r.kind, r.refers_to)

    def note_with_kind(r: HistoryRow) -> str:
        return " ".join(p for p in (f"({kind(r)})" if kind(r) else "", r.note or "") if p)

    marked = any(r.kind != "change" for r in rows)
    columns = [
        Column("#", [str(r.id) for r in rows], justify="right"),
        Column("recorded", [fmt(r.recorded_at) for r in rows]),
        *([Column("milestone", [r.milestone for r in rows])] if with_milestone else []),
        *([Column("kind", [kind(r) for r in rows])] if marked else []),
        Column("change", [f"{r.from_status} → {r.to_status}" for r in rows]),
        Column("on", [fmt(r.on) for r in rows]),
        Column("by", [r.by for r in rows], wrap=True, min_width=8),
        Column("note", [r.note or "" for r in rows], wrap=True, min_width=12),
        Column("evidence", [r.evidence_url or "" for r in rows], wrap=True, min_width=20),
    ]

    def merge_kind(columns: list[Column]) -> list[Column]:
        if not marked:
            return columns
        out = [c for c in columns if c.key != "kind"]
        return [
            Column("note", [note_with_kind(r) for r in rows], wrap=True, min_width=12) if c.key == "note" else c
            for c in out
        ]

    return Layout(
        columns,
        [
            drop("evidence"),
            swap("recorded", lambda: Column("recorded", [fmt(r.recorded_at)[:10] for r in rows])),
            drop("by"),
            drop("recorded"),
            drop("#"),
            merge_kind,
            swap("note", lambda: Column("note", [note_with_kind(r) for r in rows], wrap=True, min_width=8)),
        ],
    )


def match_layout(rows: Sequence[MatchView], with_milestone: bool = True) -> Layout:
    """The evidence table: match ids, milestone ids and dates whole; at narrow widths the sources, score, state,
    and the time of day go; the title wraps."""
    return Layout(
        [
            Column("id", [str(r.id) for r in rows], justify="right"),
            *([Column("milestone", [r.milestone for r in rows])] if with_milestone else []),
            Column("published", [fmt(r.published) for r in rows]),
            Column("signal", [Text(r.signal, style=SIGNAL_STYLE.get(r.signal, "")) for r in rows]),
            Column("state", [r.state for r in rows]),
            Column("score", [f"{r.score:g}" for r in rows], justify="right"),
            Column("title", [r.item_title for r in rows], wrap=True, min_width=20),
            Column(
                "sources", [", ".join(dict.fromkeys(s.feed for s in r.sources)) for r in rows], wrap=True, min_width=16
            ),
        ],
        [
            drop("sources"),
            swap("published", lambda: Column("published", [fmt(r.published)[:10] for r in rows])),
            drop("score"),
            drop("state"),
            swap("title", lambda: Column("title", [r.item_title for r in rows], wrap=True, min_width=12)),
        ],
    )
