"""`monitor run --status`: whether a daemon holds the database, when each job last ran and how it ended, and
when each runs next. Reads only: the lock is tested, never taken."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from .. import schedule
from ..app import App
from ..storage import jobs as job_store
from ..storage import locks
from ..storage.jobs import DaemonInfo, JobRunInfo

AFTER_POLL = "after each poll"


@dataclass(frozen=True)
class JobStatus:
    job: str
    schedule: str  # a crontab expression, "after each poll" (report), or "off"
    last: JobRunInfo | None
    next_run: dt.datetime | None  # by the current config, from now


@dataclass(frozen=True)
class DaemonStatus:
    running: bool  # some process holds the daemon lock
    daemon: DaemonInfo | None  # the holder when running, else the last daemon that ran
    lock: str
    database: str
    timezone: str
    last_completed_poll: dt.datetime | None  # when it started, whoever ran it (daemon, cron, by hand)
    jobs: tuple[JobStatus, ...]


def daemon_status(app: App) -> DaemonStatus:
    db, settings, now = app.db, app.settings, app.now()
    running = locks.taken(db)
    holder = job_store.running_daemon(db) if running else None
    last = job_store.last_job_runs(db)
    tz = settings.timezone
    rows = [
        JobStatus(name, getattr(settings.schedule, name), last.get(name), schedule.next_run(
            getattr(settings.schedule, name), tz, now))
        for name in schedule.JOBS
    ]
    reporting = app.report_dir() is not None
    if reporting or "report" in last:
        rows.append(JobStatus("report", AFTER_POLL if reporting else "off", last.get("report"), None))
    return DaemonStatus(
        running,
        holder if running else job_store.last_daemon(db),
        locks.describe(db),
        db.safe_url,
        tz,
        job_store.last_completed_poll(db),
        tuple(rows),
    )
