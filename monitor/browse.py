"""Browsing what polling stored (`monitor items`): every item, matched or not, with the milestones it matched."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from .app import App
from .errors import InputError, unknown_id
from .storage import feeds as feed_store
from .storage import item_reads
from .views import ItemView

MAX_SEARCH = 1_000


def list_items(
    app: App,
    feeds: Sequence[str] = (),
    search: str | None = None,
    since: dt.date | None = None,
    limit: int | None = None,
) -> list[ItemView]:
    """Stored items (of any of `feeds`, when given), newest first; raises InputError on an unknown feed id
    (configured, or retired with its items kept) or an empty or overlong search."""
    if feeds:
        known = sorted({f.id for f in app.definitions.feeds} | set(feed_store.next_checks(app.db)))
        for feed in feeds:
            if feed not in known:
                raise unknown_id("feed", feed, known)
    if search is not None:
        search = search.strip()
        if not search:
            raise InputError("--search: empty text")
        if len(search) > MAX_SEARCH:
            raise InputError(f"--search: more than {MAX_SEARCH} characters")
    if limit is not None and limit < 0:
        raise InputError(f"--limit: must be 0 (no limit) or more, got {limit}")
    return item_reads.items(app.db, feeds=tuple(feeds), search=search, since=since, limit=limit or None)
