"""`monitor run`: APScheduler decides when, the main thread does the work.

APScheduler's BackgroundScheduler runs the cron triggers (monitor.schedule.trigger, in `timezone`) in its own
thread: coalesced, one instance of each job, a misfire grace of one period. Its executor (_Handoff) does not
run a due job but hands it to the main thread, which runs jobs one at a time, as a command would. So signals,
which Python delivers to the main thread, stop a running job exactly as they stop a command:

- SIGTERM, SIGINT: no job is taken any more; a running job is interrupted (monitor.interrupts): transactions roll
  back, a poll keeps the feeds it finished, stops its parse workers and marks its run interrupted. The daemon
  then records how it stopped, releases the lock and returns (exit 0). A second signal ends the process at once.
- SIGALRM (schedule.poll_timeout, armed while a poll runs): the poll is interrupted the same way, its job run
  marked timed_out, and the daemon goes on.
- SIGHUP: the config is read again between jobs; an invalid one is refused and the previous one kept.
A signal between jobs only sets a flag and wakes the loop (a byte on a pipe): nothing is raised there.

One daemon per database (storage.locks): a second one fails at once, naming the holder from daemon_runs.
Every job run is recorded in job_runs and reported to `on_event` (the CLI prints one line per run).
"""

from __future__ import annotations

import collections
import contextlib
import datetime as dt
import logging
import os
import select
import signal
import socket
import threading
import time
import traceback
from collections.abc import Callable, Mapping
from types import FrameType
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.executors.base import BaseExecutor, run_job
from apscheduler.schedulers.background import BackgroundScheduler

from .. import config as config_mod
from .. import schedule
from ..app import App
from ..clock import Clock, SystemClock
from ..errors import ConfigError, MonitorError
from ..interrupts import interrupt
from ..storage import jobs as job_store
from ..storage import locks
from ..storage.sync import sync
from .events import Event, JobEnded, Notice, Planned, Reloaded, Started, Stopped
from .jobs import Job, JobResult, default_jobs

SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGALRM)


class DaemonBusy(MonitorError):
    """Another daemon holds the database (exit 1)."""


class Stop(KeyboardInterrupt):
    """SIGTERM or SIGINT, raised in the running job: it unwinds as for Ctrl-C."""


class PollTimedOut(KeyboardInterrupt):
    """A poll past schedule.poll_timeout, raised in it by SIGALRM: it unwinds as for Ctrl-C."""


# ---------------------------------------------------------------- the daemon


class Daemon:
    """One daemon run. `jobs` maps job names (schedule.JOBS, and "report") to what they do; tests pass fakes.
    `wall` is the clock APScheduler keeps time with (the system's; `app.clock` may be pinned by MONITOR_NOW, and
    is what records and decisions use)."""

    def __init__(
        self,
        app: App,
        on_event: Callable[[Event], None],
        jobs: Mapping[str, Job] | None = None,
        wall: Clock | None = None,
        environ: Mapping[str, str] | None = None,
    ):
        self.app = app
        self.on_event = on_event
        self.jobs = dict(jobs) if jobs is not None else default_jobs()
        self.wall = wall or SystemClock()
        self.environ = environ
        self.daemon_id: int | None = None
        self._lock: locks.DaemonLock | None = None
        self._scheduler: BackgroundScheduler | None = None
        self._queue: collections.deque[tuple[_Handoff, Any, list[dt.datetime]]] = collections.deque()
        self._wake_r, self._wake_w = -1, -1
        self._stop: str | None = None  # why the daemon stops, once it does
        self._reload = False
        self._in_job: str | None = None  # the job whose own code is running (signals may interrupt it)
        self._scheduled_for: dt.datetime | None = None
        self._notices: collections.deque[str] = collections.deque()  # from the scheduler's thread
        self._abandoned: tuple[job_store.DaemonInfo, ...] = ()
        self._failure: MonitorError | None = None  # why the daemon must end with an error, once it must

    # ------------------------------------------------------------ public

    def run(self) -> None:
        """Take the lock, schedule, run jobs until SIGTERM or SIGINT; then record the stop and release the lock.
        DaemonBusy when another daemon holds the database."""
        self._take_lock()
        previous: dict[int, Any] = {}
        log_handler = _Forward(self.note)
        aps_log = logging.getLogger("apscheduler")
        aps_state = (aps_log.level, aps_log.propagate)
        state, error = job_store.STOPPED, None
        try:
            self._wake_r, self._wake_w = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
            for s in SIGNALS:
                previous[s] = signal.signal(s, self._on_signal)
            aps_log.addHandler(log_handler)
            aps_log.setLevel(logging.WARNING)
            aps_log.propagate = False
            self._start()
            self._loop()
            if self._failure is not None:
                raise self._failure
        except BaseException as e:
            state, error = job_store.FAILED, _one_line(e)
            raise
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            for signum, handler in previous.items():
                signal.signal(signum, handler)
            if self._scheduler is not None and self._scheduler.running:
                self._scheduler.shutdown(wait=False)
            aps_log.removeHandler(log_handler)
            aps_log.setLevel(aps_state[0])
            aps_log.propagate = aps_state[1]
            for fd in (self._wake_r, self._wake_w):
                if fd >= 0:
                    os.close(fd)
            self._wake_r = self._wake_w = -1  # a closed number may be reused: never written to again
            self._finish(state, error)

    def run_soon(self, job: str) -> None:
        """Run a job as soon as the main thread is free, through the scheduler (so it is still one instance)."""
        assert self._scheduler is not None, "the daemon is not running"
        self._scheduler.modify_job(job, next_run_time=self.wall.now())

    def next_runs(self) -> dict[str, dt.datetime | None]:
        """When the scheduler will run each job next (UTC)."""
        assert self._scheduler is not None, "the daemon is not running"
        return {
            j.id: j.next_run_time.astimezone(dt.UTC) if j.next_run_time else None
            for j in self._scheduler.get_jobs()
        }

    def note(self, message: str) -> None:
        """A notice for the log: reported at once from the main thread, else queued for it."""
        if threading.current_thread() is threading.main_thread():
            self.on_event(Notice(message))
        else:
            self._notices.append(message)
            self._wake()

    def stop(self, why: str = "asked to") -> None:
        """Stop after the running job (from the main thread: an event callback)."""
        self._stop = self._stop or why
        self._wake()

    # ------------------------------------------------------------ start and stop

    def _take_lock(self) -> None:
        db = self.app.db
        lock = locks.acquire(db)
        if lock is None:
            holder = job_store.running_daemon(db)
            who = (
                f"pid {holder.pid} on {holder.host} since {holder.started_at.isoformat(timespec='seconds')}"
                if holder is not None
                else "a process that has not recorded itself yet"
            )
            raise DaemonBusy(
                f"another monitor daemon holds the database {db.safe_url}: {who} ({locks.describe(db)}); "
                "stop it first, or see `monitor run --status`"
            )
        self._lock = lock
        try:
            self.daemon_id, stale = job_store.start_daemon(db, os.getpid(), socket.gethostname(), self.app.now())
        except BaseException:
            lock.release()
            self._lock = None
            raise
        self._abandoned = tuple(stale)

    def _start(self) -> None:
        settings = self.app.settings
        tz = settings.timezone
        scheduler = BackgroundScheduler(
            timezone=ZoneInfo(tz), executors={"default": _Handoff(self)}, daemon=True
        )
        now = self.app.now()
        catch_up = schedule.poll_at_start(
            settings.schedule.poll, tz, job_store.last_completed_poll(self.app.db), now
        )
        for name in schedule.JOBS:
            expr = getattr(settings.schedule, name)
            extra: dict[str, Any] = {}
            if name == "poll" and catch_up.due:
                extra["next_run_time"] = self.wall.now()
            scheduler.add_job(
                self._fire,
                trigger=schedule.trigger(expr, tz),
                args=[name],
                id=name,
                name=name,
                coalesce=True,
                max_instances=1,
                misfire_grace_time=schedule.misfire_grace(expr, tz, now),
                **extra,
            )
        scheduler.start()
        self._scheduler = scheduler
        nxt = self.next_runs()
        planned = tuple(Planned(name, getattr(settings.schedule, name), nxt.get(name)) for name in schedule.JOBS)
        assert self.daemon_id is not None
        self.on_event(
            Started(
                self.daemon_id, os.getpid(), socket.gethostname(), self.app.db.safe_url,
                self._lock.where if self._lock else "", tz, planned, catch_up, self._abandoned,
            )
        )

    def _finish(self, state: str, error: str | None) -> None:
        why = self._stop or error or "stopped"
        try:
            if self.daemon_id is not None:
                job_store.stop_daemon(self.app.db, self.daemon_id, self.app.now(), state, error)
        except MonitorError as e:
            self.on_event(Notice(f"could not record the stop: {e}"))
        finally:
            if self._lock is not None:
                self._lock.release()
                self._lock = None
        self.on_event(Stopped(why))

    # ------------------------------------------------------------ the loop (main thread)

    def _loop(self) -> None:
        while self._stop is None:
            while self._notices:
                self.on_event(Notice(self._notices.popleft()))
            if self._reload:
                self._reload = False
                self._reload_config()
            if self._queue:
                executor, job, run_times = self._queue.popleft()
                self._scheduled_for = run_times[-1] if run_times else None
                events = run_job(job, job._jobstore_alias, run_times, "apscheduler.executors.default")
                executor._run_job_success(job.id, events)
                continue
            self._wait()

    def _wait(self) -> None:
        """Sleep until a job is handed over or a signal arrives (both write a byte to the pipe)."""
        select.select([self._wake_r], [], [])
        try:
            while os.read(self._wake_r, 512):
                pass
        except BlockingIOError:
            pass

    def _wake(self) -> None:
        if self._wake_w < 0:
            return
        with contextlib.suppress(OSError):  # the pipe is full (it will wake anyway), or already closed
            os.write(self._wake_w, b"\0")

    def _hand_over(self, executor: _Handoff, job: Any, run_times: list[dt.datetime]) -> None:
        """From the scheduler's thread: queue a due job for the main thread."""
        self._queue.append((executor, job, run_times))
        self._wake()

    # ------------------------------------------------------------ signals

    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        if signum == signal.SIGHUP:
            self._reload = True
            self._wake()
            return
        if signum == signal.SIGALRM:
            if self._in_job == "poll":
                limit = self.app.settings.schedule.poll_timeout
                interrupt(PollTimedOut(f"ran past schedule.poll_timeout ({limit:g} s)"))
            return
        name = signal.Signals(signum).name
        signal.signal(signum, signal.SIG_DFL)  # a second one ends the process at once
        self._stop = self._stop or name
        self._wake()
        if self._in_job is not None:
            interrupt(Stop(name))

    # ------------------------------------------------------------ one job run

    def _fire(self, name: str) -> None:
        """Run one job (APScheduler's job function, called by run_job in the main thread), record and report it;
        after a poll, the report. Nothing it raises reaches APScheduler: a failed job is an event, not an error."""
        self._run_one(name)
        if name == "poll" and self._stop is None and self.app.report_dir() is not None:
            self._run_one("report")

    def _run_one(self, name: str) -> None:
        db, started = self.app.db, time.monotonic()
        scheduled_for, self._scheduled_for = self._scheduled_for, None
        if self._stop is not None or not self._check_lock():
            return
        try:
            run_id = job_store.start_job(db, self.daemon_id, name, scheduled_for, self.app.now())
        except MonitorError as e:
            self.on_event(JobEnded(name, job_store.FAILED, 0.0, "", 0, (), f"cannot record the run: {e}", None))
            return
        state, result, error, tb = self._call(name)
        seconds = time.monotonic() - started
        try:
            job_store.finish_job(
                db, run_id, self.app.now(), state, result.summary, result.failures, error, dict(result.totals)
            )
        except MonitorError as e:
            error = f"{error + '; ' if error else ''}cannot record the end of the run: {e}"
        self.on_event(JobEnded(name, state, seconds, result.summary, result.failures, result.details, error, tb))

    def _call(self, name: str) -> tuple[str, JobResult, str | None, str | None]:
        """The job's own code, which signals may interrupt: (state, result, error line, traceback)."""
        fn = self.jobs.get(name)
        if fn is None:
            return job_store.FAILED, JobResult(""), f"no job named {name!r}", None
        timeout = self.app.settings.schedule.poll_timeout if name == "poll" else 0
        try:
            self._in_job = name
            try:
                if self._stop is not None:  # the signal came while the run was being recorded
                    raise Stop(self._stop)
                if timeout:
                    signal.setitimer(signal.ITIMER_REAL, timeout)
                return job_store.COMPLETED, fn(self.app), None, None
            finally:
                self._in_job = None
                signal.setitimer(signal.ITIMER_REAL, 0)
        except Stop as e:
            return job_store.INTERRUPTED, JobResult(""), f"interrupted ({e})", None
        except PollTimedOut as e:
            return job_store.TIMED_OUT, JobResult(""), str(e), None
        except Exception as e:  # a job that raises is logged and the daemon goes on
            return job_store.FAILED, JobResult(""), _one_line(e), traceback.format_exc()

    def _check_lock(self) -> bool:
        """Before each job: the lock is still ours (a PostgreSQL session can end with its server, a lock file can be
        deleted). Lost, it is taken again; taken by another daemon meanwhile, this one stops."""
        if self._lock is None or self._lock.held():
            return True
        self._lock.release()
        self._lock = None
        try:
            self._lock = locks.acquire(self.app.db)
        except MonitorError as e:
            self.on_event(Notice(f"the daemon lock was lost and cannot be taken again yet: {e}; job skipped"))
            return False
        if self._lock is None:
            self._stop = "the daemon lock was lost and another daemon took it"
            self._failure = DaemonBusy(f"{self._stop} ({locks.describe(self.app.db)}): this one stops")
            return False
        self.on_event(Notice("the daemon lock was lost and has been taken again"))
        return True

    # ------------------------------------------------------------ SIGHUP

    def _reload_config(self) -> None:
        old = self.app.config
        try:
            new = config_mod.load(old.home, self.environ)
        except ConfigError as e:
            self.on_event(Reloaded(False, f"config reload refused: {e}; keeping the previous config"))
            return
        if new.database_url != old.database_url:
            self.on_event(
                Reloaded(False, "config reload refused: database_url changed (restart the daemon to move it); "
                         "keeping the previous config")
            )
            return
        try:
            sync(self.app.db, new.definitions, self.app.now())
        except MonitorError as e:
            self.on_event(Reloaded(False, f"config reload refused: {e}; keeping the previous config"))
            return
        self.app.config = new
        changes = self._reschedule(old.settings, new.settings)
        said = f": {'; '.join(changes)}" if changes else ", schedule unchanged"
        self.on_event(Reloaded(True, "config reloaded" + said))

    def _reschedule(self, old: Any, new: Any) -> list[str]:
        assert self._scheduler is not None
        tz, now = new.timezone, self.app.now()
        changes = []
        for name in schedule.JOBS:
            expr = getattr(new.schedule, name)
            if expr == getattr(old.schedule, name) and tz == old.timezone:
                continue
            self._scheduler.modify_job(name, misfire_grace_time=schedule.misfire_grace(expr, tz, now))
            self._scheduler.reschedule_job(name, trigger=schedule.trigger(expr, tz))
            nxt = self.next_runs().get(name)
            changes.append(f"{name} {expr!r} in {tz}, next {nxt.isoformat(timespec='minutes') if nxt else 'never'}")
        if new.schedule.poll_timeout != old.schedule.poll_timeout:
            changes.append(f"poll_timeout {new.schedule.poll_timeout:g} s")
        return changes


class _Handoff(BaseExecutor):
    """An APScheduler executor that runs nothing itself: it hands each due job to the daemon's main thread.
    APScheduler still counts the job as running until the main thread reports it done (_run_job_success), so
    max_instances and coalescing hold across the hand-over."""

    def __init__(self, daemon: Daemon):
        super().__init__()
        self._daemon = daemon

    def _do_submit_job(self, job: Any, run_times: list[dt.datetime]) -> None:
        self._daemon._hand_over(self, job, run_times)


class _Forward(logging.Handler):
    """APScheduler's warnings (a run missed, a run skipped because the job is still running) as notices."""

    def __init__(self, note: Callable[[str], None]):
        super().__init__(logging.WARNING)
        self._note = note

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self._note(f"scheduler: {record.getMessage()}")
        except Exception:  # a logging handler never raises into the code that logged
            self.handleError(record)


def _one_line(e: BaseException) -> str:
    if isinstance(e, MonitorError):
        return str(e)
    text = str(e).strip().splitlines()[0] if str(e).strip() else ""
    return f"{type(e).__name__}: {text}" if text else type(e).__name__

