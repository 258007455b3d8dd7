"""Fetching over sources/http1.py (asyncio streams and h11, connections kept alive per origin; httpx only parses
URLs): bounded concurrency overall and per host, timeouts, bounded redirects that stay on the feed's host,
conditional GET, Retry-After, and a body cap that counts decompressed bytes. FeedState in, FetchResult out;
nothing stored, nothing raised for anything a server sends."""

from __future__ import annotations

import asyncio
import datetime as dt
import email.utils
import hashlib
import ipaddress
import re
import socket
import ssl
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal, Protocol
from urllib.parse import unquote, urlsplit

import brotli
import httpx

from ..clock import Clock
from . import http1
from .select import SelectDef
from .strings import clean, header_value, one_line

MAX_RETRY_AFTER = dt.timedelta(days=7)
MAX_VALIDATOR = 1_024  # an ETag or Last-Modified longer than this is not kept (nor sent back)
REDIRECTS = (301, 302, 303, 307, 308)
DEFAULT_PORT = {"http": 80, "https": 443}
_VALIDATOR = re.compile(r"[\x20-\x7e]+")  # what can be sent back in a header as it was received
Outcome = Literal["fetched", "not_modified", "unchanged", "error"]


class HttpLimits(Protocol):
    """What the fetcher reads of the `http:` settings (monitor.settings.Http is one; monitor.early builds another
    before the settings models are loaded)."""

    @property
    def timeout_s(self) -> float: ...
    @property
    def concurrency(self) -> int: ...
    @property
    def per_host(self) -> int: ...
    @property
    def max_bytes(self) -> int: ...
    @property
    def max_redirects(self) -> int: ...
    @property
    def redirect_hosts(self) -> list[str]: ...
    @property
    def user_agent_header(self) -> str: ...


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
    warnings: tuple[str, ...] = ()  # problems that did not fail the fetch: "page 2: HTTP 500"


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
    """One per poll cycle: one HTTP/1.1 client keeping connections alive per origin, a global limit and one per
    host."""

    def __init__(
        self,
        http: HttpLimits,
        clock: Clock,
        base_dir: Path | None = None,
        on_request: Callable[[], None] | None = None,
    ):
        """`on_request` hears each request as it is about to go out (monitor.early waits for its first wave)."""
        self.http = http
        self._on_request = on_request
        self.clock = clock
        self.base_dir = base_dir or Path.cwd()
        self._all = asyncio.Semaphore(http.concurrency)
        self._http = http1.Client(http.user_agent_header, self._tls)
        self._hosts: dict[str, asyncio.Semaphore] = {}
        self._ssl: ssl.SSLContext | None = None  # built on the first https request (30 ms), then shared

    async def __aenter__(self) -> Fetcher:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._http.close()

    def _tls(self) -> ssl.SSLContext:
        """The system's certificates, loaded when the first https request needs them."""
        if self._ssl is None:
            self._ssl = ssl.create_default_context()
        return self._ssl

    async def fetch(self, state: FeedState) -> FetchResult:
        """Never raises for anything a server or a file sends: that is the result's `error`."""
        try:
            if _is_local(state.url):
                result = self._read_local(state)
            else:
                async with self._all:
                    result = await self._fetch_http(state)
        except _Failed as e:
            result = FetchResult(
                state.id,
                "error",
                self.clock.now(),
                status=e.status,
                url=state.url,
                error=str(e),
                retry_after=e.retry_after,
            )
        return clean_result(result)

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
        etag, modified = _validator(headers.get("etag")), _validator(headers.get("last-modified"))
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
        warnings: list[str] = []
        if state.type == "federal_register":
            bodies += await self._more_pages(state, body, warnings)
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
            warnings=tuple(warnings),
        )

    async def _more_pages(self, state: FeedState, first: bytes, warnings: list[str]) -> list[bytes]:
        """Follow next_page_url (same scheme and host only) up to max_pages in all. A page that cannot be
        fetched ends the paging with a warning: the pages before it are kept."""
        from .federal_register import next_page  # the parsers' module: imported by the one type that pages

        pages: list[bytes] = []
        body = first
        for n in range(2, state.max_pages + 1):
            nxt = next_page(body, state.url)
            if not nxt:
                break
            try:
                _, _, body, _ = await self._get(nxt, {})
            except _Failed as e:
                warnings.append(f"page {n}: {e}")
                break
            pages.append(body)
        return pages

    async def _get(self, url: str, extra: dict[str, str]) -> tuple[int, dict[str, str], bytes, str]:
        host = urlsplit(url).netloc.lower()
        slot = self._hosts.setdefault(host, asyncio.Semaphore(self.http.per_host))
        async with slot:  # waiting for a slot is not part of the request's timeout
            return await self._get_now(url, extra)

    async def _get_now(self, url: str, extra: dict[str, str]) -> tuple[int, dict[str, str], bytes, str]:
        """GET, following up to max_redirects redirects that redirect_refusal allows; one timeout for it all. The
        conditional headers go along to the redirect's target, as browsers and httpx send them."""
        try:
            async with asyncio.timeout(self.http.timeout_s):
                origin = current = httpx.URL(url)
                for _ in range(self.http.max_redirects + 1):
                    if current.scheme not in DEFAULT_PORT:
                        raise _Failed(f"bad URL: unsupported scheme {current.scheme!r}")
                    if not current.host:
                        raise _Failed(f"bad URL: no host in {_show(str(current))}")
                    host = current.raw_host.decode("ascii")
                    if self._on_request is not None:
                        self._on_request()
                    resp = await self._http.get(
                        current.scheme,
                        host,  # bare, also an IPv6 address: the client brackets it where HTTP wants brackets
                        current.port or DEFAULT_PORT[current.scheme],
                        current.raw_path,
                        extra,
                    )
                    try:
                        raw = _joined(resp.headers)
                        headers = {k: header_value(v) for k, v in raw.items()}
                        location = raw.get("location")  # as sent: control characters are refused, not dropped
                        if resp.status not in REDIRECTS or location is None:
                            return await self._read(resp, headers, str(current))
                        refusal = redirect_refusal(origin, current, location, self.http.redirect_hosts)
                        if refusal:
                            raise _Failed(refusal, resp.status)
                        current = _redirect_target(current, location)  # the redirect's body is never read
                    finally:
                        resp.close()
                raise _Failed(f"more than {self.http.max_redirects} redirects (a redirect loop?)")
        except TimeoutError:
            raise _Failed(f"timeout after {self.http.timeout_s:g} s") from None
        except http1.ConnectFailed as e:
            raise _Failed(f"cannot connect: {_first_line(e)}") from None
        except http1.Broken as e:
            raise _Failed(f"connection broken: {_first_line(e) or type(e).__name__}") from None
        except (httpx.InvalidURL, UnicodeError) as e:
            raise _Failed(f"bad URL: {_first_line(e)}") from None

    async def _read(
        self, resp: http1.Response, headers: dict[str, str], url: str
    ) -> tuple[int, dict[str, str], bytes, str]:
        limit = self.http.max_bytes
        status = resp.status
        if status == 304:
            async for _ in resp.body():  # no body: reading to its end gives the connection back to be kept alive
                pass
            return status, headers, b"", url
        if status >= 400 or status < 200:
            retry = _retry_after(headers.get("retry-after"), self.clock.now()) if status in (429, 503) else None
            raise _Failed(f"HTTP {status}", status, retry)
        if status in REDIRECTS:
            raise _Failed(f"HTTP {status} without a Location", status)
        if status >= 300:  # 300 Multiple Choices and the like: not a document
            raise _Failed(f"HTTP {status}", status)
        declared = headers.get("content-length", "")
        if declared.isascii() and declared.isdigit() and "content-encoding" not in headers and int(declared) > limit:
            raise _Failed(f"body over {megabytes(limit)}", status)
        inflate = Inflater(headers.get("content-encoding", ""), limit)
        chunks = [inflate.feed(raw) async for raw in resp.body()]
        chunks.append(inflate.flush())
        return status, headers, b"".join(chunks), url


def _joined(fields: list[tuple[str, str]]) -> dict[str, str]:
    """Response headers by lower-case name, a repeated header's values joined with ", " (as httpx does)."""
    out: dict[str, str] = {}
    for name, value in fields:
        key = name.lower()
        out[key] = f"{out[key]}, {value}" if key in out else value
    return out


def _redirect_target(current: httpx.URL, location: str) -> httpx.URL:
    """Where a Location sends the request next, as httpx resolves it (relative, or absolute without a host:
    "http:/path" is taken as relative), keeping the current URL's fragment when it has none."""
    target = httpx.URL(location)
    if target.scheme and not target.host:
        target = target.copy_with(host=current.host)
    if target.is_relative_url:
        target = current.join(target)
    if current.fragment and not target.fragment:
        target = target.copy_with(fragment=current.fragment)
    return target


def redirect_refusal(origin: httpx.URL, current: httpx.URL, location: str, allowed_hosts: Iterable[str]) -> str | None:
    """Why a redirect from `current` (in a chain that started at `origin`) to `location` is not followed, or None.

    Followed: http(s), to the origin's host (a leading "www." aside) or a host of http.redirect_hosts, on the
    scheme's default port or the origin's port; never to a link-local, unspecified or multicast address."""
    shown = _show(location)
    try:
        scheme = httpx.URL(location).scheme
        if scheme and scheme not in DEFAULT_PORT:  # before resolving: "mailto:x" has no host to borrow
            return f"redirect to a non-HTTP URL refused: {shown}"
        target = _redirect_target(current, location)
    except httpx.InvalidURL:
        return f"bad redirect Location: {shown}"
    if target.scheme not in DEFAULT_PORT:
        return f"redirect to a non-HTTP URL refused: {shown}"
    shown = _show(str(target))
    address = _address(target.host)
    if address is not None and (address.is_link_local or address.is_unspecified or address.is_multicast):
        return f"redirect to a link-local, unspecified or multicast address refused: {shown}"
    host = target.host.lower()
    allowed = {h.strip().lower().rstrip(".") for h in allowed_hosts}
    if _bare(host) != _bare(origin.host.lower()) and host.rstrip(".") not in allowed:
        return f"redirect to another host refused: {shown} (allow it in http.redirect_hosts)"
    port = target.port or DEFAULT_PORT[target.scheme]
    if port not in (DEFAULT_PORT[target.scheme], origin.port or DEFAULT_PORT.get(origin.scheme)):
        return f"redirect to another port refused: {shown}"
    return None


def _bare(host: str) -> str:
    host = host.rstrip(".")
    return host[4:] if host.startswith("www.") else host


def _address(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The IP address a host names literally, legacy IPv4 forms included ("2852039166" is 169.254.169.254)."""
    try:
        address = ipaddress.ip_address(host.split("%")[0])
    except ValueError:
        try:
            return ipaddress.IPv4Address(socket.inet_aton(host))
        except (OSError, ValueError):
            return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _show(text: str, limit: int = 200) -> str:
    """A URL from a server, shown on one line: control characters escaped, at most `limit` characters."""
    text = "".join(c if c.isprintable() else ascii(c)[1:-1] for c in clean(text))
    return text if len(text) <= limit else text[: limit - 1] + "…"


def clean_result(result: FetchResult) -> FetchResult:
    """The strings of a FetchResult made storable: one-line error and warnings (header values are cleaned
    as they are read)."""
    return replace(
        result,
        url=clean(result.url),
        error=one_line(result.error) if result.error is not None else None,
        warnings=tuple(one_line(w) for w in result.warnings),
    )


def _validator(value: str | None) -> str | None:
    """An ETag or Last-Modified we can send back as received: printable ASCII, not absurdly long."""
    if value is None or len(value) > MAX_VALIDATOR or not _VALIDATOR.fullmatch(value):
        return None
    return value


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
    """Retry-After (seconds or an HTTP date) as a time, between now and now + 7 days; None when unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():
        delay = dt.timedelta(seconds=int(value) if len(value) <= 9 else 10**9)  # 10**30 overflows timedelta
    else:
        try:
            when = email.utils.parsedate_to_datetime(value)
            if when.tzinfo is None:
                when = when.replace(tzinfo=dt.UTC)
            delay = when - now
        except (TypeError, ValueError, OverflowError):
            return None
    delay = max(dt.timedelta(0), min(delay, MAX_RETRY_AFTER))
    return now + delay


def _is_local(url: str) -> bool:
    return url.startswith("file:") or "://" not in url


def _local_path(url: str, base: Path) -> Path:
    if url.startswith("file:"):
        return Path(unquote(urlsplit(url).path))
    path = Path(url).expanduser()
    return path if path.is_absolute() else base / path
