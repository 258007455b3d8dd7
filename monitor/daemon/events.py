"""What the daemon tells as it runs: frozen records the CLI turns into log lines (one per job run)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from .. import schedule
from ..storage.jobs import DaemonInfo


@dataclass(frozen=True)
class Planned:
    job: str
    schedule: str  # the crontab expression
    next_run: dt.datetime | None


@dataclass(frozen=True)
class Started:
    daemon_id: int
    pid: int
    host: str
    database: str
    lock: str
    timezone: str
    jobs: tuple[Planned, ...]
    catch_up: schedule.CatchUp
    abandoned: tuple[DaemonInfo, ...]  # earlier daemons found still marked running


@dataclass(frozen=True)
class JobEnded:
    job: str
    state: str  # completed | failed | interrupted | timed_out
    seconds: float
    summary: str
    failures: int
    details: tuple[str, ...]
    error: str | None
    traceback: str | None  # a job that raised: its traceback, for the log


@dataclass(frozen=True)
class Reloaded:
    ok: bool
    message: str


@dataclass(frozen=True)
class Notice:
    message: str


@dataclass(frozen=True)
class Stopped:
    why: str


Event = Started | JobEnded | Reloaded | Notice | Stopped
