"""The `monitor` command line: parses arguments, calls one library function, prints the result.

Building the app imports typer and nothing of the library: each command imports what it needs when it runs, so
`monitor --version` and `--help` start at once (tests/test_startup.py)."""

from __future__ import annotations

import copy
import gc
import sys
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from .. import __version__
from . import admin, daemon, demo, digest, evidence, milestones, options, overview, report, sources
from .context import State, close_early, start_early, starting_up


class HomeAnywhere(TyperGroup):
    """The root group, which lends its global `--home` to every command below it, so that `monitor milestones
    --home h` works as `monitor --home h milestones` does (given twice, the later one wins). The copy takes no
    argument of the command's function: it only records the path where `--home` before the command would."""

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        home = next(p for p in self.params if p.name == "home")
        lent = copy.copy(home)
        lent.expose_value = False
        lent.callback = _remember_home
        _lend(self, lent)


NOT_LENT = ("init", "demo")  # they make their own home (init PATH) or a temporary one: no --home to take


def _lend(group: Any, option: Any) -> None:
    for name, command in getattr(group, "commands", {}).items():
        if name in NOT_LENT:
            continue
        if not any(p.name == option.name for p in command.params):
            command.params.append(option)
        _lend(command, option)


def _remember_home(ctx: Any, _param: Any, value: Any) -> Any:
    if value is not None:
        root = ctx.find_root()
        if root.obj is None:
            root.obj = State()
        root.obj.home = str(value)
    return value


app = typer.Typer(
    name="monitor",
    cls=HomeAnywhere,
    help="Track the implementation of international agreements: milestones, deadlines, evidence. Run alone in a "
    "home, it prints the overview (monitor summary).\n\n"
    "Example: monitor --home ~/monitor-home milestones --deadline overdue",
    invoke_without_command=True,
    add_completion=True,
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
    if ctx.invoked_subcommand is None:
        overview.alone(ctx)


admin.register(app)
milestones.register(app)
sources.register(app)
evidence.register(app)
demo.register(app)
report.register(app)
overview.register(app)
digest.register(app)
daemon.register(app)


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
