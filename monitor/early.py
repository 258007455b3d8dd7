"""An early start for `monitor poll`: the conditional GETs of a SQLite home's feeds go out while the rest of the
program loads (the config models, the ORM, the matcher: a third of a second), instead of after it.

What a request needs is small: the feed's URL and type from config/feeds.yaml, the `http:` limits from
config/monitor.yaml, and the validators (ETag, Last-Modified, body hash) from the database's feeds table, read
with the standard library's sqlite3. Only PyYAML, sqlite3 and the fetcher are imported here. The requests run on
an event loop in a thread of their own.

Nothing is decided here. A feed is fetched early only when its row already holds the very URL its config names
(so that URL passed the config validation when it was synced); the poll cycle then takes an early response only
when the request was exactly the one it would have sent (same FeedState: URL, type, validators, paging, and the
same `http:` settings, compared field by field with the validated ones), and fetches anything else itself. So an
early start changes how soon the answers come, never what is stored. Any surprise (PostgreSQL or a database URL
in the config, MONITOR_* settings in the environment, a file that does not read, an old schema) means no early
start, and the poll runs as it always did. Responses nobody takes are dropped.
"""

from __future__ import annotations

import asyncio
import concurrent.futures as cf
import contextlib
import os
import sqlite3
import sys
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from . import __version__
from .clock import Clock
from .sources.fetch import FeedState, Fetcher, FetchResult
from .yaml_read import read_yaml

# Environment variables that are not settings (anything else MONITOR_* may override one: no early start).
NOT_SETTINGS = frozenset({"MONITOR_HOME", "MONITOR_NOW", "MONITOR_USER", "MONITOR_TEST_DATABASE_URL"})
EARLY_TYPES = ("rss", "federal_register")  # html feeds need their selectors, built by the config models
FIRST_WAVE_WAIT = 0.1  # s, at most: how long start() lets the first round of requests go out undisturbed
SWITCH_INTERVAL = 0.0005  # s, while the early loop runs (sys.setswitchinterval; the default is 0.005)


@dataclass(frozen=True)
class EarlyHttp:
    """The `http:` settings as monitor.yaml gives them, for the fetcher; defaults as monitor.settings.Http's (a test
    keeps them equal)."""

    timeout_s: float = 30
    concurrency: int = 16
    per_host: int = 2
    max_bytes: int = 10_000_000
    max_redirects: int = 5
    redirect_hosts: list[str] = field(default_factory=list)
    user_agent: str = "monitor/<version> (+https://example.org/contact)"

    @property
    def user_agent_header(self) -> str:
        return self.user_agent.replace("<version>", __version__)

    def same_as(self, other: Any) -> bool:
        """Whether the validated settings say exactly this (what the fetcher reads of them)."""
        return all(getattr(other, f.name, None) == getattr(self, f.name) for f in fields(self))


_BOUNDS: dict[str, tuple[Any, Any, Any]] = {
    "timeout_s": ((int, float), 1e-9, 600),
    "concurrency": (int, 1, 256),
    "per_host": (int, 1, 64),
    "max_bytes": (int, 1024, float("inf")),
    "max_redirects": (int, 0, 20),
}


def _http(raw: Any) -> EarlyHttp | None:
    """The limits, or None when monitor.yaml says something the settings model would have to judge."""
    if raw is None:
        return EarlyHttp()
    if not isinstance(raw, dict):
        return None
    values: dict[str, Any] = {}
    value: Any
    for key, value in raw.items():
        if key in _BOUNDS:
            kind, low, high = _BOUNDS[key]
            if isinstance(value, bool) or not isinstance(value, kind) or not low <= value <= high:
                return None
        elif key == "redirect_hosts":
            if not isinstance(value, list) or not all(isinstance(h, str) for h in value):
                return None
        elif key == "user_agent":
            if not isinstance(value, str):
                return None
        else:
            return None
        values[key] = value
    return EarlyHttp(**values)


Row = tuple[str, str | None, str | None, str | None]  # url, etag, last_modified, body_hash


def plan(
    settings: Any, feeds: Any, rows: Mapping[str, Row], requested: Sequence[str]
) -> tuple[EarlyHttp, list[FeedState]] | None:
    """What to fetch early, from the two files' raw YAML and the feed rows (id -> url, etag, last_modified,
    body_hash; rows retired or waiting on a Retry-After left out): pure. None when nothing can start early."""
    if not isinstance(settings, dict) or settings.get("database_url") is not None:
        return None
    http = _http(settings.get("http"))
    if http is None or not isinstance(feeds, dict) or not isinstance(feeds.get("feeds"), list):
        return None
    states = []
    for entry in feeds["feeds"]:
        if not isinstance(entry, dict) or not isinstance(entry.get("id"), str):
            continue
        feed_id, url, kind = entry["id"], entry.get("url"), entry.get("type")
        wanted = feed_id in requested if requested else entry.get("enabled", True) is True
        row = rows.get(feed_id)
        if not wanted or row is None or kind not in EARLY_TYPES or not isinstance(url, str) or row[0] != url:
            continue
        if not url.lower().startswith(("http://", "https://")):
            continue
        pages = entry.get("max_pages", 3)
        if isinstance(pages, bool) or not isinstance(pages, int) or not 1 <= pages <= 50:
            continue
        states.append(FeedState(feed_id, kind, url, row[1], row[2], row[3], None, pages))
    return (http, states) if states else None


def _rows(path: Path) -> dict[str, Row]:
    uri = path.resolve().as_uri() + "?mode=ro"  # quoted: a '?', '#' or '%' in the home's path stays part of it
    with contextlib.closing(sqlite3.connect(uri, uri=True, timeout=0.5)) as c:
        rows = c.execute(
            "SELECT id, url, etag, last_modified, body_hash FROM feeds "
            "WHERE retired_at IS NULL AND next_check_after IS NULL"
        ).fetchall()
    return {r[0]: (r[1], r[2], r[3], r[4]) for r in rows}


class Early:
    """Requests started before the poll cycle, on their own event loop in a thread; taken one by one by the cycle
    (take), dropped at close."""

    def __init__(self, http: EarlyHttp, states: list[FeedState], clock: Clock, base_dir: Path):
        self.http = http
        self._loop = asyncio.new_event_loop()
        per_host: dict[str, int] = {}
        for st in states:
            host = urlsplit(st.url).hostname or ""
            per_host[host] = per_host.get(host, 0) + 1
        # requests the first round sends: no more than `per_host` of one host go out at once
        self._wave = min(http.concurrency, sum(min(http.per_host, n) for n in per_host.values()))
        self._sent = 0
        self._first_wave = threading.Event()
        self._fetcher = Fetcher(http, clock, base_dir, on_request=self._heard)
        self._thread = threading.Thread(target=self._loop.run_forever, name="monitor-early", daemon=True)
        # Two threads now take turns with the interpreter (this loop answering responses, the main thread loading
        # the program, then running the cycle): a thread that wants it waits up to the switch interval, 5 ms by
        # default, and a round of responses asks many times. Shorter while the early loop runs.
        self._switch = sys.getswitchinterval()
        sys.setswitchinterval(SWITCH_INTERVAL)
        self._thread.start()
        self._pending: dict[str, tuple[FeedState, cf.Future[FetchResult]]] = {
            s.id: (s, asyncio.run_coroutine_threadsafe(self._fetcher.fetch(s), self._loop)) for s in states
        }
        self._all = [future for _, future in self._pending.values()]

    def _heard(self) -> None:
        self._sent += 1
        if self._sent >= self._wave:
            self._first_wave.set()

    def wait_first_wave(self, timeout: float) -> None:
        """Let the first round of requests go out before the caller loads the rest of the program: while this
        thread waits, the event loop has the interpreter to itself."""
        self._first_wave.wait(timeout)

    async def settled(self) -> None:
        """Wait until no early request is in flight. The cycle fetches a feed of its own only then, so the early
        requests and the cycle's never exceed `http.concurrency` and `per_host` together."""
        flying = [f for f in self._all if not f.done()]
        if flying:
            await asyncio.gather(*(asyncio.wrap_future(f) for f in flying), return_exceptions=True)

    def take(self, state: FeedState, http: Any) -> cf.Future[FetchResult] | None:
        """The early request for this feed, if it was exactly `state` under these settings; each is taken once."""
        got = self._pending.pop(state.id, None)
        if got is None or got[0] != state or not self.http.same_as(http):
            if got is not None:
                got[1].cancel()
            return None
        return got[1]

    def close(self) -> None:
        """Drop what was not taken, close the connections, stop the thread."""
        for _, future in self._pending.values():
            future.cancel()
        self._pending.clear()
        if self._loop.is_closed():
            return
        with contextlib.suppress(cf.TimeoutError, cf.CancelledError, RuntimeError):
            asyncio.run_coroutine_threadsafe(self._fetcher.__aexit__(None, None, None), self._loop).result(timeout=5)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)
        sys.setswitchinterval(self._switch)
        if not self._thread.is_alive():
            self._loop.close()


def start(home: str | Path | None, requested: Sequence[str], clock: Clock) -> Early | None:
    """Start the early requests of the home's poll, or None (then the poll fetches everything itself)."""
    if any(name.startswith("MONITOR_") and name not in NOT_SETTINGS for name in os.environ):
        return None
    try:
        root = Path(home or os.environ.get("MONITOR_HOME") or os.getcwd()).expanduser()
    except FileNotFoundError:  # the current directory is gone: the command itself says so
        return None
    config, database = root / "config", root / "db" / "monitor.sqlite3"
    problems: list[str] = []
    settings = read_yaml(config / "monitor.yaml", "monitor.yaml", problems)
    feeds = read_yaml(config / "feeds.yaml", "feeds.yaml", problems)
    if problems or not database.is_file():
        return None
    try:
        rows = _rows(database)
    except sqlite3.Error:
        return None
    found = plan(settings, feeds, rows, requested)
    if found is None:
        return None
    early = Early(found[0], found[1], clock, root.resolve())
    early.wait_first_wave(FIRST_WAVE_WAIT)
    return early
