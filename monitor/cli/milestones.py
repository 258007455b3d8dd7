"""Commands about milestones: milestones, show, complete, status, history."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from .context import default_user, guarded, with_app
from .options import By, Evidence, Force, Json, MilestoneId, Note, On, Since

if TYPE_CHECKING:
    from rich.text import Text

    from ..tracking import StatusResult
    from ..views import MilestoneView


def register(app: typer.Typer) -> None:
    app.command("milestones")(milestones)
    app.command("show")(show)
    app.command("complete")(complete)
    app.command("status")(status)
    app.command("history")(history)


def _days(v: MilestoneView) -> str:
    return "" if v.days_left is None else str(v.days_left)


def _state(v: MilestoneView) -> Text:
    from rich.text import Text

    from .output import STATE_STYLE

    label = v.deadline_state + (" (soft)" if v.soft and v.deadline_state in ("overdue", "due_soon", "upcoming") else "")
    return Text(label, style=STATE_STYLE.get(v.deadline_state, ""))


@guarded
def milestones(
    ctx: typer.Context,
    agreement: Annotated[str | None, typer.Option("--agreement", help="Only this agreement id.")] = None,
    country: Annotated[str | None, typer.Option("--country", help="Only agreements with this party (e.g. JP).")] = None,
    status_: Annotated[str | None, typer.Option("--status", help="Only this status (pending, complete ...).")] = None,
    deadline: Annotated[str | None, typer.Option("--deadline", help="Only this deadline state (overdue ...).")] = None,
    as_json: Json = False,
) -> None:
    """List tracked milestones with due dates and deadline states.

    Example: monitor milestones --country JP --deadline overdue
    """
    from .. import tracking
    from .output import console, emit_json, fmt, table

    views, today = with_app(
        ctx, lambda app: (tracking.list_milestones(app, agreement, country, status_, deadline), app.today())
    )
    if as_json:
        emit_json(views)
        return
    t = table(
        "id",
        "agreement",
        "title",
        "status",
        "due",
        "deadline",
        "days left",
        "last evidence",
        title=f"{len(views)} milestones, today {today.isoformat()}",
    )
    for v in views:
        t.add_row(
            v.id,
            v.agreement,
            v.title,
            v.status,
            fmt(v.due),
            _state(v),
            _days(v),
            fmt(v.last_evidence) + (" (quiet)" if v.quiet else ""),
        )
    console().print(t)


@guarded
def show(ctx: typer.Context, milestone_id: MilestoneId, as_json: Json = False) -> None:
    """One milestone in full: definition, due rule and date, status, history, recent evidence.

    Example: monitor show jp-minerals-ministerial
    """
    from rich.text import Text

    from .. import tracking
    from .output import console, emit_json, fmt, table

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
    out.print(
        Text.assemble(
            "due         ",
            fmt(v.due),
            "  ",
            _state(v),
            f"  ({v.days_left} days left)" if v.days_left is not None else "",
        )
    )
    out.print(f"status      {v.status}" + (f" on {v.status_on}" if v.status_on else ""))
    if v.evidence_url:
        out.print(f"evidence    {v.evidence_url}")
    if d.depends_on:
        out.print(f"depends on  {d.depends_on}")
    if d.dependants:
        out.print(f"dependants  {', '.join(d.dependants)}")
    out.print(f"last evidence {fmt(v.last_evidence)}" + ("  (quiet: no new evidence for a while)" if v.quiet else ""))
    if d.history:
        h = table("on", "from", "to", "by", "note", "evidence", title="history")
        for r in d.history:
            h.add_row(fmt(r.on), r.from_status, r.to_status, r.by, r.note or "", r.evidence_url or "")
        out.print(h)
    else:
        out.print("history     none yet")
    if d.matches:
        e = table("match", "published", "signal", "state", "title", "link", title="recent evidence")
        for mt in d.matches:
            e.add_row(str(mt.id), fmt(mt.published), mt.signal, mt.state, mt.item_title, mt.item_url or "")
        out.print(e)
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
) -> None:
    """Mark a milestone complete; milestones due "after" it get their due date. The date cannot be in the future,
    nor before the agreement was signed (before 1990-01-01 when it has no signing date) without --force.

    Example: monitor complete my-notifications --on 2026-03-01 --evidence https://www.miti.gov.my/...
    """
    _change(ctx, milestone_id, "complete", on, evidence, note, by, force)


@guarded
def status(
    ctx: typer.Context,
    milestone_id: MilestoneId,
    new_status: Annotated[
        str,
        typer.Argument(metavar="STATUS", help="pending | in_progress | stalled | complete | partial | missed"),
    ],
    on: On = None,
    evidence: Evidence = None,
    note: Note = None,
    by: By = None,
    force: Force = False,
) -> None:
    """Set any status. complete, partial and missed are verdicts and carry a date (--on, default today), never
    in the future; a verdict before the agreement was signed, or any date before 1990-01-01, needs --force.

    Example: monitor status th-full-agreement stalled --note "talks paused after border clashes"
    """
    _change(ctx, milestone_id, new_status, on, evidence, note, by, force)


def _change(
    ctx: typer.Context,
    milestone_id: str,
    new_status: str,
    on: str | None,
    evidence: str | None,
    note: str | None,
    by: str | None,
    force: bool = False,
) -> None:
    """The library checks status, date, URL, note and name; only --on is turned from text into a date here."""
    from .. import tracking
    from .output import parse_date

    day = parse_date(on, "--on")
    who = default_user() if by is None else by
    result = with_app(
        ctx,
        lambda app: tracking.set_status(
            app, milestone_id, new_status, on=day, evidence_url=evidence, note=note, by=who, force=force
        ),
    )
    _report(result)


@guarded
def history(
    ctx: typer.Context,
    milestone_id: Annotated[str | None, typer.Argument(metavar="[ID]", help="Only this milestone.")] = None,
    since: Since = None,
    as_json: Json = False,
) -> None:
    """Status changes, newest first.

    Example: monitor history --since 2026-01-01
    """
    from .. import tracking
    from .output import console, emit_json, fmt, parse_date, table

    day = parse_date(since, "--since")
    rows = with_app(ctx, lambda app: tracking.history(app, milestone_id, day))
    if as_json:
        emit_json(rows)
        return
    t = table("recorded", "milestone", "from", "to", "on", "by", "note", "evidence", title=f"{len(rows)} changes")
    for r in rows:
        t.add_row(
            fmt(r.recorded_at),
            r.milestone,
            r.from_status,
            r.to_status,
            fmt(r.on),
            r.by,
            r.note or "",
            r.evidence_url or "",
        )
    console().print(t)
