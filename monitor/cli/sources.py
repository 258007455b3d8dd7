"""Commands about sources: poll, feeds (health; add, disable, enable, test), items."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from .context import guarded, home_option, open_from, stop_on_sigterm, with_app
from .options import Feeds, FeedType, Json, Since

if TYPE_CHECKING:
    from collections.abc import Sequence

    from rich.console import Console

    from ..early import Early
    from ..poll import PollReport
    from .fit import Cell

OUTCOME_STYLE = {"new": "green", "unchanged": "", "empty": "yellow", "not_modified": "dim", "error": "bold red"}
CHANGED = ("new", "error")  # the outcomes `poll` lists without --all (and any feed with a warning)
MAX_ROWS = 20  # without --all, at most this many rows: every failure, then feeds with new items

feeds_app = typer.Typer(
    name="feeds",
    help="Feed health, failing feeds first; subcommands add, disable, enable and test sources.\n\n"
    "Example: monitor feeds --json",
    invoke_without_command=True,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def register(app: typer.Typer) -> None:
    app.command("poll")(poll)
    app.add_typer(feeds_app)
    app.command("items")(items)


@guarded
@stop_on_sigterm()
def poll(
    ctx: typer.Context,
    feed: Feeds = None,
    show_all: Annotated[
        bool, typer.Option("--all", help="A row for every feed polled, not only those that changed or failed.")
    ] = False,
    fail_on_error: Annotated[
        bool, typer.Option("--fail-on-error", help="Exit 1 when any source failed (for cron: mail on failure).")
    ] = False,
    as_json: Json = False,
) -> None:
    """Run one poll cycle: fetch due feeds, parse, store, match; a summary line and the feeds that changed or
    failed (--all: every feed).

    Outcomes: new (new or changed items), unchanged (same content), empty, not_modified (HTTP 304), error.
    A cycle that ran exits 0 even when some sources failed, unless --fail-on-error.

    Example: monitor poll --feed wh-presidential-actions --fail-on-error
    """
    from ..clock import clock_from_env
    from ..early import start
    from .context import take_early

    early = take_early(home_option(ctx), feed or ())  # main() started them before typer parsed the arguments
    if early is None:
        early = start(home_option(ctx), feed or (), clock_from_env())  # requests out while the rest loads
    try:
        report = _poll(ctx, feed or (), as_json, early)
    finally:
        if early is not None:
            early.close()
    from .output import console, emit_json

    if as_json:
        emit_json(report)
    else:
        print_poll(report, show_all, console())
    if fail_on_error and report.errors:
        raise typer.Exit(1)


def _poll(ctx: typer.Context, feed: Sequence[str], as_json: bool, early: Early | None) -> PollReport:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from .. import poll as poll_mod
    from .output import console

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
                return poll_mod.poll(
                    app,
                    feed,
                    on_feed=lambda _o: bar.advance(task),
                    on_plan=lambda n: bar.update(task, total=n),
                    early=early,
                )
        return poll_mod.poll(app, feed, early=early)
    finally:
        app.close()


def poll_summary(report: PollReport) -> str:
    """One line: what the cycle found, in words that agree with their counts."""
    from ..wording import plural

    line = (
        f"{plural(len(report.feeds), 'feed')} polled, {report.errors} failed: {plural(report.new_items, 'new item')}, "
        f"{report.updated_items} updated, {plural(report.new_matches, 'new match', 'new matches')}"
    )
    if report.deferred:
        line += f"; {len(report.deferred)} deferred (Retry-After)"
    return line


def print_poll(report: PollReport, show_all: bool, out: Console) -> None:
    from rich.text import Text

    from .fit import Col, fitted
    from .output import fmt

    shown = [o for o in report.feeds if show_all or o.outcome in CHANGED or o.warnings]
    more = 0
    if not show_all and len(shown) > MAX_ROWS:  # a first poll: every feed is new, the summary says it all
        failed = [o for o in shown if o.outcome == "error" or o.warnings]
        changed = [o for o in shown if o not in failed]
        keep = changed[: max(0, MAX_ROWS - len(failed))]
        more = len(changed) - len(keep)
        shown = [o for o in shown if o in failed or o in keep]
    if shown:
        rows: list[list[Cell]] = [
            [
                o.id,
                Text(o.outcome, style=OUTCOME_STYLE[o.outcome]),
                str(o.new),
                str(o.updated),
                str(o.items),
                fmt(o.status),
                (o.error or "")
                + (f" (next check after {fmt(o.retry_after)})" if o.retry_after else "")
                + "".join(f" (warning: {w})" for w in o.warnings),
            ]
            for o in shown
        ]
        cols = [
            Col("feed"),
            Col("outcome"),
            Col("new", "num"),
            Col("upd", "num"),
            Col("items", "num", hide_below=100),
            Col("HTTP", "num", hide_below=100),
            Col("error", "text"),
        ]
        out.print(fitted(cols, rows, out.width))
    for d in report.deferred:
        out.print(f"{d.id}: not asked before {fmt(d.until)} UTC (the server sent Retry-After)")
    out.print(poll_summary(report))
    hidden = len(report.feeds) - len(shown) - more
    notes = [f"{more} more with new items" if more else "", f"{hidden} unchanged" if hidden and shown else ""]
    if any(notes):
        out.print(f"({' and '.join(n for n in notes if n)} not shown: --all lists every feed)")


@feeds_app.callback()
@guarded
def feeds(ctx: typer.Context, as_json: Json = False) -> None:
    """Feed health, failing feeds first; subcommands add, disable, enable and test sources.

    Example: monitor feeds --json
    """
    if ctx.invoked_subcommand is not None:
        return
    from rich.text import Text

    from ..storage import feeds as feed_store
    from ..views import FAILING_AFTER
    from .fit import Col, fitted
    from .output import console, emit_json, fmt

    rows = with_app(ctx, lambda app: feed_store.health(app.db))
    if as_json:
        emit_json(rows)
        return
    out = console()
    cells: list[list[Cell]] = []
    for r in rows:
        style = "bold red" if r.consecutive_failures >= FAILING_AFTER else "red" if r.consecutive_failures else ""
        cells.append(
            [
                r.id,
                "" if r.enabled else "off",
                r.type,
                fmt(r.last_checked),
                fmt(r.last_success),
                fmt(r.last_status),
                Text(str(r.consecutive_failures), style=style),
                str(r.items),
                r.last_error or "",
            ]
        )
    disabled = sum(1 for r in rows if not r.enabled)
    cols = [
        Col("id"),
        Col("on", hide_below=0 if disabled else 10**9, keep=False),
        Col("type", hide_below=100, keep=False),
        Col("last checked"),
        Col("last success", hide_below=100, keep=False),
        Col("HTTP", "num", hide_below=120, keep=False),
        Col("fails", "num"),
        Col("items", "num", hide_below=1, keep=False),
        Col("last error", "text"),
    ]
    from ..wording import plural

    title = plural(len(rows), "feed") + (f" ({disabled} disabled)" if disabled else "")
    out.print(fitted(cols, cells, out.width, title=title))


@feeds_app.command("add")
@guarded
def feeds_add(
    ctx: typer.Context,
    url: Annotated[str, typer.Argument(metavar="URL", help="The feed's URL (or a file inside the home).")],
    feed_id: Annotated[
        str | None, typer.Option("--id", help="Its id, [a-z0-9-]+ (default: made from the URL's host and path).")
    ] = None,
    feed_type: FeedType = None,
    tier: Annotated[str | None, typer.Option("--tier", help="official | news (default: news).")] = None,
    country: Annotated[
        list[str] | None, typer.Option("--country", help="A two-letter country code it covers (repeatable).")
    ] = None,
    title: Annotated[str | None, typer.Option("--title", help="What to call it (default: its id).")] = None,
) -> None:
    """Add a source to the home's config/feeds.yaml, keeping the file's comments and order; the entry is validated
    like the rest of the config first, and a refused one leaves the file as it was.

    Example: monitor feeds add https://www.meti.go.jp/ml_index_en_atom.xml --tier official --country JP
    """
    from ..feeds_file import add_feed
    from .output import console

    added = add_feed(
        home_option(ctx),
        url,
        feed_id=feed_id,
        feed_type=feed_type,
        tier=tier,
        countries=country or (),
        title=title,
    )
    console().print(
        f"added feed {added.id} ({added.type}) to config/feeds.yaml: try it with `monitor feeds test {added.id}`"
    )


def _set_enabled(ctx: typer.Context, feed_id: str, enabled: bool) -> None:
    from ..feeds_file import set_enabled
    from .output import console

    change = set_enabled(home_option(ctx), feed_id, enabled)
    state = "enabled" if enabled else "disabled"
    if change.changed:
        console().print(f"feed {feed_id} {state} in config/feeds.yaml")
    else:
        console().print(f"feed {feed_id} is already {state}: nothing changed")


@feeds_app.command("disable")
@guarded
def feeds_disable(ctx: typer.Context, feed_id: Annotated[str, typer.Argument(metavar="ID")]) -> None:
    """Stop polling a feed (`enabled: false` in config/feeds.yaml); its items and health are kept.

    Example: monitor feeds disable miti-media
    """
    _set_enabled(ctx, feed_id, False)


@feeds_app.command("enable")
@guarded
def feeds_enable(ctx: typer.Context, feed_id: Annotated[str, typer.Argument(metavar="ID")]) -> None:
    """Poll a disabled feed again (`enabled: true` in config/feeds.yaml).

    Example: monitor feeds enable miti-media
    """
    _set_enabled(ctx, feed_id, True)


@feeds_app.command("test")
@guarded
def feeds_test(
    ctx: typer.Context,
    source: Annotated[str, typer.Argument(metavar="URL-OR-ID", help="A configured feed id, or a URL to try.")],
    feed_type: FeedType = None,
    as_json: Json = False,
) -> None:
    """Fetch a source once and show what a poll would store (title, date, link) and what each item would match
    (milestone, signal); stores nothing. Exits 1 when the source cannot be fetched or read.

    Example: monitor feeds test wh-fact-sheets
    """
    from rich.text import Text

    from ..preview import preview_feed
    from .fit import Col, fitted
    from .output import console, emit_json, fmt

    app = open_from(ctx, sync=False)
    try:
        result = preview_feed(app, source, feed_type)
    finally:
        app.close()
    if as_json:
        emit_json(result)
    else:
        out = console()
        head = f"{result.feed}: {result.url}" + ("" if result.configured else " (not configured)")
        if result.error:
            out.print(f"{head}\nerror: {result.error}")
        else:
            from ..wording import plural

            rows: list[list[Cell]] = [
                [
                    fmt(i.published.date()),
                    Text(i.state, style="green" if i.state == "new" else ""),
                    i.title,
                    ", ".join(f"{m.milestone} ({m.signal})" for m in i.matches),
                    i.link or "",
                ]
                for i in result.items
            ]
            cols = [
                Col("date"),
                Col("poll", hide_below=100),
                Col("title", "text"),
                Col("would match", "text"),
                Col("link", "text", hide_below=120),
            ]
            new = sum(1 for i in result.items if i.state != "stored")
            matched = sum(1 for i in result.items if i.matches)
            out.print(fitted(cols, rows, out.width, title=head))
            out.print(
                f"{plural(len(result.items), 'item')} ({new} to store), {matched} matching a milestone; "
                "nothing was stored"
            )
        for w in result.warnings:
            out.print(f"warning: {w}")
    if result.error:
        raise typer.Exit(1)


@guarded
def items(
    ctx: typer.Context,
    feed: Feeds = None,
    search: Annotated[
        str | None, typer.Option("--search", help="Only items whose title or text contains this (any case).")
    ] = None,
    since: Since = None,
    limit: Annotated[int, typer.Option("--limit", help="At most this many, newest first (0: all).")] = 50,
    as_json: Json = False,
) -> None:
    """Browse stored items, matched or not, newest first, with the milestones each one matched.

    Example: monitor items --feed meti-en --feed fr-ustr --search "critical minerals" --since 2025-11-01
    """
    from ..browse import list_items
    from .fit import Col, fitted
    from .output import console, emit_json, fmt, parse_date

    day = parse_date(since, "--since")
    rows = with_app(ctx, lambda app: list_items(app, feed or (), search, day, limit))
    if as_json:
        emit_json(rows)
        return
    out = console()
    cells = [[fmt(r.published.date()), r.feed, r.title, ", ".join(r.milestones), r.link or ""] for r in rows]
    cols = [
        Col("date"),
        Col("feed"),
        Col("title", "text"),
        Col("matched", "text"),
        Col("link", "text", hide_below=120),
    ]
    from ..wording import plural

    more = f" (the newest {limit}: --limit 0 for all)" if limit and len(rows) == limit else ""
    out.print(fitted(cols, cells, out.width, title=plural(len(rows), "item") + more))
