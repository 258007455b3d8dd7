"""A small Chrome DevTools Protocol client for tests: headless Chromium started with --remote-debugging-pipe, so
no port is opened and nothing needs a WebSocket library. Messages are JSON separated by NUL bytes, written to
the browser's fd 3 and read from its fd 4.

    with Browser() as b:
        page = b.page(width=1280, height=900)
        page.open(path)            # waits for the load event
        page.eval("document.title")
        page.screenshot(out_png)   # the whole page
        page.console_errors(), page.requests()
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import json
import os
import shutil
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--disable-default-apps",
    "--hide-scrollbars",
    "--mute-audio",
    "--remote-debugging-pipe",
)
# fd 3 and 4 in the browser, made by bash (dash takes only one-digit fds) from the numbers the pipes got here
WRAPPER = 'exec 3<&"$1" 4>&"$2"; shift 2; exec "$@"'


class CDPError(Exception):
    pass


def _high(fd: int) -> int:
    """The fd moved to a number of 10 or more, so that the wrapper's `3<&N 4>&M` cannot overwrite one with the
    other."""
    moved = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10)
    os.close(fd)
    return moved


class Browser:
    def __init__(self, executable: Path = CHROMIUM, timeout: float = 20.0) -> None:
        self.timeout = timeout
        self.profile = tempfile.mkdtemp(prefix="monitor-chromium-")
        to_browser_r, to_browser_w = (_high(fd) for fd in os.pipe())
        from_browser_r, from_browser_w = (_high(fd) for fd in os.pipe())
        self.proc = subprocess.Popen(
            ["/bin/bash", "-c", WRAPPER, "bash", str(to_browser_r), str(from_browser_w), str(executable), *FLAGS,
             f"--user-data-dir={self.profile}", "about:blank"],
            pass_fds=(to_browser_r, from_browser_w),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        os.close(to_browser_r)
        os.close(from_browser_w)
        self._out = os.fdopen(to_browser_w, "wb", buffering=0)
        self._in = os.fdopen(from_browser_r, "rb", buffering=0)
        self._lock = threading.Condition()
        self._responses: dict[int, dict[str, Any]] = {}
        self.events: list[dict[str, Any]] = []
        self._next = 0
        self._closed = False
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self.call("Target.setDiscoverTargets", {"discover": False})

    # ---------------------------------------------------------------- protocol

    def _read(self) -> None:
        buffer = b""
        while True:
            chunk = self._in.read(65536)
            if not chunk:
                break
            buffer += chunk
            *messages, buffer = buffer.split(b"\0")
            with self._lock:
                for raw in messages:
                    msg = json.loads(raw)
                    if "id" in msg:
                        self._responses[msg["id"]] = msg
                    else:
                        self.events.append(msg)
                self._lock.notify_all()
        with self._lock:
            self._closed = True
            self._lock.notify_all()

    def call(self, method: str, params: dict[str, Any] | None = None, session: str | None = None) -> dict[str, Any]:
        with self._lock:
            self._next += 1
            ident = self._next
        msg: dict[str, Any] = {"id": ident, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        self._out.write(json.dumps(msg).encode() + b"\0")
        deadline = time.monotonic() + self.timeout
        with self._lock:
            while ident not in self._responses:
                left = deadline - time.monotonic()
                if left <= 0 or self._closed:
                    raise CDPError(f"{method}: no answer ({'browser gone' if self._closed else 'timeout'})")
                self._lock.wait(left)
            answer = self._responses.pop(ident)
        if "error" in answer:
            raise CDPError(f"{method}: {answer['error']}")
        return dict(answer.get("result", {}))

    def wait_for(self, method: str, session: str, after: int = 0) -> dict[str, Any]:
        """The first event `method` of `session` at or after position `after` of the event list."""
        deadline = time.monotonic() + self.timeout
        with self._lock:
            while True:
                for e in self.events[after:]:
                    if e["method"] == method and e.get("sessionId") == session:
                        return e
                left = deadline - time.monotonic()
                if left <= 0 or self._closed:
                    raise CDPError(f"no {method} event")
                self._lock.wait(left)

    def page(self, width: int, height: int, mobile: bool = False, javascript: bool = True) -> Page:
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.call(f"{domain}.enable", session=session)
        self.call(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile},
            session=session,
        )
        if not javascript:
            self.call("Emulation.setScriptExecutionDisabled", {"value": True}, session=session)
        return Page(self, session)

    # ---------------------------------------------------------------- lifetime

    def close(self) -> None:
        with contextlib.suppress(CDPError, OSError):
            self.call("Browser.close")
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        for f in (self._out, self._in):
            with contextlib.suppress(OSError):
                f.close()
        if self.proc.stderr is not None:
            self.proc.stderr.close()
        shutil.rmtree(self.profile, ignore_errors=True)

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class Page:
    def __init__(self, browser: Browser, session: str) -> None:
        self.browser, self.session = browser, session
        self._start = 0  # events of this page from here on belong to the current document

    def call(self, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        return self.browser.call(method, params, self.session)

    def open(self, path: Path) -> str:
        """Load `path` as a file: URL and wait for its load event; returns the URL."""
        url = path.resolve().as_uri()
        with self.browser._lock:
            self._start = len(self.browser.events)
        self.call("Page.navigate", {"url": url})
        self.browser.wait_for("Page.loadEventFired", self.session, self._start)
        return url

    def eval(self, expression: str, await_promise: bool = False) -> Any:
        r = self.call("Runtime.evaluate", {"expression": expression, "returnByValue": True,
                                           "awaitPromise": await_promise})
        if "exceptionDetails" in r:
            raise CDPError(f"{expression!r}: {r['exceptionDetails']}")
        return r["result"].get("value")

    def _events(self) -> list[dict[str, Any]]:
        with self.browser._lock:
            return [e for e in self.browser.events[self._start:] if e.get("sessionId") == self.session]

    def console_errors(self) -> list[str]:
        """Errors and warnings of the current document: console calls, uncaught exceptions, browser log entries
        (a Content-Security-Policy violation, a failed load)."""
        out = []
        for e in self._events():
            p = e["params"]
            if e["method"] == "Runtime.consoleAPICalled" and p["type"] in ("error", "warning", "assert"):
                out.append(f"console.{p['type']}: " + " ".join(str(a.get("value", a.get("description"))) for a in p["args"]))
            elif e["method"] == "Runtime.exceptionThrown":
                out.append(f"exception: {p['exceptionDetails']}")
            elif e["method"] == "Log.entryAdded" and p["entry"]["level"] in ("error", "warning"):
                out.append(f"log ({p['entry']['source']}): {p['entry']['text']}")
        return out

    def requests(self) -> list[str]:
        """Every URL the current document asked for, itself included."""
        return [e["params"]["request"]["url"] for e in self._events() if e["method"] == "Network.requestWillBeSent"]

    def screenshot(self, out: Path) -> Path:
        """A PNG of the whole page (beyond the viewport) at its current width."""
        size = self.call("Page.getLayoutMetrics")["cssContentSize"]
        shot = self.call(
            "Page.captureScreenshot",
            {"format": "png", "captureBeyondViewport": True,
             "clip": {"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1}},
        )
        out.write_bytes(base64.b64decode(shot["data"]))
        return out
