"""`monitor run`: the scheduler daemon, and `monitor run --status`."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated

import typer

from .context import fail, guarded, open_from, with_app
from .options import Json

if TYPE_CHECKING:
    from ..daemon.events import Event
    from ..daemon.status import DaemonStatus

MAX_DETAILS = 5  # failures named in a job's log line; more are counted


def register(app: typer.Typer) -> None:
    app.command("run")(run)


@guarded
def run(
    ctx: typer.Context,
    status: Annotated[
        bool,
        typer.Option(
            "--status",
            help="Do not start a daemon: say whether one holds the database, when each job last ran and how it "
            "ended, and when each runs next.",
        ),
    ] = False,
    as_json: Json = False,
) -> None:
    """Run the scheduler: poll on schedule.poll, send digests on schedule.weekly_digest and
    schedule.daily_digest (crontab, in `timezone`), and rewrite the report after each poll when report.out is
    set. Polls at once when the last poll is older than one poll period. One line per job run on stderr.

    One daemon per database: a second one exits 1 naming the first. SIGTERM or Ctrl-C stops it (exit 0), the
    running job interrupted cleanly; SIGHUP re-reads the config (an invalid one is refused and the old one
    kept). --json goes with --status.

    Example: monitor --home /var/lib/monitor run --status
    """
    if as_json and not status:
        raise fail("--json goes with --status (the daemon itself logs lines to stderr)", 2)
    if status:
        from ..daemon.status import daemon_status
        from .output import emit_json

        report = with_app(ctx, daemon_status)
        if as_json:
            emit_json(report)
        else:
            show_status(report)
        return
    from ..daemon.run import Daemon

    app = open_from(ctx)
    try:
        Daemon(app, log).run()
    finally:
        app.close()


# ---------------------------------------------------------------- the daemon's log lines


def log(event: Event) -> None:
    """One event as log lines on stderr, stamped with the system's time (UTC), control characters visible."""
    from ..clock import SystemClock

    stamp = SystemClock().now().strftime("%Y-%m-%dT%H:%M:%SZ")
    try:
        for line in describe(event):
            sys.stderr.write((line if line.startswith(" ") else f"{stamp} {line}").rstrip() + "\n")
        sys.stderr.flush()
    except (OSError, ValueError):  # stderr closed or gone (a terminal that went away): the daemon goes on
        pass


def describe(event: Event) -> list[str]:
    """The log lines of one event, control characters made visible; a traceback's lines are indented (`log`
    stamps the others)."""
    from .safe import visible

    return [visible(line) if not line.startswith(" ") else "    " + visible(line.strip()) for line in _lines(event)]


def _lines(event: Event) -> list[str]:
    from ..daemon.events import JobEnded, Notice, Reloaded, Started, Stopped
    from ..wording import plural

    if isinstance(event, Started):
        plan = "; ".join(
            f"{p.job} {p.schedule!r} next {_when(p.next_run, event.timezone)}" for p in event.jobs
        )
        lines = [
            f"monitor run: started, pid {event.pid} on {event.host}, database {event.database} ({event.lock}), "
            f"timezone {event.timezone}; {plan}",
            "monitor run: " + ("polling now: " if event.catch_up.due else "no poll at start: ") + event.catch_up.why,
        ]
        for d in event.abandoned:
            lines.append(
                f"monitor run: an earlier daemon, pid {d.pid} on {d.host} since {_when(d.started_at, 'UTC')}, had "
                "ended without stopping: marked abandoned"
            )
        return lines
    if isinstance(event, JobEnded):
        line = f"{event.job} {event.state.replace('_', ' ')} in {event.seconds:.1f} s"
        if event.summary:
            line += f": {event.summary}"
        if event.failures:
            named = "; ".join(event.details[:MAX_DETAILS])
            more = len(event.details) - MAX_DETAILS
            line += f"; {plural(event.failures, 'failure')}" + (f": {named}" if named else "")
            line += f" (and {more} more)" if more > 0 else ""
        if event.error:
            line += f"; {event.error}"
        tb = event.traceback.rstrip("\n").splitlines() if event.traceback else []
        return [line, *(" " + t for t in tb if t.strip())]
    if isinstance(event, Reloaded):
        return [f"monitor run: {event.message}"]
    if isinstance(event, Notice):
        return [f"monitor run: {event.message}"]
    if isinstance(event, Stopped):
        return [f"monitor run: stopped ({event.why})"]
    raise TypeError(f"unknown daemon event {event!r}")


def _when(at: object, timezone: str) -> str:
    import datetime as dt

    from ..schedule import local

    if not isinstance(at, dt.datetime):
        return "never"
    return local(at, timezone).strftime("%Y-%m-%d %H:%M %Z")


# ---------------------------------------------------------------- --status


def show_status(report: DaemonStatus) -> None:
    from .output import console, table

    out = console()
    d = report.daemon
    if report.running and d is not None:
        out.print(f"daemon: running, pid {d.pid} on {d.host} since {_when(d.started_at, report.timezone)}")
    elif report.running:
        out.print("daemon: running (starting: it has not recorded itself yet)")
    elif d is not None and d.state == "running":
        out.print(f"daemon: not running; the last one, pid {d.pid} on {d.host}, ended without stopping")
    elif d is not None:
        out.print(f"daemon: not running; the last one stopped {_when(d.stopped_at, report.timezone)} ({d.state})")
    else:
        out.print("daemon: not running; none has run on this database")
    out.print(f"database {report.database}, {report.lock}; times in {report.timezone}")
    out.print(f"last completed poll (by anyone): {_when(report.last_completed_poll, report.timezone)}")
    t = table("job", "schedule", "last run", "took", "ended", "next run", title="jobs")
    for j in report.jobs:
        last = j.last
        took = ""
        ended = ""
        if last is not None:
            if last.finished_at is not None:
                took = f"{(last.finished_at - last.started_at).total_seconds():.1f} s"
            ended = last.state.replace("_", " ") + (f": {last.summary}" if last.summary else "")
            ended += f"; {last.error}" if last.error else ""
        nxt = _when(j.next_run, report.timezone) if j.next_run else j.schedule if j.job == "report" else "never"
        if j.next_run and not report.running:
            nxt += " (once a daemon runs)"
        t.add_row(j.job, j.schedule, _when(last.started_at, report.timezone) if last else "never", took, ended, nxt)
    out.print(t)
