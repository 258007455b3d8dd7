"""Commands that manage a home: init, check, db upgrade."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from .context import guarded, home_option

db_app = typer.Typer(help="Database maintenance.\n\nExample: monitor db upgrade", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.command("init")(init)
    app.command("check")(check_cmd)
    app.add_typer(db_app, name="db")


@guarded
def init(
    ctx: typer.Context,
    path: Annotated[Path | None, typer.Argument(help="Where to create the home (default: the home).")] = None,
) -> None:
    """Create a home: the shipped config files and an empty, migrated database. Never overwrites a file.

    Example: monitor init ~/monitor-home
    """
    from ..clock import clock_from_env
    from ..setup import init_home
    from .output import console

    report = init_home(path if path is not None else home_option(ctx), clock_from_env())
    out = console()
    for name in report.created:
        out.print(f"created {name}")
    for name in report.kept:
        out.print(f"kept existing {name}")
    out.print(f"database {report.database} is ready")
    out.print(f"home ready at {report.home}; next: monitor --home {report.home} milestones")


@guarded
def check_cmd(
    ctx: typer.Context,
    smtp: Annotated[
        bool, typer.Option("--smtp", help="Also connect to the SMTP server and log in, sending nothing.")
    ] = False,
) -> None:
    """Validate config, templates and the database (and, with subscribers, the SMTP settings and the password
    variable); print `ok` or every problem found.

    Example: monitor --home ~/monitor-home check --smtp
    """
    from ..checks import check
    from ..home import find
    from .safe import visible

    report = check(find(home_option(ctx)), try_smtp=smtp)
    for line in report.notes:
        typer.echo(visible(line))
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
    from ..clock import clock_from_env
    from ..setup import upgrade_home
    from .safe import visible

    done = upgrade_home(home_option(ctx), clock_from_env())
    if done.changed:
        typer.echo(visible(f"database {done.database} upgraded from {done.before or 'empty'} to {done.after}"))
    else:
        typer.echo(visible(f"database {done.database} is already at revision {done.after}"))
