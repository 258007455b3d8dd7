"""Parse worker processes that die with the monitor process, however it dies.

The forkserver preloads this module and the parsers (monitor.sources.parse), so each worker starts in
milliseconds with them loaded and carries no database or HTTP code. This module imports only the standard
library: the monitor process that starts the pool does not load the parsers for it (parse() imports them when it
runs, which in a worker they already are).

Workers are children of the forkserver, not of the monitor process, and each holds the write end of the pipe
whose EOF tells the forkserver its client is gone: left alone, a monitor killed by any signal leaves the
forkserver and every worker running, each keeping the other alive. So each worker, first thing (worker_init):
- closes its copy of that pipe: when the monitor process dies the forkserver sees EOF and exits;
- on Linux asks the kernel for SIGKILL when its parent (the forkserver) dies: no Python code needs to run,
  so even a worker stuck in C code holding the GIL goes;
- runs a watchdog thread that exits the worker when the monitor process is gone (the portable fallback).
"""

from __future__ import annotations

import concurrent.futures as cf
import ctypes
import multiprocessing
import os
import select
import signal
import sys
import threading
import time
from typing import Any

PR_SET_PDEATHSIG = 1
PRELOAD = [__name__, "monitor.sources.parse"]  # what the forkserver imports once, before it forks any worker


def process_pool(workers: int, spec: Any = None) -> cf.ProcessPoolExecutor:
    """A pool of `workers` parse processes that die with this process.

    forkserver, not fork: a worker forked mid-cycle would inherit every open socket and database handle. The
    server preloads this module once, so each worker starts in milliseconds."""
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(PRELOAD)
    return cf.ProcessPoolExecutor(workers, mp_context=ctx, initializer=worker_init, initargs=(os.getpid(), spec))


def parse(spec: Any, *args: Any) -> Any:
    """monitor.sources.parse.parse_pages, sent by name so the caller need not import it. With a
    matching.MatchSpec, also each item's matches: (ParsedFeed, tuple of matching.Matched, or None)."""
    from .sources.parse import parse_pages

    parsed = parse_pages(*args)
    if spec is None or parsed.error or not parsed.items:
        return parsed, None
    from .matching import match_items

    return parsed, match_items(spec, parsed.items)


_spec: Any = None  # a worker's MatchSpec, given once by the pool's initializer (not pickled with every task)


def parse_here(*args: Any) -> Any:
    """parse() in a worker, with the MatchSpec its pool was started with."""
    return parse(_spec, *args)


def start_workers(pool: cf.Executor, workers: int) -> None:
    """Start a process pool's forkserver and workers now (an empty task each) rather than on the first real task:
    a cycle that will certainly parse starts them while its first requests are on the network."""
    if isinstance(pool, cf.ProcessPoolExecutor):
        for _ in range(workers):
            pool.submit(os.getpid)


def kill_workers(pool: cf.Executor) -> None:
    """Kill a process pool's workers mid-task (a thread pool has none)."""
    if isinstance(pool, cf.ProcessPoolExecutor):
        for proc in list((getattr(pool, "_processes", None) or {}).values()):  # no public way before 3.14
            proc.kill()


def worker_init(monitor_pid: int, spec: Any = None) -> None:
    global _spec
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole process group: the monitor decides
    _spec = spec
    _close_forkserver_alive_fd()
    _die_with_parent()
    threading.Thread(target=_watch, args=(monitor_pid,), name="monitor-watchdog", daemon=True).start()


def pid_alive(pid: int) -> bool:
    """Whether a process of this host is still running (a zombie is not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as f:
            return f.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except (OSError, IndexError):
        return True


def _close_forkserver_alive_fd() -> None:
    from multiprocessing import forkserver

    server = getattr(forkserver, "_forkserver", None)
    fd = getattr(server, "_forkserver_alive_fd", None)
    if isinstance(fd, int):
        os.close(fd)
        server._forkserver_alive_fd = None  # type: ignore[union-attr]


def _die_with_parent() -> None:
    if not sys.platform.startswith("linux"):
        return
    parent = os.getppid()
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:  # the parent died before the request took effect
        os._exit(1)


def _watch(pid: int) -> None:
    """Exit this process as soon as process `pid` has ended."""
    try:
        handle = os.pidfd_open(pid)
    except ProcessLookupError:
        os._exit(1)
    except (AttributeError, OSError):  # not Linux 5.3+: ask every half second
        while pid_alive(pid):
            time.sleep(0.5)
        os._exit(1)
    select.select([handle], [], [])  # readable once the process has ended
    os._exit(1)
