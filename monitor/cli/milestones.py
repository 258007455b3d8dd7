"""Commands about milestones: milestones, show, complete, status, history."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from .context import default_user, guarded, with_app
from .options import (
    DEADLINE_STATES,
    SORTS,
    STATUSES,
    Agreements,
    By,
    Correct,
    Countries,
    Evidence,
    Force,
    Json,
    MilestoneId,
    Note,
    On,
    Since,
    milestone_ids,
    words,
)

if TYPE_CHECKING:
    from ..tracking import StatusResult


def register(app: typer.Typer) -> None:
    app.command("milestones")(milestones)
    app.command("show")(show)
    app.command("complete")(complete)
    app.command("status")(status)
    app.command("amend")(amend)
    app.command("undo")(undo)
    app.command("history")(history)


Many = list[str] | None


@guarded
def milestones(
    ctx: typer.Context,
    agreement: Agreements = None,
    country: Countries = None,
    status_: Annotated[
        Many,
        typer.Option(
            "--status", help="Only this status: pending, complete ... (repeatable).", autocompletion=words(*STATUSES)
        ),
    ] = None,
    deadline: Annotated[
        Many,
        typer.Option(
            "--deadline",
            help="Only this deadline state: overdue, due_soon ... (repeatable).",
            autocompletion=words(*DEADLINE_STATES),
        ),
    ] = None,
    due_within: Annotated[
        int | None,
        typer.Option(
            "--due-within", min=0, metavar="DAYS", help="Only open milestones due in the next DAYS days (0: today)."
        ),
    ] = None,
    sort: Annotated[
        str,
        typer.Option(
            "--sort",
            help="urgency (open and due soonest first; most overdue on top), due, id, or agreement.",
            autocompletion=words(*SORTS),
        ),
    ] = "urgency",
    as_json: Json = False,
) -> None:
    """List tracked milestones with due dates and deadline states, most urgent first. Different filters must all
    hold; a filter given several times matches any of its values.

    Example: monitor milestones --deadline overdue --deadline due_soon --country JP
    """
    from .. import tracking
    from ..wording import plural
    from .layouts import milestone_layout
    from .output import console, emit_json
    from .tables import fitted

    views, today = with_app(
        ctx,
        lambda app: (
            tracking.list_milestones(
                app, agreement, country, status_, deadline, due_within=due_within, sort=sort
            ),
            app.today(),
        ),
    )
    if as_json:
        emit_json(views)
        return
    out = console()
    order = "" if sort == "urgency" else f" by {sort}"
    title = f"{plural(len(views), 'milestone')}{order}, today {today.isoformat()}"
    out.print(fitted(milestone_layout(views), out.width, title))


@guarded
def show(ctx: typer.Context, milestone_id: MilestoneId, as_json: Json = False) -> None:
    """One milestone in full: definition, due rule and date, status, history, recent evidence.

    Example: monitor show jp-minerals-ministerial
    """
    from rich.text import Text

    from .. import tracking
    from ..wording import days_phrase, plural
    from .layouts import deadline_text, history_layout, match_layout
    from .output import console, emit_json, fmt
    from .tables import fitted

    d = with_app(ctx, lambda app: tracking.show(app, milestone_id))
    if as_json:
        emit_json(d)
        return
    v = d.view
    out = console()
    out.print(Text(f"{v.id}: {v.title}", style="bold"))
    out.print(f"agreement   {v.agreement} — {v.agreement_title}")
    if d.description:
        out.print(f"what counts {d.description}")
    out.print(f"due rule    {v.due_rule or 'none'}")
    days = days_phrase(v.days_left)
    out.print(Text.assemble("due         ", fmt(v.due), "  ", deadline_text(v), f"  ({days})" if days else ""))
    out.print(f"status      {v.status}" + (f" on {v.status_on}" if v.status_on else ""))
    if v.evidence_url:
        out.print(f"evidence    {v.evidence_url}")
    if d.depends_on:
        out.print(f"depends on  {d.depends_on}")
    if d.dependants:
        out.print(f"dependants  {', '.join(d.dependants)}")
    out.print(f"last evidence {fmt(v.last_evidence)}" + ("  (quiet: no new evidence for a while)" if v.quiet else ""))
    if d.history:
        rows = plural(len(d.history), "row")
        out.print(fitted(history_layout(d.history, with_milestone=False), out.width, f"history ({rows})"))
    else:
        out.print("history     none yet")
    if d.matches:
        out.print(fitted(match_layout(d.matches, with_milestone=False), out.width, "recent evidence"))
        out.print(Text("why each matched (by the current rules)", style="bold"))
        for mt in d.matches:
            why = mt.explanation.summary() if mt.explanation is not None else "no rule to explain it"
            out.print(f"  {mt.id}: {why}")


def _report(result: StatusResult) -> None:
    from .output import console, fmt

    out = console()
    out.print(result.message)
    for dep in result.dependants:
        out.print(f"  {dep.id}: due {fmt(dep.due)} ({dep.deadline_state})")


@guarded
def complete(
    ctx: typer.Context,
    milestone_id: MilestoneId,
    on: On = None,
    evidence: Evidence = None,
    note: Note = None,
    by: By = None,
    force: Force = False,
    correct: Correct = False,
) -> None:
    """Mark a milestone complete; milestones due "after" it get their due date. The date cannot be in the future,
    nor before the agreement was signed (before 1990-01-01 when it has no signing date) without --force. With
    --correct, the current record was wrong and is corrected to complete (see amend).

    Example: monitor complete my-notifications --on 2026-03-01 --evidence https://www.miti.gov.my/...
    """
    _change(ctx, milestone_id, "complete", on, evidence, note, by, force, correct)


@guarded
def status(
    ctx: typer.Context,
    milestone_id: MilestoneId,
    new_status: Annotated[
        str,
        typer.Argument(
            metavar="STATUS",
            help="pending | in_progress | stalled | complete | partial | missed",
            autocompletion=words(*STATUSES),
        ),
    ],
    on: On = None,
    evidence: Evidence = None,
    note: Note = None,
    by: By = None,
    force: Force = False,
    correct: Correct = False,
) -> None:
    """Set any status. complete, partial and missed are verdicts and carry a date (--on, default today), never
    in the future; a verdict before the agreement was signed, or any date before 1990-01-01, needs --force.
    With --correct, the current record was wrong: it is corrected to STATUS (its date and evidence kept unless
    given) by a history row marked as a correction, not recorded as something that happened.

    Example: monitor status th-full-agreement stalled --note "talks paused after border clashes"
    """
    _change(ctx, milestone_id, new_status, on, evidence, note, by, force, correct)


def _change(
    ctx: typer.Context,
    milestone_id: str,
    new_status: str | None,
    on: str | None,
    evidence: str | None,
    note: str | None,
    by: str | None,
    force: bool = False,
    correct: bool = False,
) -> None:
    """The library checks status, date, URL, note and name; only --on is turned from text into a date here.
    `correct`: a correction of the current record (None keeps its status) rather than a new change."""
    from .. import corrections, tracking
    from .output import parse_date

    day = parse_date(on, "--on")
    who = default_user() if by is None else by
    if correct:
        result = with_app(
            ctx,
            lambda app: corrections.correct(
                app, milestone_id, new_status, on=day, evidence_url=evidence, note=note, by=who, force=force
            ),
        )
    else:
        status = new_status
        assert status is not None, "a status change names its status"
        result = with_app(
            ctx,
            lambda app: tracking.set_status(
                app, milestone_id, status, on=day, evidence_url=evidence, note=note, by=who, force=force
            ),
        )
    _report(result)


@guarded
def amend(
    ctx: typer.Context,
    milestone_id: MilestoneId,
    on: On = None,
    evidence: Evidence = None,
    note: Note = None,
    by: By = None,
    force: Force = False,
) -> None:
    """Correct the date (--on) or evidence (--evidence) of the current record, a verdict's date say, without
    pretending anything happened: a new history row marked as a correction, pointing at the row it corrects; what
    is not given stays as recorded. Milestones due "after" this one move with it. Undo it with `monitor undo`.

    Example: monitor amend kr-final-text --on 2025-11-14 --evidence https://www.whitehouse.gov/fact-sheets/...
    """
    from ..errors import InputError

    if on is None and evidence is None:
        raise InputError("amend: nothing to correct; give --on DATE or --evidence URL (or both)")
    _change(ctx, milestone_id, None, on, evidence, note, by, force, correct=True)


@guarded
def undo(ctx: typer.Context, milestone_id: MilestoneId, note: Note = None, by: By = None) -> None:
    """Take back the last status change (or correction) of a milestone: a new history row marked as an undo,
    pointing at the row it reverts, restores the status, date and evidence before it. Undo again to go further
    back. Milestones due "after" this one move with it; a review that went with the change stays as it is.

    Example: monitor undo my-notifications --note "recorded on the wrong milestone"
    """
    from .. import corrections

    who = default_user() if by is None else by
    _report(with_app(ctx, lambda app: corrections.undo(app, milestone_id, note=note, by=who)))


@guarded
def history(
    ctx: typer.Context,
    milestone_id: Annotated[
        str | None, typer.Argument(metavar="[ID]", help="Only this milestone.", autocompletion=milestone_ids)
    ] = None,
    since: Since = None,
    as_json: Json = False,
) -> None:
    """Status changes, corrections and undos, newest first.

    Example: monitor history --since 2026-01-01
    """
    from .. import tracking
    from ..wording import plural
    from .layouts import history_layout
    from .output import console, emit_json, parse_date
    from .tables import fitted

    day = parse_date(since, "--since")
    rows = with_app(ctx, lambda app: tracking.history(app, milestone_id, day))
    if as_json:
        emit_json(rows)
        return
    out = console()
    kinds = "changes" if all(r.kind == "change" for r in rows) else "history rows"
    out.print(fitted(history_layout(rows), out.width, plural(len(rows), kinds[:-1], kinds)))
