"""The daemon's record: its runs (daemon_runs: who held the database, from when) and its job runs (job_runs), and
the one fact about polls it decides on (when the last completed poll started, whoever ran it)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select, update

from .engine import Database
from .schema import DaemonRun, JobRun, PollRun

RUNNING, STOPPED, FAILED, ABANDONED = "running", "stopped", "failed", "abandoned"
COMPLETED, INTERRUPTED, TIMED_OUT = "completed", "interrupted", "timed_out"


@dataclass(frozen=True)
class DaemonInfo:
    id: int
    pid: int
    host: str
    started_at: dt.datetime
    stopped_at: dt.datetime | None
    state: str
    error: str | None


@dataclass(frozen=True)
class JobRunInfo:
    id: int
    job: str
    scheduled_for: dt.datetime | None
    started_at: dt.datetime
    finished_at: dt.datetime | None
    state: str
    summary: str
    failures: int
    error: str | None
    totals: dict[str, Any]


def _daemon(r: DaemonRun) -> DaemonInfo:
    return DaemonInfo(r.id, r.pid, r.host, r.started_at, r.stopped_at, r.state, r.error)


def _job(r: JobRun) -> JobRunInfo:
    return JobRunInfo(
        r.id, r.job, r.scheduled_for, r.started_at, r.finished_at, r.state, r.summary, r.failures, r.error,
        dict(r.totals or {}),
    )


def start_daemon(db: Database, pid: int, host: str, now: dt.datetime) -> tuple[int, list[DaemonInfo]]:
    """Record a daemon that has just taken the lock. Every other daemon still marked running cannot be (the lock
    says so): it and its unfinished job runs are marked abandoned, and returned."""
    with db.write() as s:
        stale = s.scalars(select(DaemonRun).where(DaemonRun.state == RUNNING).order_by(DaemonRun.id)).all()
        for r in stale:
            r.state, r.stopped_at = ABANDONED, now
            r.error = f"process {r.pid} on {r.host} ended without stopping"
        s.execute(
            update(JobRun)
            .where(JobRun.state == RUNNING)
            .values(state=ABANDONED, finished_at=now, error="its daemon ended without finishing it")
        )
        run = DaemonRun(pid=pid, host=host, started_at=now, state=RUNNING)
        s.add(run)
        s.flush()
        return run.id, [_daemon(r) for r in stale]


def stop_daemon(db: Database, daemon_id: int, now: dt.datetime, state: str = STOPPED, error: str | None = None) -> None:
    with db.write() as s:
        run = s.get(DaemonRun, daemon_id)
        if run is not None:
            run.state, run.stopped_at, run.error = state, now, error


def running_daemon(db: Database) -> DaemonInfo | None:
    """The latest daemon marked running (whether its process still is, only the lock can tell)."""
    with db.read() as s:
        r = s.scalars(select(DaemonRun).where(DaemonRun.state == RUNNING).order_by(DaemonRun.id.desc())).first()
        return _daemon(r) if r is not None else None


def last_daemon(db: Database) -> DaemonInfo | None:
    with db.read() as s:
        r = s.scalars(select(DaemonRun).order_by(DaemonRun.id.desc())).first()
        return _daemon(r) if r is not None else None


def start_job(
    db: Database, daemon_id: int | None, job: str, scheduled_for: dt.datetime | None, now: dt.datetime
) -> int:
    with db.write() as s:
        run = JobRun(
            daemon_run_id=daemon_id, job=job, scheduled_for=scheduled_for, started_at=now, state=RUNNING,
            summary="", failures=0, totals={},
        )
        s.add(run)
        s.flush()
        return run.id


def finish_job(
    db: Database,
    run_id: int,
    now: dt.datetime,
    state: str,
    summary: str = "",
    failures: int = 0,
    error: str | None = None,
    totals: dict[str, Any] | None = None,
) -> None:
    with db.write() as s:
        run = s.get(JobRun, run_id)
        assert run is not None
        run.finished_at, run.state, run.summary, run.failures, run.error = now, state, summary, failures, error
        run.totals = totals or {}


def last_job_runs(db: Database) -> dict[str, JobRunInfo]:
    """The latest run of each job, by job name."""
    with db.read() as s:
        latest = select(func.max(JobRun.id)).group_by(JobRun.job)
        return {r.job: _job(r) for r in s.scalars(select(JobRun).where(JobRun.id.in_(latest)))}


def job_runs(db: Database, daemon_id: int | None = None) -> list[JobRunInfo]:
    """Job runs, oldest first (of one daemon run, when given)."""
    with db.read() as s:
        q = select(JobRun).order_by(JobRun.id)
        if daemon_id is not None:
            q = q.where(JobRun.daemon_run_id == daemon_id)
        return [_job(r) for r in s.scalars(q)]


def last_completed_poll(db: Database) -> dt.datetime | None:
    """When the latest poll that completed started (a daemon's, cron's or one by hand)."""
    with db.read() as s:
        return s.scalar(select(func.max(PollRun.started_at)).where(PollRun.state == COMPLETED))
