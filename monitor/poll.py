"""One poll cycle: pick due feeds → fetch → parse → store → PollReport.

Fetching runs on an asyncio loop; parsing runs in worker processes (feedparser holds the GIL), overlapping
with fetching; storing runs on one database thread, one transaction per feed. A broken source becomes an
`error` outcome; a bug in our own code stops the cycle.

Every run is recorded in poll_runs and ends marked: completed, failed (it raised), interrupted (SIGTERM, SIGINT),
or abandoned (killed outright: the next poll finds its process gone). Parse workers die with the monitor
process, however it dies, and a worker that crashes on one document costs that feed only.
"""

from __future__ import annotations

import asyncio
import concurrent.futures as cf
import datetime as dt
import os
import socket
from collections.abc import Callable, Collection, Iterable, Sequence
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

from .app import App
from .definitions import FeedDef
from .early import Early
from .errors import MonitorError, unknown_id
from .evidence import match_pending, match_spec, unmatched
from .matching import Matched, MatchSpec
from .sources.fetch import FeedState, Fetcher, FetchResult
from .sources.items import ParsedFeed
from .storage import feeds as feed_store
from .storage.feeds import FeedUpdate, RunInfo
from .views import Extra, to_json
from .workers import kill_workers, parse, parse_here, pid_alive, process_pool, start_workers

PoolKind = Literal["auto", "process", "thread"]
PROCESS_POOL_FROM = 4  # feeds in a cycle before parsing moves to worker processes
ABANDON_AFTER = dt.timedelta(hours=24)  # a run still "running" this long after it started never ends
PARSER_CRASHED = "parser crashed"


@dataclass(frozen=True)
class FeedOutcome:
    id: str
    outcome: Literal["new", "unchanged", "empty", "not_modified", "error"]
    new: int = 0
    updated: int = 0
    items: int = 0
    status: int | None = None
    error: str | None = None
    retry_after: dt.datetime | None = None
    warnings: tuple[str, ...] = ()  # problems that cost part of the document, not the feed: "page 2: HTTP 500"


@dataclass(frozen=True)
class Deferred:
    id: str
    until: dt.datetime


@dataclass(frozen=True)
class PollReport:
    json_extras: ClassVar[tuple[Extra, ...]] = (Extra("errors"),)  # views.to_json: the document ends with it

    run_id: int
    started_at: dt.datetime
    finished_at: dt.datetime
    feeds: tuple[FeedOutcome, ...]
    deferred: tuple[Deferred, ...]
    new_items: int
    updated_items: int
    new_matches: int

    @property
    def errors(self) -> int:
        return sum(1 for f in self.feeds if f.outcome == "error")


# ---------------------------------------------------------------- pure decisions


def choose_feeds(
    feeds: Sequence[FeedDef],
    requested: Sequence[str],
    next_checks: dict[str, dt.datetime | None],
    now: dt.datetime,
) -> tuple[list[FeedDef], list[Deferred]]:
    """Enabled feeds (or exactly the requested ones), minus those a Retry-After told us not to ask yet."""
    chosen = [f for f in feeds if f.id in requested] if requested else [f for f in feeds if f.enabled]
    due, deferred = [], []
    for f in chosen:
        until = next_checks.get(f.id)
        if until is not None and until > now:
            deferred.append(Deferred(f.id, until))
        else:
            due.append(f)
    return due, deferred


def outcome_of(fetch: FetchResult, parsed: ParsedFeed | None, new: int, updated: int) -> FeedOutcome:
    if fetch.outcome == "error":
        return FeedOutcome(
            fetch.feed_id, "error", status=fetch.status, error=fetch.error, retry_after=fetch.retry_after
        )
    if fetch.outcome == "not_modified":
        return FeedOutcome(fetch.feed_id, "not_modified", status=fetch.status)
    if parsed is not None and parsed.error:
        return FeedOutcome(fetch.feed_id, "error", status=fetch.status, error=parsed.error)
    warnings = fetch.warnings + (parsed.warnings if parsed is not None else ())
    if parsed is not None and not parsed.items:  # a good document with no items
        return FeedOutcome(fetch.feed_id, "empty", status=fetch.status, warnings=warnings)
    items = len(parsed.items) if parsed else 0
    kind: Literal["new", "unchanged"] = "new" if new or updated else "unchanged"
    return FeedOutcome(fetch.feed_id, kind, new, updated, items, fetch.status, warnings=warnings)


def abandoned_runs(
    runs: Sequence[RunInfo], host: str, live_pids: Collection[int], now: dt.datetime
) -> list[tuple[int, str]]:
    """The runs still marked running that nobody will finish, with why: (id, reason). A run of this host whose
    process is gone, a run from before runs recorded their process, and any run older than ABANDON_AFTER (its
    process may be alive on another host, or its pid reused here)."""
    found = []
    for r in runs:
        if now - r.started_at >= ABANDON_AFTER:
            found.append((r.id, f"no end recorded {ABANDON_AFTER.total_seconds() / 3600:g} h after it started"))
        elif r.pid is None or r.host is None:
            found.append((r.id, "no end recorded, and no process recorded to ask"))
        elif r.host == host and r.pid not in live_pids:
            found.append((r.id, f"process {r.pid} on {r.host} ended without finishing it"))
    return found


def end_of(error: BaseException) -> tuple[str, str]:
    """How a run that raised ends: (state, error line)."""
    if isinstance(error, KeyboardInterrupt):  # SIGINT; SIGTERM as the CLI raises it (cli.context.Terminated)
        return feed_store.INTERRUPTED, f"interrupted ({str(error) or 'SIGINT'})"
    if isinstance(error, MonitorError):
        return feed_store.FAILED, str(error)
    return feed_store.FAILED, f"{type(error).__name__}: {error}" if str(error) else type(error).__name__


def update_of(fetch: FetchResult, parsed: ParsedFeed | None) -> FeedUpdate:
    error = fetch.error or (parsed.error if parsed else None)
    ok = error is None
    return FeedUpdate(
        feed_id=fetch.feed_id,
        checked_at=fetch.fetched_at,
        ok=ok,
        status=fetch.status,
        etag=fetch.etag,
        last_modified=fetch.last_modified,
        body_hash=fetch.body_hash,
        error=error,
        next_check_after=fetch.retry_after,
        items=parsed.items if ok and parsed else (),
    )


# ---------------------------------------------------------------- the cycle


def poll(
    app: App,
    feed_ids: Iterable[str] = (),
    on_feed: Callable[[FeedOutcome], None] | None = None,
    pool: PoolKind = "auto",
    on_plan: Callable[[int], None] | None = None,
    early: Early | None = None,
) -> PollReport:
    """One cycle. `on_plan` hears how many feeds will be fetched, `on_feed` each outcome as it lands. `early`: requests
    `monitor poll` started before the app was loaded (monitor.early); the cycle takes those it would have sent."""
    requested = list(dict.fromkeys(feed_ids))
    defs = app.definitions.feeds
    known = [f.id for f in defs]
    for fid in requested:
        if fid not in known:
            raise unknown_id("feed", fid, known)
    started = app.now()
    host, pid = socket.gethostname(), os.getpid()
    runs = feed_store.running_runs(app.db)
    live = {r.pid for r in runs if r.pid is not None and r.host == host and pid_alive(r.pid)}
    feed_store.abandon_runs(app.db, abandoned_runs(runs, host, live, started), started)
    due, deferred = choose_feeds(defs, requested, feed_store.next_checks(app.db), started)
    if on_plan is not None:
        on_plan(len(due))
    run_id = feed_store.start_run(app.db, started, pid, host)
    landed: list[FeedOutcome] = []

    def heard(o: FeedOutcome) -> None:
        landed.append(o)
        if on_feed is not None:
            on_feed(o)

    try:
        spec = match_spec(app)  # the parse workers match what they parse; the scope is checked again at the end
        found: dict[tuple[str, str], Matched] = {}
        outcomes = asyncio.run(_cycle(app, due, heard, pool, spec, found, early))
        order = {f.id: i for i, f in enumerate(due)}
        outcomes.sort(key=lambda o: order[o.id])
        new_items = sum(o.new for o in outcomes)
        updated_items = sum(o.updated for o in outcomes)
        new_matches = match_pending(app, found, spec)
        finished = app.now()
        feed_store.finish_run(
            app.db, run_id, finished, to_json(outcomes), new_items, updated_items, new_matches
        )
    except BaseException as e:
        _mark_ended(app, run_id, landed, e)
        raise
    return PollReport(
        run_id, started, finished, tuple(outcomes), tuple(deferred), new_items, updated_items, new_matches
    )


def _mark_ended(app: App, run_id: int, landed: list[FeedOutcome], error: BaseException) -> None:
    """Record how a run that raised ended, with the outcomes that landed before; the error itself goes on."""
    state, line = end_of(error)
    try:
        feed_store.finish_run(
            app.db,
            run_id,
            app.now(),
            to_json(landed),
            sum(o.new for o in landed),
            sum(o.updated for o in landed),
            0,
            state,
            line,
        )
    except MonitorError as again:  # the database itself may be what failed: the next poll marks it abandoned
        error.add_note(f"poll run {run_id} could not be marked {state}: {again}")


def _executor(
    kind: PoolKind, n_feeds: int, workers: int | None = None, spec: MatchSpec | None = None
) -> cf.Executor:
    """Worker processes (monitor.workers: they die with this process) for a cycle of several feeds, else one
    thread."""
    workers = workers or max(1, min(os.cpu_count() or 1, 8))
    if kind == "process" or (kind == "auto" and n_feeds >= PROCESS_POOL_FROM and workers > 1):
        return process_pool(workers, spec)
    return cf.ThreadPoolExecutor(1, thread_name_prefix="monitor-parse")


class _Parsers:
    """The parse pool of one cycle: started on the first body to parse (a cycle of 304s never starts one), and
    replaced when it breaks (a worker segfaulted or was killed). A broken pool fails every parse it held, and
    which document broke it is unknown, so each of those is tried once more in a pool of its own: a crash there
    is that document's, and costs that feed only."""

    def __init__(self, kind: PoolKind, n_feeds: int, spec: MatchSpec | None = None):
        self.kind, self.n_feeds, self.spec = kind, n_feeds, spec
        self.workers = max(1, min(os.cpu_count() or 1, 8))
        self.current: cf.Executor | None = None
        self.all: list[cf.Executor] = []
        self.retries: asyncio.Semaphore | None = None

    def _start(self, kind: PoolKind, workers: int | None = None) -> cf.Executor:
        pool = _executor(kind, self.n_feeds, workers, self.spec)
        self.all.append(pool)
        return pool

    def warm(self) -> None:
        """Start the pool's workers now: the cycle has feeds never fetched, so it will parse."""
        if self.current is None:
            self.current = self._start(self.kind)
            start_workers(self.current, self.workers)

    async def parse(self, *args: Any) -> tuple[ParsedFeed, tuple[Matched, ...] | None]:
        """The parsed document and, with a spec, its items' matches (workers.parse)."""
        if self.current is None:
            self.current = self._start(self.kind)
        pool = self.current
        try:
            return await self._run(pool, args)
        except BrokenProcessPool:
            if self.current is pool:
                self.current = None
        if self.retries is None:
            self.retries = asyncio.Semaphore(max(1, min(os.cpu_count() or 1, 8)))
        async with self.retries:
            alone = self._start("process", workers=1)
            try:
                return await self._run(alone, args)
            except BrokenProcessPool:
                return ParsedFeed(error=PARSER_CRASHED), None
            finally:
                alone.shutdown(wait=False)

    async def _run(self, pool: cf.Executor, args: tuple[Any, ...]) -> tuple[ParsedFeed, tuple[Matched, ...] | None]:
        """A process pool's workers hold the spec already (their initializer); a thread gets it with the task."""
        loop = asyncio.get_running_loop()
        if isinstance(pool, cf.ProcessPoolExecutor):
            return await loop.run_in_executor(pool, parse_here, *args)
        return await loop.run_in_executor(pool, parse, self.spec, *args)

    def close(self, at_once: bool) -> None:
        """Stop every pool; `at_once` (the cycle failed or was interrupted) kills the workers mid-parse."""
        for pool in self.all:
            if at_once:
                kill_workers(pool)
            pool.shutdown(wait=True, cancel_futures=True)


async def _cycle(
    app: App,
    feeds: list[FeedDef],
    on_feed: Callable[[FeedOutcome], None] | None,
    pool: PoolKind,
    spec: MatchSpec | None = None,
    found: dict[tuple[str, str], Matched] | None = None,
    early: Early | None = None,
) -> list[FeedOutcome]:
    if not feeds:
        return []
    states = feed_store.feed_states(app.db)
    loop = asyncio.get_running_loop()
    parsers = _Parsers(pool, len(feeds), spec)
    if any(states[f.id] == feed_store.Validators(None, None, None) for f in feeds):
        parsers.warm()  # never fetched: its body will be parsed (a cycle of 304s starts no pool)
    storer = cf.ThreadPoolExecutor(1, thread_name_prefix="monitor-db")  # one writer: no lock contention
    health_only: list[FeedUpdate] = []  # written together at the end: losing them to a crash loses nothing
    base_dir = app.config.home.path

    async def one(f: FeedDef, fetcher: Fetcher) -> FeedOutcome:
        known = states[f.id]
        state = FeedState(
            f.id, f.type, f.url, known.etag, known.last_modified, known.body_hash, f.select, f.max_pages
        )
        started_early = early.take(state, app.settings.http) if early is not None else None
        if started_early is not None:
            fetched = await asyncio.wrap_future(started_early)
        else:
            if early is not None:
                await early.settled()  # the limits hold for the early requests and the cycle's together
            fetched = await fetcher.fetch(state)
        parsed = matched = None
        if fetched.outcome == "fetched":
            parsed, matched = await parsers.parse(
                f.type, fetched.bodies, fetched.headers, fetched.url or f.url, fetched.fetched_at, f.select
            )
            if matched and found is not None:
                found.update(((f.id, m.content_hash), m) for m in matched)
        update = update_of(fetched, parsed)
        if update.items:
            settled = unmatched(app, spec, matched) if matched and spec is not None else None
            counts = await loop.run_in_executor(storer, feed_store.apply_update, app.db, update, settled)
        else:
            health_only.append(update)
            counts = feed_store.StoredCounts(0, 0)
        result = outcome_of(fetched, parsed, counts.new, counts.updated)
        if on_feed is not None:
            on_feed(result)
        return result

    ok = False
    try:
        async with Fetcher(app.settings.http, app.clock, base_dir) as fetcher:
            tasks = [asyncio.ensure_future(one(f, fetcher)) for f in feeds]
            try:
                outcomes = list(await asyncio.gather(*tasks))
            except BaseException:  # one failed, or the cycle is cancelled: the others stop too
                for t in tasks:
                    t.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)
                raise
        await loop.run_in_executor(storer, feed_store.apply_health, app.db, health_only)
        ok = True
        return outcomes
    finally:
        storer.shutdown(wait=True)
        parsers.close(at_once=not ok)
