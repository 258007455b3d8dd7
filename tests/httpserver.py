"""A real HTTP server on 127.0.0.1 (ephemeral port) for tests: routes map a path to a scripted response."""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Response:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds before answering (a hanging server)
    reset: bool = False  # close the connection with RST instead of answering
    etag: str | None = None  # answer 304 when If-None-Match matches


Route = Response | Callable[[BaseHTTPRequestHandler], Response]


class _Server6(ThreadingHTTPServer):
    address_family = socket.AF_INET6


class Server:
    def __init__(self, host: str = "127.0.0.1") -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.connections = 0  # TCP connections accepted (keep-alive reuse shows as fewer than requests)
        self._lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                with outer._lock:
                    outer.connections += 1
                super().setup()

            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802
                with outer._lock:
                    outer.requests.append((self.path, {k.lower(): v for k, v in self.headers.items()}))
                route = outer.routes.get(self.path.split("?")[0])
                if route is None:
                    resp = Response(404, b"not found", {"Content-Type": "text/plain"})
                else:
                    resp = route(self) if callable(route) else route
                if resp.delay:
                    time.sleep(resp.delay)
                if resp.reset:
                    # Linger 0 makes the last close send RST; rfile/wfile hold the fd open until closed too.
                    self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    self.close_connection = True
                    self.rfile.close()
                    self.wfile.close()
                    self.connection.close()
                    return
                if resp.etag and self.headers.get("If-None-Match") == resp.etag:
                    self.send_response(304)
                    self.send_header("ETag", resp.etag)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self.send_response(resp.status)
                headers = {"Content-Type": "application/rss+xml", **resp.headers}
                if resp.etag:
                    headers["ETag"] = resp.etag
                for k, v in headers.items():
                    self.send_header(k, v)
                if "Content-Length" not in headers:
                    self.send_header("Content-Length", str(len(resp.body)))
                self.end_headers()
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.wfile.write(resp.body)

        self.host = host
        self.httpd = (_Server6 if ":" in host else ThreadingHTTPServer)((host, 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def base(self) -> str:
        named = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{named}:{self.httpd.server_address[1]}"

    def url(self, path: str) -> str:
        return self.base + path

    def hits(self, path: str) -> int:
        return sum(1 for p, _ in self.requests if p.split("?")[0] == path)

    def __enter__(self) -> Server:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def rss(*items: tuple[str, str], title: str = "Test feed") -> bytes:
    """A small RSS 2.0 document; items are (title, description) pairs, guid = position."""
    entries = "".join(
        f"<item><title>{t}</title><link>/news/{i}</link><guid>item-{i}</guid>"
        f"<pubDate>Mon, 0{1 + i % 9} Dec 2025 10:00:00 GMT</pubDate><description>{d}</description></item>"
        for i, (t, d) in enumerate(items)
    )
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>{title}</title>'
        f"<link>https://example.org/</link>{entries}</channel></rss>"
    ).encode()
