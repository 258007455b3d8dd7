"""The options more than one command takes, declared once: same flag, same help, same type everywhere.

Only typer here: building the app must not import the library (see tests/test_startup.py).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer

# For shell completion only (the library checks every value): the words these options take, kept equal to the
# library's lists by tests/test_cli_day.py.
STATUSES = ("pending", "in_progress", "stalled", "complete", "partial", "missed")
DEADLINE_STATES = ("none", "waiting", "upcoming", "due_soon", "overdue", "met", "late")
MATCH_STATES = ("new", "confirmed", "dismissed")
SIGNALS = ("completion", "progress", "delay", "none")
SORTS = ("urgency", "due", "id", "agreement")


def words(*choices: str) -> Callable[[str], list[str]]:
    """A completer offering `choices`."""

    def complete(incomplete: str) -> list[str]:
        return [c for c in choices if c.startswith(incomplete)]

    return complete


def _ids(ctx: typer.Context, kind: str) -> list[str]:
    """The milestone or agreement ids of the home the command line names, for completion: the config is read (no
    database); a broken or missing home offers nothing."""
    from ..errors import MonitorError

    root = ctx.find_root()
    home = root.params.get("home") or getattr(root.obj, "home", None)
    try:
        from ..config import load
        from ..home import find

        defs = load(find(home)).definitions
    except MonitorError:
        return []
    return [m.id for m in defs.milestones] if kind == "milestone" else [a.id for a in defs.agreements]


def milestone_ids(ctx: typer.Context, incomplete: str) -> list[str]:
    return [i for i in _ids(ctx, "milestone") if i.startswith(incomplete)]


def agreement_ids(ctx: typer.Context, incomplete: str) -> list[str]:
    return [i for i in _ids(ctx, "agreement") if i.startswith(incomplete)]


Home = Annotated[
    Path | None,
    typer.Option(
        "--home", help="The home directory (default: $MONITOR_HOME, else the current directory).", show_default=False
    ),
]
Json = Annotated[bool, typer.Option("--json", help="Print one JSON document instead of a table.")]
MilestoneId = Annotated[str, typer.Argument(metavar="ID", autocompletion=milestone_ids)]
Milestones = Annotated[
    list[str] | None,
    typer.Option(
        "--milestone", help="Only this milestone id (repeatable, or a,b: any of them).", autocompletion=milestone_ids
    ),
]
Agreements = Annotated[
    list[str] | None,
    typer.Option(
        "--agreement", help="Only this agreement id (repeatable, or a,b: any of them).", autocompletion=agreement_ids
    ),
]
Countries = Annotated[
    list[str] | None, typer.Option("--country", help="Only agreements with this party, e.g. JP (repeatable).")
]
On = Annotated[
    str | None,
    typer.Option("--on", help="Date of the change, YYYY-MM-DD (default: today; when correcting: the recorded date)."),
]
Since = Annotated[
    str | None,
    typer.Option("--since", help="Only on or after YYYY-MM-DD (a change's date; a match's publication)."),
]
Evidence = Annotated[str | None, typer.Option("--evidence", help="URL of the evidence.")]
Note = Annotated[str | None, typer.Option("--note", help="A note kept with the change or the review.")]
By = Annotated[str | None, typer.Option("--by", help="Who made the change (default: $MONITOR_USER or login).")]
Force = Annotated[
    bool,
    typer.Option(
        "--force",
        help="Accept a verdict dated before the agreement was signed, or any date before 1990-01-01 "
        "(review: with --complete, the item's date).",
    ),
]
Out = Annotated[
    Path | None,
    typer.Option(
        "--out", help="Where to write (see the command's description for what and the default).", show_default=False
    ),
]
Correct = Annotated[
    bool,
    typer.Option(
        "--correct",
        help="Correct the current record instead of recording a change: one history row marked as a correction "
        "(default date: the corrected row's).",
    ),
]
Frequency = Annotated[str, typer.Option("--frequency", help="Digest frequency: weekly or daily.")]
Feeds = Annotated[list[str] | None, typer.Option("--feed", help="Only this feed id (repeatable).")]
FeedType = Annotated[
    str | None,
    typer.Option(
        "--type",
        help="Source type: rss | federal_register | html (default: federal_register for the Federal Register API, "
        "else rss).",
    ),
]
