"""Fetching with httpx: bounded concurrency overall and per host, timeouts, bounded redirects, conditional GET,
Retry-After, and a body cap that counts decompressed bytes. FeedState in, FetchResult out; nothing stored."""

from __future__ import annotations

import asyncio
import datetime as dt
import email.utils
import hashlib
import json
import ssl
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from urllib.parse import unquote, urlsplit

import brotli
import httpx

from ..clock import Clock
from ..definitions import SelectDef
from ..settings import Http

MAX_RETRY_AFTER = dt.timedelta(days=7)
Outcome = Literal["fetched", "not_modified", "unchanged", "error"]


@dataclass(frozen=True)
class FeedState:
    """What the fetcher needs to know about one feed: its definition and its last validators."""

    id: str
    type: str
    url: str
    etag: str | None = None
    last_modified: str | None = None
    body_hash: str | None = None
    select: SelectDef | None = None
    max_pages: int = 3


@dataclass(frozen=True)
class FetchResult:
    feed_id: str
    outcome: Outcome
    fetched_at: dt.datetime
    status: int | None = None
    url: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    bodies: tuple[bytes, ...] = ()
    etag: str | None = None
    last_modified: str | None = None
    body_hash: str | None = None
    error: str | None = None
    retry_after: dt.datetime | None = None


class _Failed(Exception):
    def __init__(self, message: str, status: int | None = None, retry_after: dt.datetime | None = None):
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after


def body_hash(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def megabytes(n: int) -> str:
    return f"{n / 1_000_000:g} MB"


class Fetcher:
    """One per poll cycle: an httpx client per host (small pools are cheap per request), a global limit."""

    def __init__(self, http: Http, clock: Clock, base_dir: Path | None = None):
        self.http = http
        self.clock = clock
        self.base_dir = base_dir or Path.cwd()
        self._all = asyncio.Semaphore(http.concurrency)
        self._clients: dict[str, httpx.AsyncClient] = {}
        self._hosts: dict[str, asyncio.Semaphore] = {}
        self._ssl: ssl.SSLContext | None = None  # built once (30 ms each), shared by every host's client

    async def __aenter__(self) -> Fetcher:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await asyncio.gather(*(c.aclose() for c in self._clients.values()), return_exceptions=True)

    def _client(self, url: str) -> httpx.AsyncClient:
        host = urlsplit(url).netloc.lower()
        client = self._clients.get(host)
        if client is None:
            n = self.http.per_host
            if self._ssl is None:
                self._ssl = ssl.create_default_context()
            client = httpx.AsyncClient(
                verify=self._ssl,
                timeout=httpx.Timeout(self.http.timeout_s),
                limits=httpx.Limits(max_connections=n, max_keepalive_connections=n),
                follow_redirects=True,
                max_redirects=self.http.max_redirects,
                headers={"User-Agent": self.http.user_agent_header, "Accept-Encoding": "gzip, deflate, br"},
                trust_env=False,
            )
            self._clients[host] = client
        return client

    async def fetch(self, state: FeedState) -> FetchResult:
        try:
            if _is_local(state.url):
                return self._read_local(state)
            async with self._all:
                return await self._fetch_http(state)
        except _Failed as e:
            return FetchResult(
                state.id,
                "error",
                self.clock.now(),
                status=e.status,
                url=state.url,
                error=str(e),
                retry_after=e.retry_after,
            )

    # ------------------------------------------------------------------ local files

    def _read_local(self, state: FeedState) -> FetchResult:
        path = _local_path(state.url, self.base_dir)
        try:
            size = path.stat().st_size
            if size > self.http.max_bytes:
                raise _Failed(f"body over {megabytes(self.http.max_bytes)}")
            body = path.read_bytes()
        except OSError as e:
            raise _Failed(f"cannot read {path}: {e.strerror or e}") from None
        digest = body_hash(body)
        now = self.clock.now()
        if digest == state.body_hash:
            return FetchResult(state.id, "unchanged", now, url=state.url, body_hash=digest)
        return FetchResult(state.id, "fetched", now, url=state.url, bodies=(body,), body_hash=digest)

    # ------------------------------------------------------------------ HTTP

    async def _fetch_http(self, state: FeedState) -> FetchResult:
        conditional = {}
        if state.etag:
            conditional["If-None-Match"] = state.etag
        if state.last_modified:
            conditional["If-Modified-Since"] = state.last_modified
        status, headers, body, final_url = await self._get(state.url, conditional)
        now = self.clock.now()
        etag, modified = headers.get("etag"), headers.get("last-modified")
        if status == 304:
            return FetchResult(
                state.id,
                "not_modified",
                now,
                status=status,
                url=final_url,
                headers=headers,
                etag=etag or state.etag,
                last_modified=modified or state.last_modified,
                body_hash=state.body_hash,
            )
        digest = body_hash(body)
        if digest == state.body_hash:
            return FetchResult(
                state.id,
                "unchanged",
                now,
                status=status,
                url=final_url,
                headers=headers,
                etag=etag,
                last_modified=modified,
                body_hash=digest,
            )
        bodies = [body]
        if state.type == "federal_register":
            bodies += await self._more_pages(state, body)
        return FetchResult(
            state.id,
            "fetched",
            now,
            status=status,
            url=final_url,
            headers=headers,
            bodies=tuple(bodies),
            etag=etag,
            last_modified=modified,
            body_hash=digest,
        )

    async def _more_pages(self, state: FeedState, first: bytes) -> list[bytes]:
        """Follow next_page_url (same host only) up to max_pages in all."""
        from .federal_register import _next

        pages: list[bytes] = []
        body = first
        for _ in range(state.max_pages - 1):
            try:
                doc = json.loads(body)
            except ValueError:
                break
            nxt = _next(doc, state.url) if isinstance(doc, dict) else None
            if not nxt:
                break
            _, _, body, _ = await self._get(nxt, {})
            pages.append(body)
        return pages

    async def _get(self, url: str, extra: dict[str, str]) -> tuple[int, dict[str, str], bytes, str]:
        host = urlsplit(url).netloc.lower()
        slot = self._hosts.setdefault(host, asyncio.Semaphore(self.http.per_host))
        async with slot:  # waiting for a slot is not part of the request's timeout
            return await self._get_now(url, extra)

    async def _get_now(self, url: str, extra: dict[str, str]) -> tuple[int, dict[str, str], bytes, str]:
        limit = self.http.max_bytes
        try:
            async with asyncio.timeout(self.http.timeout_s):
                async with self._client(url).stream("GET", url, headers=extra) as resp:
                    headers = {k.lower(): v for k, v in resp.headers.items()}
                    status = resp.status_code
                    if status == 304:
                        return status, headers, b"", str(resp.url)
                    if status >= 400:
                        retry = (
                            _retry_after(headers.get("retry-after"), self.clock.now()) if status in (429, 503) else None
                        )
                        raise _Failed(f"HTTP {status}", status, retry)
                    declared = headers.get("content-length", "")
                    if declared.isdigit() and "content-encoding" not in headers and int(declared) > limit:
                        raise _Failed(f"body over {megabytes(limit)}", status)
                    inflate = Inflater(headers.get("content-encoding", ""), limit)
                    chunks = [inflate.feed(raw) async for raw in resp.aiter_raw()]
                    chunks.append(inflate.flush())
                    return status, headers, b"".join(chunks), str(resp.url)
        except (TimeoutError, httpx.TimeoutException):
            raise _Failed(f"timeout after {self.http.timeout_s:g} s") from None
        except httpx.TooManyRedirects:
            raise _Failed(f"more than {self.http.max_redirects} redirects (a redirect loop?)") from None
        except httpx.ConnectError as e:
            raise _Failed(f"cannot connect: {_first_line(e)}") from None
        except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError) as e:
            raise _Failed(f"connection broken: {_first_line(e) or type(e).__name__}") from None
        except (httpx.UnsupportedProtocol, httpx.InvalidURL) as e:
            raise _Failed(f"bad URL: {_first_line(e)}") from None
        except httpx.HTTPError as e:
            raise _Failed(f"HTTP error: {_first_line(e) or type(e).__name__}") from None


class Inflater:
    """Undo Content-Encoding chunk by chunk, never producing more than `limit` bytes in all, so the memory a
    response can take is bounded by the cap, not by its compression ratio (a 1 GiB gzip bomb is ~1 MB)."""

    def __init__(self, encoding: str, limit: int):
        codings = [c.strip().lower() for c in encoding.split(",") if c.strip() and c.strip().lower() != "identity"]
        if len(codings) > 1 or (codings and codings[0] not in ("gzip", "x-gzip", "deflate", "br")):
            raise _Failed(f"unsupported Content-Encoding: {encoding}")
        self.coding = codings[0] if codings else ""
        self.limit = limit
        self.produced = 0
        self._first = True
        self._zlib: Any = None
        self._brotli: Any = None
        if self.coding in ("gzip", "x-gzip"):
            self._zlib = zlib.decompressobj(zlib.MAX_WBITS | 16)
        elif self.coding == "deflate":
            self._zlib = zlib.decompressobj()
        elif self.coding == "br":
            self._brotli = brotli.Decompressor()

    def _room(self) -> int:
        return self.limit - self.produced + 1  # one byte more than allowed tells us it is too big

    def _count(self, out: bytes) -> bytes:
        self.produced += len(out)
        if self.produced > self.limit:
            raise _Failed(f"body over {megabytes(self.limit)}")
        return out

    def feed(self, data: bytes) -> bytes:
        if not self.coding:
            return self._count(data)
        try:
            if self._brotli is not None:
                out = [self._count(self._brotli.process(data, output_buffer_limit=self._room()))]
                while not self._brotli.can_accept_more_data():
                    out.append(self._count(self._brotli.process(b"", output_buffer_limit=self._room())))
                return b"".join(out)
            if self._first and self.coding == "deflate":
                self._first = False
                try:
                    return self._count(self._zlib.decompress(data, self._room()))
                except zlib.error:  # "deflate" sent raw, without the zlib header
                    self._zlib = zlib.decompressobj(-zlib.MAX_WBITS)
            return self._count(self._zlib.decompress(data, self._room()))
        except (zlib.error, brotli.error) as e:  # the body is not what its Content-Encoding says
            raise _Failed(f"cannot decode the {self.coding} body: {_first_line(e)}") from None

    def flush(self) -> bytes:
        if self._zlib is not None:
            try:
                return self._count(self._zlib.flush())
            except zlib.error as e:
                raise _Failed(f"cannot decode the {self.coding} body: {_first_line(e)}") from None
        return b""


def _first_line(e: BaseException) -> str:
    text = str(e).strip()
    return text.splitlines()[0][:200] if text else ""


def _retry_after(value: str | None, now: dt.datetime) -> dt.datetime | None:
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        delay = dt.timedelta(seconds=int(value))
    else:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=dt.UTC)
        delay = when - now
    delay = max(dt.timedelta(0), min(delay, MAX_RETRY_AFTER))
    return now + delay


def _is_local(url: str) -> bool:
    return url.startswith("file:") or "://" not in url


def _local_path(url: str, base: Path) -> Path:
    if url.startswith("file:"):
        return Path(unquote(urlsplit(url).path))
    path = Path(url).expanduser()
    return path if path.is_absolute() else base / path
