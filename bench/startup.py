"""Start-up benchmark: how long a command takes from exec to exit, as a ratio to a baseline process.

Baseline: `python -c "import sqlalchemy.orm, pydantic, yaml"`, the libraries any command that reads a home
needs anyway. Measured, each in a fresh process, the real console script of this interpreter's environment:

  monitor --version                         target <= 0.3 x baseline (imports typer, nothing of the library)
  monitor --home <home> milestones          target <= 1.4 x baseline (the shipped home, made by `monitor init`)

Wall-clock time, median of --runs (10) runs each; the three commands take turns, so load on a shared machine
falls on all of them alike. Exits 1 when a target is missed.

    python bench/startup.py
    python bench/startup.py --runs 20
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BASELINE = [sys.executable, "-c", "import sqlalchemy.orm, pydantic, yaml"]
TARGETS = {"monitor --version": 0.3, "monitor milestones": 1.4}


def console_script() -> str:
    found = shutil.which("monitor", path=str(Path(sys.executable).parent))
    if found is None:
        sys.exit(f"no `monitor` console script next to {sys.executable}: pip install -e . first")
    return found


def clean_env() -> dict[str, str]:
    """This environment without MONITOR_* settings, so the home's own SQLite database is used."""
    return {k: v for k, v in os.environ.items() if not k.startswith("MONITOR_")}


def timed(argv: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"{' '.join(argv)} exited {done.returncode}: {done.stderr.strip()}")
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=10, help="runs of each command (default 10)")
    args = parser.parse_args()
    exe = console_script()
    env = clean_env()
    with tempfile.TemporaryDirectory(prefix="monitor-startup-") as tmp:
        home = Path(tmp) / "home"
        subprocess.run([exe, "init", str(home)], env=env, check=True, stdout=subprocess.DEVNULL)
        commands = {
            "baseline": BASELINE,
            "monitor --version": [exe, "--version"],
            "monitor milestones": [exe, "--home", str(home), "milestones"],
        }
        for argv in commands.values():  # warm the file cache and the database (first run migrates nothing)
            timed(argv, env)
        times: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(args.runs):
            for name, argv in commands.items():
                times[name].append(timed(argv, env))
    medians = {name: statistics.median(t) for name, t in times.items()}
    base = medians["baseline"]
    print(f"{'command':<22} {'median':>8} {'ratio':>7} {'target':>8}")
    print(f"{'baseline':<22} {base:>7.3f}s {1:>7.2f} {'':>8}")
    missed = False
    for name, target in TARGETS.items():
        ratio = medians[name] / base
        ok = ratio <= target
        missed |= not ok
        print(f"{name:<22} {medians[name]:>7.3f}s {ratio:>7.2f} {'<= ' + str(target):>8} {'ok' if ok else 'MISSED'}")
    print(f"(medians of {args.runs} runs, each in a fresh process; baseline: {' '.join(BASELINE[1:])})")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
