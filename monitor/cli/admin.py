"""Commands that manage a home: init, check, db upgrade."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from .. import config as config_mod
from .. import home as home_mod
from ..checks import check
from ..clock import clock_from_env
from ..storage import migrate
from ..storage.engine import open_database, prepare_database
from ..storage.sync import sync
from .context import State
from .output import console, fail, guarded
from .safe import visible

db_app = typer.Typer(help="Database maintenance.\n\nExample: monitor db upgrade", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.command("init")(init)
    app.command("check")(check_cmd)
    app.add_typer(db_app, name="db")


def _home(ctx: typer.Context) -> home_mod.Home:
    state: State = ctx.find_root().obj or State()
    return home_mod.locate(state.home)


@guarded
def init(
    ctx: typer.Context,
    path: Annotated[Path | None, typer.Argument(help="Where to create the home (default: the home).")] = None,
) -> None:
    """Create a home: the shipped config files and an empty, migrated database. Never overwrites a file.

    Example: monitor init ~/monitor-home
    """
    target = path if path is not None else _home(ctx).path
    clock = clock_from_env()
    report = home_mod.create(target)
    try:
        cfg = config_mod.load(report.home)
        db = open_database(cfg.database_url)
        try:
            prepare_database(db)
            migrate.upgrade(db)
            sync(db, cfg.definitions, clock.now())
        finally:
            db.dispose()
    except BaseException:
        home_mod.undo(report)  # a home without a usable database is half made: leave nothing
        raise
    out = console()
    for name in report.created:
        out.print(f"created {name}")
    for name in report.kept:
        out.print(f"kept existing {name}")
    out.print(f"database {db.safe_url} is ready")
    out.print(f"home ready at {report.home.path}; next: monitor --home {report.home.path} milestones")


@guarded
def check_cmd(ctx: typer.Context) -> None:
    """Validate config, templates and the database; print `ok` or every problem found.

    Example: monitor --home ~/monitor-home check
    """
    home = home_mod.require(_home(ctx))
    report = check(home)
    if report.ok:
        typer.echo("ok")
        return
    for line in report.config_problems + report.operational_problems:
        typer.echo(visible(line), err=True)
    raise typer.Exit(report.exit_code)


@db_app.command("upgrade")
@guarded
def db_upgrade(ctx: typer.Context) -> None:
    """Apply database migrations (SQLite homes also migrate themselves on every command).

    Example: MONITOR_DATABASE_URL=postgresql+psycopg://user@db/monitor monitor db upgrade
    """
    home = home_mod.require(_home(ctx))
    clock = clock_from_env()
    cfg = config_mod.load(home)
    db = open_database(cfg.database_url)
    try:
        prepare_database(db)
        before, after = migrate.upgrade(db)
        sync(db, cfg.definitions, clock.now())
    finally:
        db.dispose()
    if before == after:
        typer.echo(f"database {db.safe_url} is already at revision {after}")
    else:
        typer.echo(f"database {db.safe_url} upgraded from {before or 'empty'} to {after}")


__all__ = ["register", "fail"]
