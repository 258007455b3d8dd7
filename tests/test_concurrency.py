"""Two processes changing statuses at the same moment on one home: both succeed, no history is lost."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

from tests.conftest import TODAY, HomeDir

WORKER = textwrap.dedent(
    """
    import sys
    from monitor.app import open_app
    from monitor.clock import clock_from_env
    from monitor.tracking import set_status
    home, own, shared, rounds = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    sys.stdin.readline()  # start together
    changed = 0
    for i in range(rounds):
        app = open_app(home, clock_from_env())
        try:
            for mid in (own, shared):
                status = ("in_progress", "stalled")[i % 2]
                changed += set_status(app, mid, status, by="worker").changed
        finally:
            app.close()
    print(changed)
    """
)


def test_two_processes_change_statuses_at_once(home: HomeDir) -> None:
    env = {**os.environ, **home.env, "MONITOR_NOW": TODAY}
    rounds = 40
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, str(home.path), own, "kr-final-text", str(rounds)],
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for own in ("jp-stockpiling", "jp-price-floor")
    ]
    for w in workers:
        assert w.stdin is not None
        w.stdin.write("go\n")
        w.stdin.flush()
    results = [w.communicate(timeout=120) for w in workers]
    for w, (_out, err) in zip(workers, results, strict=True):
        assert w.returncode == 0, err
        assert "locked" not in err
    changed = sum(int(out.strip()) for out, _ in results)
    history = home.json("history")
    assert len(history) == changed
    assert len([h for h in history if h["milestone"] == "jp-stockpiling"]) == rounds
    assert len([h for h in history if h["milestone"] == "jp-price-floor"]) == rounds
    # `history` is newest first (ties on the pinned clock broken by insertion order). The shared milestone's
    # history is a consistent chain: each change starts where the previous one ended.
    shared = [(h["from"], h["to"]) for h in reversed(history) if h["milestone"] == "kr-final-text"]
    assert shared[0][0] == "pending"
    for before, after in zip(shared, shared[1:], strict=False):
        assert after[0] == before[1]


def test_two_cli_processes_at_once(home: HomeDir) -> None:
    procs = [
        home.process("status", "vn-annex3-zero-tariff", "in_progress"),
        home.process("complete", "kh-entry-into-force", "--on", "2026-01-15"),
    ]
    for p in procs:
        out, err = p.communicate(timeout=60)
        assert p.returncode == 0, err
    assert {h["milestone"] for h in home.json("history")} == {"vn-annex3-zero-tariff", "kh-entry-into-force"}
