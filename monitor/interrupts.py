"""Stopping the main thread from a signal handler, wherever it is, so that everything unwinds as for Ctrl-C.

Shared by the CLI (SIGTERM stops a command) and the daemon (SIGTERM, SIGINT, and SIGALRM for a poll past its
timeout, stop the running job). Standard library only."""

from __future__ import annotations

import sys


def interrupt(error: BaseException) -> None:
    """Called from a signal handler (so in the main thread): raise `error` there now, or, when an asyncio event
    loop is running there, from a callback of that loop: between task steps, so no task ends with it half-done,
    and asyncio.run cancels every task (their cleanup runs) before it goes on. `error` should be a
    KeyboardInterrupt: asyncio lets only that (and SystemExit) out of a callback."""
    asyncio = sys.modules.get("asyncio")  # not imported: no event loop can be running
    try:
        loop = asyncio.get_running_loop() if asyncio is not None else None
    except RuntimeError:
        loop = None
    if loop is None:
        raise error
    loop.call_soon_threadsafe(_raise, error)


def _raise(error: BaseException) -> None:
    raise error
