"""Commands about digests: subscribers (add, list, remove, pause, resume, unsubscribe) and digest (preview, send)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from .context import guarded, stop_on_sigterm, with_app
from .options import Agreements, Countries, Frequency, Json, Milestones

if TYPE_CHECKING:
    from ..digest.run import DeliveryResult

subscribers_app = typer.Typer(
    help="Digest subscribers: who gets which digest.\n\nExample: monitor subscribers add ana@example.org --country JP",
    no_args_is_help=True,
)

Email = Annotated[str, typer.Argument(metavar="EMAIL", help="The subscriber's e-mail address.")]


def register(app: typer.Typer) -> None:
    app.add_typer(subscribers_app, name="subscribers")
    app.command("digest")(digest)


def _split(values: list[str] | None) -> tuple[str, ...]:
    """Repeated options and a,b lists, as one tuple of values (read as every listing reads them)."""
    from ..choices import many

    return tuple(many(values))


@subscribers_app.command("add")
@guarded
def add(
    ctx: typer.Context,
    email: Email,
    name: Annotated[str | None, typer.Option("--name", help="The subscriber's name, for the greeting.")] = None,
    frequency: Frequency = "weekly",
    agreement: Agreements = None,
    country: Countries = None,
    milestone: Milestones = None,
) -> None:
    """Subscribe an address to the weekly (or daily) digest, or replace an existing subscription: the command
    states all of it (name, frequency, filters), and makes a paused or unsubscribed subscriber active again.

    Filters narrow what they receive; repeat an option for several. A milestone is in their digest when any filter
    names it, its agreement, or one of its agreement's parties; without filters, everything is.

    Example: monitor subscribers add ana@example.org --name "Ana Analyst" --country JP --milestone kr-final-text
    """
    from .. import subscribers
    from .output import console

    result = with_app(
        ctx,
        lambda app: subscribers.add(
            app,
            email,
            name=name,
            frequency=frequency,
            agreements=_split(agreement),
            countries=_split(country),
            milestones=_split(milestone),
        ),
    )
    console().print(result.message)


@subscribers_app.command("list")
@guarded
def list_(ctx: typer.Context, as_json: Json = False) -> None:
    """List subscribers: address, name, frequency, what they follow, status, last digest sent.

    Example: monitor subscribers list --json
    """
    from .. import subscribers
    from ..wording import plural
    from .output import console, emit_json, fmt, table

    rows = with_app(ctx, subscribers.listing)
    if as_json:
        emit_json(rows)
        return
    columns = ("email", "name", "frequency", "follows", "status", "last digest", "since")
    t = table(*columns, title=plural(len(rows), "subscriber"))
    for s in rows:
        follows = "everything" if s.follows_everything else ", ".join([*s.agreements, *s.countries, *s.milestones])
        t.add_row(s.email, s.name or "", s.frequency, follows, s.status, fmt(s.last_sent_at), fmt(s.created_at.date()))
    console().print(t)


@subscribers_app.command("remove")
@guarded
def remove(ctx: typer.Context, email: Email) -> None:
    """Remove a subscriber and the record of their digests.

    Example: monitor subscribers remove ana@example.org
    """
    from .. import subscribers
    from .output import console

    console().print(with_app(ctx, lambda app: subscribers.remove(app, email)).message)


@subscribers_app.command("pause")
@guarded
def pause(ctx: typer.Context, email: Email) -> None:
    """Stop sending digests to a subscriber until `resume`; what happens meanwhile is in their next digest.

    Example: monitor subscribers pause ana@example.org
    """
    from .. import subscribers
    from .output import console

    console().print(with_app(ctx, lambda app: subscribers.pause(app, email)).message)


@subscribers_app.command("resume")
@guarded
def resume(ctx: typer.Context, email: Email) -> None:
    """Send digests to a paused subscriber again (not to one who unsubscribed: `add` them again if they ask).

    Example: monitor subscribers resume ana@example.org
    """
    from .. import subscribers
    from .output import console

    console().print(with_app(ctx, lambda app: subscribers.resume(app, email)).message)


@subscribers_app.command("unsubscribe")
@guarded
def unsubscribe(
    ctx: typer.Context,
    token: Annotated[str, typer.Argument(metavar="TOKEN", help="The token from the digest's List-Unsubscribe.")],
) -> None:
    """Honour an unsubscribe request: the token comes from the digest's List-Unsubscribe header (a mail with the
    subject "unsubscribe TOKEN", or the report host's unsubscribe link). A token given before this release may
    start with "-": put "--" before it ("unsubscribe -- -q2kD...").

    Example: monitor subscribers unsubscribe 3q2-kDf8vYc1mZp0Xw7aLr4nTe9sUb6H
    """
    from .. import subscribers
    from .output import console

    console().print(with_app(ctx, lambda app: subscribers.unsubscribe(app, token)).message)


def _line(r: DeliveryResult) -> str:
    from ..wording import plural
    from .output import fmt

    window = f"{fmt(r.window_start)} – {fmt(r.window_end)} UTC" if r.window_start and r.window_end else ""
    if r.outcome == "sent":
        retry = f", attempt {r.attempt}" if r.attempt and r.attempt > 1 else ""
        what = f"{plural(r.changes, 'status change')}, {plural(r.evidence, 'piece', 'pieces')} of new evidence"
        return f"sent     {r.email}: {window}, {what}{retry}"
    if r.outcome == "empty":
        return f"empty    {r.email}: nothing new in {window}, not sent"
    return f"{r.outcome:<8} {r.email}: {r.error}"


@guarded
@stop_on_sigterm()
def digest(
    ctx: typer.Context,
    frequency: Frequency = "weekly",
    preview: Annotated[
        Path | None,
        typer.Option("--preview", metavar="DIR", help="Write <email>.eml, .html and .txt per digest; record nothing."),
    ] = None,
    send: Annotated[bool, typer.Option("--send", help="Send every due digest and record the deliveries.")] = False,
    to: Annotated[
        str | None,
        typer.Option("--to", metavar="EMAIL", help="Only one test digest, to this address; recorded nowhere."),
    ] = None,
    as_json: Json = False,
) -> None:
    """Build the digests of every due subscriber of a frequency: preview them as files, or send them.

    --send prints one line per subscriber: sent, empty (nothing new: not sent unless digest.send_empty), failed
    (why; retried by the next run with the same window, extended to now) or skipped (not due). Exit status 1
    when a delivery failed. --to sends one test digest (the last 7 days, or 1 day for daily) to that address.

    Example: monitor digest --frequency weekly --preview digest-preview/
    """
    from .. import digest as digests
    from ..errors import InputError
    from .output import console, emit_json

    if (preview is None) == (not send):
        raise InputError("give --preview DIR or --send (one of them)")
    out = console()
    if preview is not None:
        previews = with_app(ctx, lambda app: digests.preview_digests(app, frequency, preview, to=to))
        if as_json:
            emit_json(previews)
            return
        for p in previews.previews:
            if p.outcome == "skipped":
                out.print(f"skipped {p.email}: {p.reason}")
            else:
                note = " (empty: --send would not send it)" if not p.would_send else " (empty)" if p.empty else ""
                out.print(f"wrote {p.eml}, .html, .txt{note}")
        if not previews.previews:
            out.print(f"no active {frequency} subscribers: nothing to preview (try --to EMAIL)")
        return
    report = with_app(ctx, lambda app: digests.send_digests(app, frequency, to=to))
    if as_json:
        emit_json(report)
    else:
        for r in report.results:
            out.print(_line(r))
        if not report.results:
            out.print(f"no active {frequency} subscribers")
        elif not report.test:
            from ..wording import plural

            out.print(
                f"{plural(len(report.results), 'subscriber')}: {report.sent} sent, {report.empty} empty, "
                f"{report.failed} failed, {report.skipped} skipped"
            )
    if report.failed:
        raise typer.Exit(1)
