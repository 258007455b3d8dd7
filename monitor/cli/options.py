"""The options more than one command takes, declared once: same flag, same help, same type everywhere.

Only typer here: building the app must not import the library (see tests/test_startup.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

Home = Annotated[
    Path | None,
    typer.Option(
        "--home", help="The home directory (default: $MONITOR_HOME, else the current directory).", show_default=False
    ),
]
Json = Annotated[bool, typer.Option("--json", help="Print one JSON document instead of a table.")]
MilestoneId = Annotated[str, typer.Argument(metavar="ID")]
Milestone = Annotated[str | None, typer.Option("--milestone", help="Only this milestone id.")]
On = Annotated[str | None, typer.Option("--on", help="Date of the change, YYYY-MM-DD (default: today).")]
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
Feeds = Annotated[list[str] | None, typer.Option("--feed", help="Only this feed id (repeatable).")]
FeedType = Annotated[
    str | None,
    typer.Option(
        "--type",
        help="Source type: rss | federal_register | html (default: federal_register for the Federal Register API, "
        "else rss).",
    ),
]
