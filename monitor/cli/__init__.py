"""The `monitor` command line: parses arguments, calls one library function, prints the result."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from .. import __version__
from . import admin, evidence, milestones, sources
from .context import State

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
    home: Annotated[
        Path | None,
        typer.Option(
            "--home",
            help="The home directory (default: $MONITOR_HOME, else the current directory).",
            show_default=False,
        ),
    ] = None,
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
    app()
