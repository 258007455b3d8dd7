"""Items and feed health: one transaction per feed update, upserts on (feed, key); poll runs and how they ended.

Safe with several writers at once (two polls on one PostgreSQL database): a feed's update locks its row first,
so two processes storing the same feed take turns, and new items go in with INSERT ... ON CONFLICT DO NOTHING,
counted from what was really inserted (RETURNING)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, cast

from sqlalchemy import Insert, Table, select, update
from sqlalchemy.orm import Session

from ..plan.items import StoredVersion, plan_items
from .engine import Database
from .schema import Feed, Item, Milestone, PollRun

CHUNK = 400  # keys per IN (...) list: well under SQLite's variable limit


class ParsedItem(Protocol):
    """What storage writes of a fetched item (sources' ParsedItem is one); storage knows nothing of fetching."""

    @property
    def key(self) -> str: ...
    @property
    def link(self) -> str | None: ...
    @property
    def title(self) -> str: ...
    @property
    def text(self) -> str: ...
    @property
    def html(self) -> str | None: ...
    @property
    def published(self) -> dt.datetime: ...
    @property
    def published_raw(self) -> str | None: ...
    @property
    def content_hash(self) -> str: ...


@dataclass(frozen=True)
class Validators:
    """What a feed's last good fetch left for the next conditional GET."""

    etag: str | None
    last_modified: str | None
    body_hash: str | None


@dataclass(frozen=True)
class FeedUpdate:
    """Everything one feed's poll changes, written in one transaction."""

    feed_id: str
    checked_at: dt.datetime
    ok: bool
    status: int | None
    etag: str | None
    last_modified: str | None
    body_hash: str | None
    error: str | None
    next_check_after: dt.datetime | None
    items: Sequence[ParsedItem] = ()


@dataclass(frozen=True)
class Unmatched:
    """Contents (hashes) the parse workers found to match nothing under `scope`, the open milestones when the
    cycle began: every defined milestone (`milestones`) whose status is not one of `closed`. A new item with such
    content is stored as matched while that scope is still the open milestones' (it has no evidence to record),
    so the end of the cycle neither reads it back nor rewrites its row."""

    hashes: frozenset[str]
    scope: frozenset[str]
    milestones: tuple[str, ...]
    closed: tuple[str, ...]

    def current(self, s: Session) -> bool:
        """Whether the scope is still the open milestones' (a status may have changed since the cycle began)."""
        shut = set(s.scalars(select(Milestone.id).where(Milestone.status.in_(self.closed))))
        return frozenset(m for m in self.milestones if m not in shut) == self.scope


@dataclass(frozen=True)
class StoredCounts:
    new: int
    updated: int


def feed_states(db: Database) -> dict[str, Validators]:
    """Validators of every feed row (definitions come from config)."""
    with db.read() as s:
        return {f.id: Validators(f.etag, f.last_modified, f.body_hash) for f in s.scalars(select(Feed))}


def next_checks(db: Database) -> dict[str, dt.datetime | None]:
    with db.read() as s:
        return {k: v for k, v in s.execute(select(Feed.id, Feed.next_check_after))}


def apply_update(db: Database, u: FeedUpdate, unmatched: Unmatched | None = None) -> StoredCounts:
    """One feed's items and health, in one transaction. New items are marked for matching, except those whose
    content is in `unmatched` while its scope holds (stored as matched: there is nothing to record); changed items
    are always marked (their earlier evidence may no longer hold)."""
    with db.write() as s:
        feed = s.get(Feed, u.feed_id, with_for_update=True)  # first: a concurrent poll of this feed waits here
        assert feed is not None, f"feed {u.feed_id} is synced before it is polled"
        settled = unmatched.hashes if unmatched and unmatched.hashes and u.items and unmatched.current(s) else ()
        return _apply(s, u, feed, settled)


def apply_health(db: Database, updates: Sequence[FeedUpdate]) -> None:
    """Health-only updates (no items: 304, unchanged body, errors) of many feeds in one transaction."""
    if not updates:
        return
    with db.write() as s:
        wanted = select(Feed).where(Feed.id.in_([u.feed_id for u in updates])).order_by(Feed.id)
        rows = {f.id: f for f in s.scalars(wanted.with_for_update())}  # locked in id order: no deadlock
        for u in updates:
            assert not u.items
            _apply(s, u, rows[u.feed_id])


def _apply(s: Session, u: FeedUpdate, feed: Feed, settled: Collection[str] = frozenset()) -> StoredCounts:
    """Load the stored versions of the items' keys, plan (monitor.plan.items), write the plan, then the health.
    New items whose content hash is in `settled` are stored as matched."""
    new = updated = 0
    if u.items:
        plan = plan_items(_existing(s, u.feed_id, [i.key for i in u.items]), u.items)
        updated = _update_changed(s, u, plan.update)
        if plan.insert:
            rows = [_row(u.feed_id, i, u.checked_at, i.content_hash in settled) for i in plan.insert]
            inserted = _insert_new(s, rows)
            new = len(inserted)
            lost = [i for i in plan.insert if i.key not in inserted]
            if lost:  # another writer stored these keys in the meantime: they are updates, if anything
                again = plan_items(_existing(s, u.feed_id, [i.key for i in lost]), lost)
                updated += _update_changed(s, u, again.update)
    feed.last_checked = u.checked_at
    feed.last_status = u.status
    feed.next_check_after = u.next_check_after
    if u.ok:
        feed.last_success = u.checked_at
        feed.consecutive_failures = 0
        feed.last_error = None
        feed.etag, feed.last_modified, feed.body_hash = u.etag, u.last_modified, u.body_hash
    else:
        feed.consecutive_failures += 1
        feed.last_error = u.error
    return StoredCounts(new, updated)


def stored_versions(db: Database, feed_id: str, keys: Sequence[str]) -> dict[str, StoredVersion]:
    """Stored (id, content hash) of these keys of one feed, read only (what `feeds test` compares with)."""
    with db.read() as s:
        return _existing(s, feed_id, keys)


def _existing(s: Session, feed_id: str, keys: Sequence[str]) -> dict[str, StoredVersion]:
    """Stored (id, content hash) of these keys of one feed."""
    found: dict[str, StoredVersion] = {}
    for start in range(0, len(keys), CHUNK):
        rows = s.execute(
            select(Item.key, Item.id, Item.content_hash).where(
                Item.feed_id == feed_id, Item.key.in_(keys[start : start + CHUNK])
            )
        )
        found.update({k: StoredVersion(i, h) for k, i, h in rows})
    return found


def _update_changed(s: Session, u: FeedUpdate, changed: Sequence[tuple[int, ParsedItem]]) -> int:
    """Rewrite stored items (id, new version) whose content changed; how many."""
    for item_id, it in changed:
        s.execute(
            update(Item)
            .where(Item.id == item_id)
            .values(
                link=it.link,
                title=it.title,
                text=it.text,
                html=it.html,
                published=it.published,
                published_raw=it.published_raw,
                content_hash=it.content_hash,
                updated_at=u.checked_at,
                needs_match=True,
            )
        )
    return len(changed)


def _insert_new(s: Session, rows: list[dict[str, Any]]) -> set[str]:
    """Insert items, skipping any (feed, key) already stored; the keys this statement really inserted."""
    table = cast(Table, Item.__table__)
    stmt: Insert
    if s.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects import postgresql  # imported by the one backend that needs it

        stmt = postgresql.insert(table).on_conflict_do_nothing(index_elements=["feed_id", "key"])
    else:
        from sqlalchemy.dialects import sqlite

        stmt = sqlite.insert(table).on_conflict_do_nothing(index_elements=["feed_id", "key"])
    return set(s.execute(stmt.returning(table.c.key), rows).scalars())


def _row(feed_id: str, it: ParsedItem, now: dt.datetime, matched: bool = False) -> dict[str, Any]:
    return {
        "feed_id": feed_id,
        "key": it.key,
        "link": it.link,
        "title": it.title,
        "text": it.text,
        "html": it.html,
        "published": it.published,
        "published_raw": it.published_raw,
        "first_seen": now,
        "updated_at": now,
        "content_hash": it.content_hash,
        "needs_match": not matched,
    }


RUNNING, COMPLETED, FAILED, INTERRUPTED, ABANDONED = "running", "completed", "failed", "interrupted", "abandoned"


@dataclass(frozen=True)
class RunInfo:
    """A poll run still marked running: who started it, and when."""

    id: int
    started_at: dt.datetime
    pid: int | None
    host: str | None


def start_run(db: Database, now: dt.datetime, pid: int | None = None, host: str | None = None) -> int:
    with db.write() as s:
        run = PollRun(
            started_at=now, state=RUNNING, pid=pid, host=host, outcomes=[], new_items=0, updated_items=0, new_matches=0
        )
        s.add(run)
        s.flush()
        return run.id


def running_runs(db: Database) -> list[RunInfo]:
    with db.read() as s:
        q = select(PollRun.id, PollRun.started_at, PollRun.pid, PollRun.host).where(PollRun.state == RUNNING)
        return [RunInfo(*r) for r in s.execute(q.order_by(PollRun.id))]


def abandon_runs(db: Database, runs: Sequence[tuple[int, str]], now: dt.datetime) -> None:
    """Mark runs nobody will finish (id, why) abandoned; a run that finished meanwhile is left as it ended."""
    if not runs:
        return
    with db.write() as s:
        for run_id, why in runs:
            s.execute(
                update(PollRun)
                .where(PollRun.id == run_id, PollRun.state == RUNNING)
                .values(state=ABANDONED, finished_at=now, error=why)
            )


def finish_run(
    db: Database,
    run_id: int,
    now: dt.datetime,
    outcomes: list[dict[str, Any]],
    new_items: int,
    updated_items: int,
    new_matches: int,
    state: str = COMPLETED,
    error: str | None = None,
) -> None:
    with db.write() as s:
        run = s.get(PollRun, run_id)
        assert run is not None
        run.finished_at, run.outcomes, run.state, run.error = now, outcomes, state, error
        run.new_items, run.updated_items, run.new_matches = new_items, updated_items, new_matches


@dataclass(frozen=True)
class FeedHealth:
    id: str
    title: str
    type: str
    url: str
    enabled: bool
    last_checked: dt.datetime | None
    last_success: dt.datetime | None
    last_status: int | None
    consecutive_failures: int
    last_error: str | None
    next_check_after: dt.datetime | None
    items: int


def health(db: Database) -> list[FeedHealth]:
    """Active feeds, failing ones first (most consecutive failures), then by id."""
    from sqlalchemy import func

    with db.read() as s:
        counts = {k: n for k, n in s.execute(select(Item.feed_id, func.count()).group_by(Item.feed_id))}
        feeds = s.scalars(select(Feed).where(Feed.retired_at.is_(None))).all()
        rows = [
            FeedHealth(
                f.id,
                f.title,
                f.type,
                f.url,
                f.enabled,
                f.last_checked,
                f.last_success,
                f.last_status,
                f.consecutive_failures,
                f.last_error,
                f.next_check_after,
                counts.get(f.id, 0),
            )
            for f in feeds
        ]
    return sorted(rows, key=lambda r: (-r.consecutive_failures, r.id))
