"""Commands for the overview: summary (also `monitor` alone in a home), agreements."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from .context import fail, guarded, home_option, with_app
from .options import Json

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from rich.console import Console, RenderableType

    from ..views import AgreementView, MilestoneView, Summary



def register(app: typer.Typer) -> None:
    app.command("summary")(summary)
    app.command("agreements")(agreements)


def state_counts(counts: Mapping[str, int]) -> str:
    """ "2 overdue, 1 due soon, 3 no due date": the non-zero counts, most pressing first."""
    from ..wording import DEADLINE_WORDS, plural

    parts = [f"{n} {DEADLINE_WORDS[s]}" for s, n in counts.items() if n]
    return ", ".join(parts) if parts else plural(0, "milestone")


@guarded
def summary(
    ctx: typer.Context,
    days: Annotated[
        int | None,
        typer.Option(
            "--days", min=0, help="The due-soon window in days (default: digest.due_soon_days, 30).", show_default=False
        ),
    ] = None,
    as_json: Json = False,
) -> None:
    """The overview: per agreement, its milestones by deadline state; what is overdue (most overdue first), due in
    the next --days days, and quiet; evidence awaiting review; failing sources. `monitor` alone prints it too.

    Example: monitor summary --days 14
    """
    from .. import overview
    from .output import console, emit_json

    s = with_app(ctx, lambda app: overview.summary(app, days))
    if as_json:
        emit_json(s)
        return
    show_summary(console(), s)


def _agreement_table(rows: Sequence[AgreementView], width: int, title: str, full: bool) -> RenderableType:
    from .tables import Column, Layout, drop, fitted

    columns = [
        Column("agreement", [a.id for a in rows]),
        *(
            [
                Column("kind", [a.kind for a in rows]),
                Column("parties", ["-".join(a.parties) for a in rows]),
                Column("signed", [a.signed.isoformat() if a.signed else "—" for a in rows]),
            ]
            if full
            else []
        ),
        Column("milestones", [str(a.milestones) for a in rows], justify="right"),
        Column("open", [str(a.open) for a in rows], justify="right"),
        Column("by deadline", [state_counts(a.deadline_states) for a in rows], wrap=True, min_width=16),
        Column("title", [a.title for a in rows], wrap=True, min_width=20),
    ]
    steps = [drop("title"), drop("kind"), drop("parties"), drop("open"), drop("signed")]
    return fitted(Layout(columns, steps), width, title)


def _milestone_table(views: Sequence[MilestoneView], width: int, title: str, evidence: bool = False) -> RenderableType:
    from ..wording import days_phrase
    from .output import fmt
    from .tables import Column, Layout, drop, fitted

    columns = [
        Column("id", [v.id for v in views]),
        Column("due", [fmt(v.due) + (" (soft)" if v.soft else "") for v in views]),
        Column("days", [days_phrase(v.days_left) for v in views]),
        *([Column("last evidence", [_date(v.last_evidence) for v in views])] if evidence else []),
        Column("title", [v.title for v in views], wrap=True, min_width=16),
    ]
    return fitted(Layout(columns, [drop("days")]), width, title)


def _date(when: object) -> str:
    from .output import fmt

    return fmt(when)[:10] if when is not None else "none yet"


def show_summary(out: Console, s: Summary) -> None:
    """The overview for people: one section after another, each saying what to type next."""
    from rich.text import Text

    from ..wording import plural
    from .output import fmt
    from .tables import Column, Layout, drop, fitted

    width = out.width
    total = sum(a.milestones for a in s.agreements)
    out.print(Text(f"Overview, today {s.today.isoformat()}", style="bold"))
    checked = (
        f"sources last checked {fmt(s.sources_checked)} UTC"
        if s.sources_checked
        else "no source checked yet: run 'monitor poll'"
    )
    out.print(f"{plural(len(s.agreements), 'agreement')}, {plural(total, 'milestone')}; {checked}")
    out.print(_agreement_table(s.agreements, width, "agreements", full=False))

    if s.overdue:
        out.print(_milestone_table(s.overdue, width, f"overdue: {plural(len(s.overdue), 'milestone')}"))
    else:
        out.print("overdue: none")
    window = f"due in the next {plural(s.due_soon_days, 'day')}"
    if s.due_soon:
        out.print(_milestone_table(s.due_soon, width, f"{window}: {plural(len(s.due_soon), 'milestone')}"))
    else:
        out.print(f"{window}: none")
    if s.quiet:
        quiet = f"quiet (no new evidence for {plural(s.quiet_after_days, 'day')}): {plural(len(s.quiet), 'milestone')}"
        out.print(_milestone_table(s.quiet, width, quiet, evidence=True))

    if s.new_evidence:
        e = s.new_evidence
        evidence = Layout(
            [
                Column("milestone", [w.milestone for w in e]),
                Column("new", [str(w.matches) for w in e], justify="right"),
                Column("latest", [fmt(w.latest)[:10] for w in e]),
                Column("title", [w.title for w in e], wrap=True, min_width=16),
            ],
            [drop("title")],
        )
        title = (
            f"evidence awaiting review: {plural(s.new_matches, 'match', 'matches')} for {plural(len(e), 'milestone')}"
        )
        out.print(fitted(evidence, width, title))
        out.print("to review them: monitor matches --state new")
    else:
        out.print("evidence awaiting review: none")

    if s.failing_sources:
        f = s.failing_sources
        failing = Layout(
            [
                Column("source", [x.id for x in f]),
                Column("failures", [str(x.consecutive_failures) for x in f], justify="right"),
                Column("last success", [fmt(x.last_success)[:10] if x.last_success else "never" for x in f]),
                Column("last error", [x.last_error or "" for x in f], wrap=True, min_width=16),
            ],
            [drop("last success")],
        )
        out.print(fitted(failing, width, f"failing sources: {len(f)} (monitor feeds)"))
    else:
        out.print("failing sources: none")


@guarded
def agreements(ctx: typer.Context, as_json: Json = False) -> None:
    """Agreements with their milestones counted (total, open, by deadline state); one without milestones shows 0.

    Example: monitor agreements --json
    """
    from .. import overview
    from ..wording import plural
    from .output import console, emit_json

    rows = with_app(ctx, overview.agreements)
    if as_json:
        emit_json(rows)
        return
    out = console()
    out.print(_agreement_table(rows, out.width, plural(len(rows), "agreement"), full=True))


def alone(ctx: typer.Context) -> None:
    """`monitor` with no command: the overview in a home. Outside one, the help and how to make a home; when a home
    was named (--home, $MONITOR_HOME) and is not one, the usual `no monitor home` error."""
    import os

    from ..home import locate

    given = home_option(ctx)
    home = locate(given)
    if home.is_home():
        summary(ctx, days=None, as_json=False)
        return
    if given or os.environ.get("MONITOR_HOME"):
        raise fail(f"no monitor home at {home.path} (run 'monitor init {home.path}')", 2)
    from .safe import visible

    typer.echo(ctx.get_help())
    typer.echo(
        f"\n{visible(str(home.path))} is not a monitor home: create one with 'monitor init PATH', then run monitor "
        "there, or name it with --home PATH or $MONITOR_HOME."
    )
    raise typer.Exit(0)
