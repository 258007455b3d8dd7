"""A small HTTP/1.1 GET client for the fetcher: asyncio streams, h11 for the protocol, kept-alive connections per
origin. Nothing else: no cookies, proxies, auth, HTTP/2, or redirects (the fetcher decides those).

Why not httpx: a poll cycle is rounds of `concurrency` requests, and every round waits for the CPU its responses
take, one after another; httpx and httpcore spend about 0.6 ms of it per request (client layers, pool scans,
anyio locks), this client about a fifth of that. Redirect rules, decompression with a cap and the timeouts stay in
sources/fetch.py, as they were.
"""

from __future__ import annotations

import asyncio
import contextlib
import select
import ssl
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

import h11

READ = 65_536
KEEP_IDLE_S = 5.0  # an idle connection older than this is closed rather than used again
MAX_SIZE = 64 * 1024  # bytes of status line and headers


class ConnectFailed(Exception):
    """The connection could not be made (refused, unreachable, TLS handshake failed)."""


class Broken(Exception):
    """The connection broke, or the server sent something that is not HTTP/1.1."""


@dataclass
class _Conn:
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    proto: h11.Connection = field(
        default_factory=lambda: h11.Connection(h11.CLIENT, max_incomplete_event_size=MAX_SIZE)
    )
    idle_since: float = 0.0

    def usable(self) -> bool:
        """An idle connection the server has not closed (nothing to read on it) and not too old."""
        if time.monotonic() - self.idle_since > KEEP_IDLE_S or self.reader.at_eof():
            return False
        sock = self.writer.get_extra_info("socket")
        if sock is None:
            return False
        try:
            poller = select.poll()
            poller.register(sock.fileno(), select.POLLIN | select.POLLERR | select.POLLHUP)
            return not poller.poll(0)
        except (OSError, ValueError):
            return False

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.writer.close()


@dataclass
class Response:
    status: int
    headers: list[tuple[str, str]]
    _client: Client
    _origin: tuple[str, str, int]
    _conn: _Conn | None

    async def body(self) -> AsyncIterator[bytes]:
        """The body as it arrives (de-chunked, still content-encoded)."""
        conn = self._conn
        assert conn is not None
        while True:
            event = await self._client._next(conn)
            if isinstance(event, h11.Data):
                yield bytes(event.data)
            elif isinstance(event, h11.EndOfMessage):
                self.release()
                return
            else:
                raise Broken(f"unexpected {type(event).__name__}")

    def release(self) -> None:
        """Give the connection back for the next request when the exchange is complete, else close it."""
        conn, self._conn = self._conn, None
        if conn is None:
            return
        if conn.proto.our_state is h11.DONE and conn.proto.their_state is h11.DONE:
            try:
                conn.proto.start_next_cycle()
            except h11.LocalProtocolError:
                conn.close()
                return
            conn.idle_since = time.monotonic()
            self._client._idle.setdefault(self._origin, []).append(conn)
        else:
            conn.close()

    def close(self) -> None:
        """Done with the response, body read or not: a connection whose body was not read is not reused."""
        self.release()


class Client:
    def __init__(self, user_agent: str, tls: Callable[[], ssl.SSLContext]):
        self.user_agent = user_agent
        self._tls = tls  # the https context, made when the first https request needs it
        self._idle: dict[tuple[str, str, int], list[_Conn]] = {}

    async def get(
        self, scheme: str, host: str, port: int, target: bytes, headers: dict[str, str]
    ) -> Response:
        """Send GET `target` (path and query) to scheme://host:port and read the status line and headers. `host` is
        bare (an IPv6 address without brackets: it is what the socket and TLS take). A kept-alive connection that
        turns out closed is replaced once (a GET is safe to send again)."""
        origin = (scheme, host, port)
        default = 443 if scheme == "https" else 80
        named = f"[{host}]" if ":" in host else host  # an IPv6 address in brackets, in the Host header only
        request = h11.Request(
            method="GET",
            target=target,
            headers=[
                ("Host", named if port == default else f"{named}:{port}"),
                ("User-Agent", self.user_agent),
                ("Accept", "*/*"),
                ("Accept-Encoding", "gzip, deflate, br"),
                *headers.items(),
            ],
        )
        for attempt in range(2):
            conn = self._take(origin)
            fresh = conn is None
            if conn is None:
                conn = await self._connect(scheme, host, port)
            try:
                await self._send(conn, request)
                event = await self._next(conn)
                while isinstance(event, h11.InformationalResponse):
                    event = await self._next(conn)
                if not isinstance(event, h11.Response):
                    raise Broken(f"unexpected {type(event).__name__}")
            except Broken:
                conn.close()
                if fresh or attempt:
                    raise
                continue  # a kept-alive connection the server had closed: once more on a new one
            except BaseException:
                conn.close()
                raise
            fields = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in event.headers]
            return Response(event.status_code, fields, self, origin, conn)
        raise Broken("no response")  # not reached: the second attempt raises

    def _take(self, origin: tuple[str, str, int]) -> _Conn | None:
        idle = self._idle.get(origin)
        while idle:
            conn = idle.pop()
            if conn.usable():
                return conn
            conn.close()
        return None

    async def _connect(self, scheme: str, host: str, port: int) -> _Conn:
        try:
            if scheme == "https":
                reader, writer = await asyncio.open_connection(
                    host, port, ssl=self._tls(), server_hostname=host, limit=READ
                )
            else:
                reader, writer = await asyncio.open_connection(host, port, limit=READ)
        except (OSError, ssl.SSLError) as e:
            raise ConnectFailed(str(e) or type(e).__name__) from None
        return _Conn(reader, writer)

    async def _send(self, conn: _Conn, request: h11.Request) -> None:
        try:
            data = conn.proto.send(request) or b""
            data += conn.proto.send(h11.EndOfMessage()) or b""
            conn.writer.write(data)
            await conn.writer.drain()
        except h11.LocalProtocolError as e:
            raise Broken(str(e)) from None
        except OSError as e:
            raise Broken(str(e) or type(e).__name__) from None

    async def _next(self, conn: _Conn) -> h11.Event:
        while True:
            try:
                event = conn.proto.next_event()
            except h11.RemoteProtocolError as e:
                raise Broken(str(e) or "malformed response") from None
            if event is not h11.NEED_DATA:
                if isinstance(event, h11.ConnectionClosed):
                    raise Broken("the server closed the connection")
                return event  # type: ignore[return-value]
            try:
                data = await conn.reader.read(READ)
            except OSError as e:
                raise Broken(str(e) or type(e).__name__) from None
            conn.proto.receive_data(data)  # b"" tells h11 the connection was closed

    def close(self) -> None:
        for idle in self._idle.values():
            for conn in idle:
                conn.close()
        self._idle.clear()
