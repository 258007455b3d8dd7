"""The demo's sample sources, served over real HTTP on 127.0.0.1 (an ephemeral port) for the length of the demo.

The files are package data (monitor/demo/samples/), so a wheel install serves them too."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from types import TracebackType


@dataclass(frozen=True)
class Sample:
    path: str  # where the server serves it
    file: str  # in monitor/demo/samples/
    content_type: str


SAMPLES = (
    Sample("/newswire.xml", "newswire.xml", "application/rss+xml; charset=utf-8"),
    Sample("/federal-register.json", "federal-register.json", "application/json; charset=utf-8"),
    Sample("/press-releases.html", "press-releases.html", "text/html; charset=utf-8"),
)


def sample_bytes(name: str) -> bytes:
    return resources.files("monitor.demo").joinpath("samples", name).read_bytes()


class SampleServer:
    """`with SampleServer() as s:` serves SAMPLES at s.url(path) until the block ends; s.requests lists the paths
    asked for. Anything else is a 404."""

    def __init__(self) -> None:
        routes = {s.path: (sample_bytes(s.file), s.content_type) for s in SAMPLES}
        self.requests: list[str] = []
        requests = self.requests

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:  # the demo prints its own story
                pass

            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                requests.append(self.path)
                body, ctype = routes.get(self.path.split("?", 1)[0], (b"not found", "text/plain"))
                self.send_response(200 if ctype != "text/plain" else 404)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="monitor-demo-server", daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    def url(self, path: str) -> str:
        return self.base_url + path

    def __enter__(self) -> SampleServer:
        self._thread.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)
