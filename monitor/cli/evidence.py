"""Commands about evidence: matches, review, rematch."""

from __future__ import annotations

from typing import Annotated, Literal, cast

import typer

from .context import default_user, guarded, with_app
from .options import MATCH_STATES, SIGNALS, By, Force, Json, Milestones, Note, Since, words


def register(app: typer.Typer) -> None:
    app.command("matches")(matches)
    app.command("review")(review)
    app.command("rematch")(rematch)


@guarded
def matches(
    ctx: typer.Context,
    milestone: Milestones = None,
    state: Annotated[
        list[str] | None,
        typer.Option(
            "--state", help="new | confirmed | dismissed (repeatable: any of them)", autocompletion=words(*MATCH_STATES)
        ),
    ] = None,
    signal: Annotated[
        list[str] | None,
        typer.Option(
            "--signal",
            help="completion | progress | delay | none (repeatable: any of them)",
            autocompletion=words(*SIGNALS),
        ),
    ] = None,
    since: Since = None,
    as_json: Json = False,
) -> None:
    """Evidence found for milestones, newest first. Different filters must all hold; a filter given several times
    matches any of its values. With --json, each match also says which terms matched where (title or text,
    offsets) and why its signal ("explanation").

    Example: monitor matches --state new --signal completion --signal delay
    """
    from .. import evidence
    from ..wording import plural
    from .layouts import match_layout
    from .output import console, emit_json, parse_date
    from .tables import fitted

    day = parse_date(since, "--since")
    rows = with_app(ctx, lambda app: evidence.list_matches(app, milestone, state, signal, day, explain=as_json))
    if as_json:
        emit_json(rows)
        return
    out = console()
    out.print(fitted(match_layout(rows), out.width, plural(len(rows), "match", "matches")))


@guarded
def review(
    ctx: typer.Context,
    match_ids: Annotated[list[str], typer.Argument(metavar="MATCH_ID", help="One or more match ids.")],
    verdict: Annotated[str, typer.Argument(metavar="confirm|dismiss", help="The verdict, for all of them.")],
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
    """Judge evidence: one match, or several at once (`review 3 5 8 dismiss`). Nothing is written unless
    everything is valid: one unknown id, or a refused --complete, leaves every match unreviewed. An item link that
    is not http(s) is not kept as the evidence URL (the history row still records the match).

    Example: monitor review 42 43 confirm --note "MOFCOM announcement No. 70"
    """
    from .. import review as reviewing
    from .output import console, fmt

    numbers = [reviewing.parse_match_id(i) for i in match_ids]
    results = with_app(
        ctx,
        lambda app: reviewing.review_many(
            app,
            numbers,
            cast(Literal["confirm", "dismiss"], verdict),  # the library refuses any other word
            complete=complete,
            note=note,
            by=default_user() if by is None else by,
            force=force,
        ),
    )
    out = console()
    for result in results:
        out.print(result.message)
        if result.status is not None:
            out.print(result.status.message)
            for dep in result.status.dependants:
                out.print(f"  {dep.id}: due {fmt(dep.due)} ({dep.deadline_state})")


@guarded
def rematch(
    ctx: typer.Context,
    milestone: Milestones = None,
    as_json: Json = False,
) -> None:
    """Match every stored item again after rules changed; reviewed evidence is never touched.

    Example: monitor rematch --milestone jp-minerals-ministerial
    """
    from .. import evidence
    from ..wording import plural
    from .output import console, emit_json

    report = with_app(ctx, lambda app: evidence.rematch(app, milestone))
    if as_json:
        emit_json(report)
        return
    console().print(
        f"{plural(report.items, 'item')} matched again against {plural(len(report.milestones), 'milestone')}: "
        f"{plural(report.added, 'new match', 'new matches')}, {report.removed} removed"
    )
