"""One poll cycle: pick due feeds → fetch → parse → store → PollReport.

Fetching runs on an asyncio loop; parsing runs in worker processes (feedparser holds the GIL), overlapping
with fetching; storing runs on one database thread, one transaction per feed. A broken source becomes an
`error` outcome; a bug in our own code stops the cycle.
"""

from __future__ import annotations

import asyncio
import concurrent.futures as cf
import datetime as dt
import multiprocessing
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

from .app import App
from .clock import iso
from .definitions import FeedDef
from .errors import unknown_id
from .evidence import match_pending
from .sources.fetch import Fetcher, FetchResult
from .sources.items import ParsedFeed
from .sources.parse import parse_pages
from .storage import feeds as feed_store
from .storage.feeds import FeedUpdate

PoolKind = Literal["auto", "process", "thread"]
PROCESS_POOL_FROM = 4  # feeds in a cycle before parsing moves to worker processes


@dataclass(frozen=True)
class FeedOutcome:
    id: str
    outcome: Literal["new", "unchanged", "not_modified", "error"]
    new: int = 0
    updated: int = 0
    items: int = 0
    status: int | None = None
    error: str | None = None
    retry_after: dt.datetime | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "outcome": self.outcome,
            "new": self.new,
            "updated": self.updated,
            "items": self.items,
            "status": self.status,
            "error": self.error,
            "retry_after": iso(self.retry_after),
        }


@dataclass(frozen=True)
class Deferred:
    id: str
    until: dt.datetime


@dataclass(frozen=True)
class PollReport:
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

    def as_json(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "started_at": self.started_at.isoformat(),
            "finished_at": self.finished_at.isoformat(),
            "feeds": [f.as_json() for f in self.feeds],
            "deferred": [{"id": d.id, "until": d.until.isoformat()} for d in self.deferred],
            "new_items": self.new_items,
            "updated_items": self.updated_items,
            "new_matches": self.new_matches,
            "errors": self.errors,
        }


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
    items = len(parsed.items) if parsed else 0
    kind: Literal["new", "unchanged"] = "new" if new or updated else "unchanged"
    return FeedOutcome(fetch.feed_id, kind, new, updated, items, fetch.status)


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
) -> PollReport:
    """One cycle. `on_plan` hears how many feeds will be fetched, `on_feed` each outcome as it lands."""
    requested = list(dict.fromkeys(feed_ids))
    defs = app.definitions.feeds
    known = [f.id for f in defs]
    for fid in requested:
        if fid not in known:
            raise unknown_id("feed", fid, known)
    started = app.now()
    due, deferred = choose_feeds(defs, requested, feed_store.next_checks(app.db), started)
    if on_plan is not None:
        on_plan(len(due))
    run_id = feed_store.start_run(app.db, started)
    outcomes = asyncio.run(_cycle(app, due, on_feed, pool))
    order = {f.id: i for i, f in enumerate(due)}
    outcomes.sort(key=lambda o: order[o.id])
    new_items = sum(o.new for o in outcomes)
    updated_items = sum(o.updated for o in outcomes)
    new_matches = match_pending(app)
    finished = app.now()
    feed_store.finish_run(
        app.db, run_id, finished, [o.as_json() for o in outcomes], new_items, updated_items, new_matches
    )
    return PollReport(
        run_id, started, finished, tuple(outcomes), tuple(deferred), new_items, updated_items, new_matches
    )


def _executor(kind: PoolKind, n_feeds: int) -> cf.Executor:
    workers = max(1, min(os.cpu_count() or 1, 8))
    if kind == "process" or (kind == "auto" and n_feeds >= PROCESS_POOL_FROM and workers > 1):
        # forkserver, not fork: a worker forked mid-cycle would inherit every open socket and database handle.
        # The server preloads the parsers once, so each worker starts in milliseconds.
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(["monitor.sources.parse"])
        return cf.ProcessPoolExecutor(workers, mp_context=ctx)
    return cf.ThreadPoolExecutor(1, thread_name_prefix="monitor-parse")


async def _cycle(
    app: App, feeds: list[FeedDef], on_feed: Callable[[FeedOutcome], None] | None, pool: PoolKind
) -> list[FeedOutcome]:
    if not feeds:
        return []
    states = feed_store.feed_states(app.db)
    loop = asyncio.get_running_loop()
    parsers: list[cf.Executor] = []  # started on the first body to parse: a cycle of 304s never starts one
    storer = cf.ThreadPoolExecutor(1, thread_name_prefix="monitor-db")  # one writer: no lock contention
    health_only: list[FeedUpdate] = []  # written together at the end: losing them to a crash loses nothing
    base_dir = app.config.home.path

    async def one(f: FeedDef, fetcher: Fetcher) -> FeedOutcome:
        state = replace(states[f.id], type=f.type, url=f.url, select=f.select, max_pages=f.max_pages)
        fetched = await fetcher.fetch(state)
        parsed = None
        if fetched.outcome == "fetched":
            if not parsers:
                parsers.append(_executor(pool, len(feeds)))
            parsed = await loop.run_in_executor(
                parsers[0],
                parse_pages,
                f.type,
                fetched.bodies,
                fetched.headers,
                fetched.url or f.url,
                fetched.fetched_at,
                f.select,
            )
        update = update_of(fetched, parsed)
        if update.items:
            counts = await loop.run_in_executor(storer, feed_store.apply_update, app.db, update)
        else:
            health_only.append(update)
            counts = feed_store.StoredCounts(0, 0)
        result = outcome_of(fetched, parsed, counts.new, counts.updated)
        if on_feed is not None:
            on_feed(result)
        return result

    try:
        async with Fetcher(app.settings.http, app.clock, base_dir) as fetcher:
            outcomes = list(await asyncio.gather(*(one(f, fetcher) for f in feeds)))
        await loop.run_in_executor(storer, feed_store.apply_health, app.db, health_only)
        return outcomes
    finally:
        storer.shutdown(wait=True)
        for p in parsers:
            p.shutdown(wait=True, cancel_futures=True)
