"""Commands about sources: poll, feeds."""

from __future__ import annotations

from typing import Annotated

import typer

from .context import guarded, open_from, stop_on_sigterm, with_app
from .options import Json

OUTCOME_STYLE = {"new": "green", "unchanged": "", "empty": "yellow", "not_modified": "dim", "error": "bold red"}


def register(app: typer.Typer) -> None:
    app.command("poll")(poll)
    app.command("feeds")(feeds)


@guarded
@stop_on_sigterm()
def poll(
    ctx: typer.Context,
    feed: Annotated[list[str] | None, typer.Option("--feed", help="Only this feed id (repeatable).")] = None,
    as_json: Json = False,
) -> None:
    """Run one poll cycle: fetch due feeds, parse, store; per-feed outcome and totals.

    Outcomes: new (new or changed items), unchanged (same content), not_modified (HTTP 304), error.
    A cycle that ran exits 0 even when some sources failed.

    Example: monitor poll --feed wh-presidential-actions --feed fr-ustr
    """
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
    from rich.text import Text

    from .. import poll as poll_mod
    from .output import console, emit_json, fmt, table

    app = open_from(ctx)
    out = console()
    try:
        if out.is_terminal and not as_json:
            with Progress(
                TextColumn("polling"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=out,
                transient=True,
            ) as bar:
                task = bar.add_task("poll", total=None)
                report = poll_mod.poll(
                    app,
                    feed or (),
                    on_feed=lambda _o: bar.advance(task),
                    on_plan=lambda n: bar.update(task, total=n),
                )
        else:
            report = poll_mod.poll(app, feed or ())
    finally:
        app.close()
    if as_json:
        emit_json(report)
        return
    t = table("feed", "outcome", "new", "updated", "items", "status", "error", title="poll")
    for o in report.feeds:
        t.add_row(
            o.id,
            Text(o.outcome, style=OUTCOME_STYLE[o.outcome]),
            str(o.new),
            str(o.updated),
            str(o.items),
            fmt(o.status),
            (o.error or "")
            + (f" (next check after {fmt(o.retry_after)})" if o.retry_after else "")
            + "".join(f" (warning: {w})" for w in o.warnings),
        )
    out.print(t)
    for d in report.deferred:
        out.print(f"{d.id}: not asked before {fmt(d.until)} UTC (the server sent Retry-After)")
    out.print(
        f"{len(report.feeds)} feeds polled: {report.new_items} new items, {report.updated_items} updated, "
        f"{report.new_matches} new matches, {report.errors} errors"
    )


@guarded
def feeds(ctx: typer.Context, as_json: Json = False) -> None:
    """Feed health, failing feeds first.

    Example: monitor feeds --json
    """
    from rich.text import Text

    from ..storage import feeds as feed_store
    from .output import console, emit_json, fmt, table

    rows = with_app(ctx, lambda app: feed_store.health(app.db))
    if as_json:
        emit_json(rows)
        return
    t = table(
        "id",
        "type",
        "last checked",
        "last success",
        "status",
        "failures",
        "items",
        "last error",
        title=f"{len(rows)} feeds",
    )
    for r in rows:
        style = "bold red" if r.consecutive_failures >= 3 else "red" if r.consecutive_failures else ""
        t.add_row(
            r.id + ("" if r.enabled else " (disabled)"),
            r.type,
            fmt(r.last_checked),
            fmt(r.last_success),
            fmt(r.last_status),
            Text(str(r.consecutive_failures), style=style),
            str(r.items),
            r.last_error or "",
        )
    console().print(t)
