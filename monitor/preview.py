"""Trying a source once (`monitor feeds test`): fetch it, parse it, and show what a poll would store and what each
item would match, storing nothing. The database is only read: the config is not synced, no item, match, feed
health or poll run is written, and the fetch is unconditional (no stored validators), so the items show even
when the feed has not changed since the last poll."""

from __future__ import annotations

import asyncio
import datetime as dt
from dataclasses import dataclass
from typing import Literal

from .app import App
from .config import inside_home
from .definitions import FeedDef
from .definitions.urls import URL_RULE, is_local, url_problem
from .errors import InputError, unknown_id
from .evidence import matcher_for, open_milestones
from .feeds_file import FEED_TYPES, derive_id, sniff_type
from .match.engine import ItemText
from .plan.items import plan_items
from .sources.fetch import FeedState, Fetcher, FetchResult
from .sources.parse import parse_pages
from .storage import feeds as feed_store

ItemState = Literal["new", "changed", "stored"]


@dataclass(frozen=True)
class WouldMatch:
    milestone: str
    signal: str
    score: float


@dataclass(frozen=True)
class PreviewItem:
    title: str
    published: dt.datetime
    link: str | None
    state: ItemState  # what a poll would do with it: store it (new), rewrite it (changed), nothing (stored)
    matches: tuple[WouldMatch, ...]


@dataclass(frozen=True)
class FeedPreview:
    feed: str  # the configured id, or the id `feeds add` would give the URL
    configured: bool
    type: str
    url: str
    status: int | None
    error: str | None
    title: str | None  # the document's own title
    items: tuple[PreviewItem, ...]
    warnings: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return self.error is None


def _looks_like_url(key: str) -> bool:
    return "/" in key or ":" in key or "." in key


def source_for(app: App, key: str, feed_type: str | None) -> tuple[FeedDef, bool]:
    """The configured feed `key` names, or an unconfigured source at the URL (or path) `key`; whether configured."""
    defs = app.definitions.feeds
    found = next((f for f in defs if f.id == key), None)
    if found is not None:
        if feed_type is not None and feed_type != found.type:
            raise InputError(f"--type: feed {key!r} is configured as {found.type!r}")
        return found, True
    if not _looks_like_url(key):
        raise unknown_id("feed", key, [f.id for f in defs])
    kind = feed_type or sniff_type(key)
    if kind not in FEED_TYPES:
        raise InputError(f"--type: unknown source type {kind!r} (one of: {', '.join(FEED_TYPES)})")
    if kind == "html":
        raise InputError("an html listing page needs CSS selectors: add it to config/feeds.yaml with 'select'")
    why = url_problem(key)
    if why is None and is_local(key) and not inside_home(app.config.home)(key):
        why = "a file outside the home"
    if why is not None:
        raise InputError(f"{URL_RULE}, got {key!r}{f' ({why})' if why else ''}")
    taken = [f.id for f in defs]
    return FeedDef(derive_id(key, taken), key, kind, key, "news", (), True), False  # type: ignore[arg-type]


def preview_feed(app: App, key: str, feed_type: str | None = None) -> FeedPreview:
    """Fetch and parse one source and match its items against the open milestones; nothing is written."""
    feed, configured = source_for(app, key, feed_type)

    async def fetch() -> FetchResult:
        async with Fetcher(app.settings.http, app.clock, app.config.home.path) as fetcher:
            state = FeedState(feed.id, feed.type, feed.url, select=feed.select, max_pages=feed.max_pages)
            return await fetcher.fetch(state)

    fetched = asyncio.run(fetch())
    if fetched.outcome == "error":
        return FeedPreview(feed.id, configured, feed.type, feed.url, fetched.status, fetched.error, None, ())
    parsed = parse_pages(
        feed.type, fetched.bodies, fetched.headers, fetched.url or feed.url, fetched.fetched_at, feed.select
    )
    warnings = fetched.warnings + parsed.warnings
    if parsed.error:
        return FeedPreview(feed.id, configured, feed.type, feed.url, fetched.status, parsed.error, None, (), warnings)
    stored = feed_store.stored_versions(app.db, feed.id, [i.key for i in parsed.items]) if configured else {}
    plan = plan_items(stored, parsed.items)
    state: dict[str, ItemState] = {i.key: "new" for i in plan.insert}
    state.update({i.key: "changed" for _, i in plan.update})
    matcher = matcher_for(app)
    scope = frozenset(open_milestones(app, with_rule=False))
    items = tuple(
        PreviewItem(
            i.title,
            i.published,
            i.link,
            state.get(i.key, "stored"),
            tuple(
                WouldMatch(m.milestone, m.signal, m.score)
                for m in matcher.match(ItemText(i.title, i.text, i.published.date()), scope)
            ),
        )
        for i in parsed.items
    )
    return FeedPreview(
        feed.id, configured, feed.type, feed.url, fetched.status, None, parsed.title, items, warnings
    )
