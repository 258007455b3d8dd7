"""The `monitor` command line: parses arguments, calls one library function, prints the result.

Building the app imports typer and nothing of the library: each command imports what it needs when it runs, so
`monitor --version` and `--help` start at once (tests/test_startup.py)."""

from __future__ import annotations

import gc
import sys
from typing import Annotated

import typer

from .. import __version__
from . import admin, evidence, milestones, options, sources
from .context import State, close_early, start_early, starting_up

app = typer.Typer(
    name="monitor",
    help="Track the implementation of international agreements: milestones, deadlines, evidence.\n\n"
    "Example: monitor --home ~/monitor-home milestones --deadline overdue",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"monitor {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    home: options.Home = None,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")
    ] = False,
) -> None:
    ctx.obj = State(str(home) if home else None)


admin.register(app)
milestones.register(app)
sources.register(app)
evidence.register(app)


def main() -> None:
    """The console script: the collector is paused while the command starts (context.starting_up) and, at exit,
    everything is frozen so that interpreter shutdown does not scan it all one last time (gc.freeze: exit still
    runs atexit handlers and flushes output as usual). A plain `monitor poll` starts its requests first of all
    (early_poll), before typer parses the command line."""
    starting_up()
    poll_args = early_poll(sys.argv[1:])
    if poll_args is not None:
        start_early(*poll_args)
    try:
        app()
    finally:
        close_early()
        gc.freeze()


POLL_FLAGS = ("--all", "--fail-on-error", "--json")


def early_poll(argv: list[str]) -> tuple[str | None, list[str]] | None:
    """(home, feed ids) when `argv` is `[--home PATH] poll [--feed ID]... [--all] [--fail-on-error] [--json]`, else
    None: anything else (help, a typo, another command) is left to typer alone."""
    home: str | None = None
    feeds: list[str] = []
    args = iter(argv)
    seen_poll = False
    for a in args:
        if a == "poll" and not seen_poll:
            seen_poll = True
        elif a == "--home":
            home = next(args, None)
            if home is None:
                return None
        elif a.startswith("--home="):
            home = a.removeprefix("--home=")
        elif seen_poll and a == "--feed":
            value = next(args, None)
            if value is None:
                return None
            feeds.append(value)
        elif seen_poll and a.startswith("--feed="):
            feeds.append(a.removeprefix("--feed="))
        elif seen_poll and a in POLL_FLAGS:
            continue
        else:
            return None
    return (home, feeds) if seen_poll else None
