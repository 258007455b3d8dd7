"""Commands that publish: report (the static site), export (CSV, JSON, iCalendar)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from .context import guarded, with_app
from .options import Out

if TYPE_CHECKING:
    from ..app import App
    from ..report import ReportResult

Format = Annotated[str, typer.Option("--format", help="csv | json | ics", show_default=False)]


def register(app: typer.Typer) -> None:
    app.command("report")(report)
    app.command("export")(export)


@guarded
def report(ctx: typer.Context, out: Out = None) -> None:
    """Write the static status report into a directory (--out DIR, default report.out in config/monitor.yaml):
    index.html, milestones/<id>.html, changes.xml (Atom), calendar.ics, milestones.csv and milestones.json.
    Self-contained: it works from file:// and on any static host. Files are replaced atomically.

    Example: monitor report --out /srv/www/monitor
    """
    from ..errors import InputError
    from ..report import write_report
    from ..wording import plural
    from .output import console

    def run(app: App) -> ReportResult:
        target = out if out is not None else app.report_dir()
        if target is None:
            raise InputError("no --out DIR given and report.out is not set in config/monitor.yaml")
        return write_report(app, target.expanduser())

    result = with_app(ctx, run)
    text = console()
    text.print(
        f"wrote {plural(len(result.files), 'file')} to {result.out_dir}: index.html, "
        f"{plural(result.milestones, 'milestone page')}, changes.xml ({plural(result.changes, 'change')}), "
        f"calendar.ics ({plural(result.events, 'event')}), milestones.csv, milestones.json"
    )
    for rel in result.removed:
        text.print(f"removed {rel} (no longer tracked)")


@guarded
def export(ctx: typer.Context, format_: Format, out: Out = None) -> None:
    """Export the milestones as CSV or JSON (one record per milestone: the `milestones --json` keys, the
    agreement's title, the newest evidence), or their due dates as an iCalendar file (one all-day event per due
    date, stable UIDs). Writes to --out FILE, else to stdout.

    Example: monitor export --format ics --out deadlines.ics
    """
    import sys

    from ..report import export as export_data
    from ..report import write_export

    data = with_app(ctx, lambda app: export_data(app, format_))
    if out is None:
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return
    write_export(out.expanduser(), data)
    from .safe import visible

    typer.echo(visible(f"wrote {out}"))
