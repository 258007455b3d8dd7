"""The `monitor` command line: parses arguments, calls one library function, prints the result.

Building the app imports typer and nothing of the library: each command imports what it needs when it runs, so
`monitor --version` and `--help` start at once (tests/test_startup.py)."""

from __future__ import annotations

import gc
from typing import Annotated

import typer

from .. import __version__
from . import admin, daemon, evidence, milestones, options, sources
from .context import State, starting_up

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
daemon.register(app)


def main() -> None:
    """The console script: the collector is paused while the command starts (context.starting_up) and, at exit,
    everything is frozen so that interpreter shutdown does not scan it all one last time (gc.freeze: exit still
    runs atexit handlers and flushes output as usual)."""
    starting_up()
    try:
        app()
    finally:
        gc.freeze()
