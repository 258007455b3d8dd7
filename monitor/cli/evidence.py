"""Commands about evidence: matches, review, rematch."""

from __future__ import annotations

from typing import Annotated, Literal, cast

import typer

from .context import default_user, guarded, with_app
from .options import By, Force, Json, Milestone, Note, Since

SIGNAL_STYLE = {"completion": "green", "delay": "red", "progress": "yellow", "none": "dim"}


def register(app: typer.Typer) -> None:
    app.command("matches")(matches)
    app.command("review")(review)
    app.command("rematch")(rematch)


@guarded
def matches(
    ctx: typer.Context,
    milestone: Milestone = None,
    state: Annotated[str | None, typer.Option("--state", help="new | confirmed | dismissed")] = None,
    signal: Annotated[str | None, typer.Option("--signal", help="completion | progress | delay | none")] = None,
    since: Since = None,
    as_json: Json = False,
) -> None:
    """Evidence found for milestones, newest first. With --json, each match also says which terms matched
    where (title or text, offsets) and why its signal ("explanation").

    Example: monitor matches --state new --signal completion
    """
    from rich.text import Text

    from .. import evidence
    from .output import console, emit_json, fmt, parse_date, table

    day = parse_date(since, "--since")
    rows = with_app(ctx, lambda app: evidence.list_matches(app, milestone, state, signal, day, explain=as_json))
    if as_json:
        emit_json(rows)
        return
    t = table(
        "id", "milestone", "published", "signal", "state", "score", "title", "sources", title=f"{len(rows)} matches"
    )
    for r in rows:
        t.add_row(
            str(r.id),
            r.milestone,
            fmt(r.published),
            Text(r.signal, style=SIGNAL_STYLE[r.signal]),
            r.state,
            f"{r.score:g}",
            r.item_title,
            ", ".join(dict.fromkeys(s.feed for s in r.sources)),
        )
    console().print(t)


@guarded
def review(
    ctx: typer.Context,
    match_id: Annotated[str, typer.Argument(metavar="MATCH_ID")],
    verdict: Annotated[str, typer.Argument(metavar="confirm|dismiss")],
    complete: Annotated[
        bool,
        typer.Option(
            "--complete",
            help="With confirm: mark the milestone complete, dated by the item, with its link as evidence.",
        ),
    ] = False,
    note: Note = None,
    by: By = None,
    force: Force = False,
) -> None:
    """Judge a piece of evidence. Nothing is written unless everything is valid: a refused --complete leaves
    the match unreviewed. An item link that is not http(s) is not kept as the evidence URL (the history row
    still records the match).

    Example: monitor review 42 confirm --complete --note "MOFCOM announcement No. 70"
    """
    from .. import review as reviewing
    from .output import console, fmt

    number = reviewing.parse_match_id(match_id)
    result = with_app(
        ctx,
        lambda app: reviewing.review(
            app,
            number,
            cast(Literal["confirm", "dismiss"], verdict),  # the library refuses any other word
            complete=complete,
            note=note,
            by=default_user() if by is None else by,
            force=force,
        ),
    )
    out = console()
    out.print(result.message)
    if result.status is not None:
        out.print(result.status.message)
        for dep in result.status.dependants:
            out.print(f"  {dep.id}: due {fmt(dep.due)} ({dep.deadline_state})")


@guarded
def rematch(
    ctx: typer.Context,
    milestone: Milestone = None,
    as_json: Json = False,
) -> None:
    """Match every stored item again after rules changed; reviewed evidence is never touched.

    Example: monitor rematch --milestone jp-minerals-ministerial
    """
    from .. import evidence
    from .output import console, emit_json

    report = with_app(ctx, lambda app: evidence.rematch(app, milestone))
    if as_json:
        emit_json(report)
        return
    console().print(
        f"{report.items} items matched again against {len(report.milestones)} milestones: "
        f"{report.added} new matches, {report.removed} removed"
    )
