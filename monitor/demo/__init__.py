"""`monitor demo`: the whole pipeline offline, on bundled sample sources.

A fresh home with the shipped agreements and milestones, its sources replaced by three illustrative samples (an RSS
newswire, a Federal Register documents.json page, a ministry's press-release listing) served from 127.0.0.1; one real
poll cycle (fetch, parse, store, match); the milestone table with the evidence found and what it suggests; the weekly
digest preview. "Today" is pinned to DEMO_NOW, whatever the clock or MONITOR_NOW say, because the samples tell the
story of October 2025 to April 2026. The user's MONITOR_* environment is ignored: a demo never touches a configured
database.

The samples are written for the project and marked illustrative in every file; they are not real news.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..clock import FixedClock
from ..errors import InputError, MonitorError
from ..views import MatchView, MilestoneView
from ..wording import plural
from .server import SAMPLES, SampleServer, sample_bytes

if TYPE_CHECKING:
    from ..app import App

DEMO_NOW = dt.datetime(2026, 4, 20, 9, 0, tzinfo=dt.UTC)
SIGNAL_ORDER = ("completion", "delay", "progress", "none")

FEEDS_HEADER = """\
# The monitor demo's sources: ILLUSTRATIVE samples written for the monitor project, not real news or documents.
# `monitor demo` served them from 127.0.0.1 while it ran; they now read the copies in samples/ next to this file,
# so `monitor poll` works here offline. Replace this file with config/feeds.yaml of a real home to poll the world.
"""

DEMO_FEEDS = (
    # (id, title, type, sample path, tier, countries, select)
    ("demo-newswire", "Illustrative Asia trade newswire (demo sample)", "rss", "/newswire.xml", "news", (), None),
    (
        "demo-federal-register",
        "Illustrative Federal Register documents (demo sample)",
        "federal_register",
        "/federal-register.json",
        "official",
        ("US",),
        None,
    ),
    (
        "demo-press-releases",
        "Illustrative ministry press releases (demo sample listing page)",
        "html",
        "/press-releases.html",
        "official",
        (),
        {"item": "ul.releases li", "title": "a", "link": "a@href", "date": ".date"},
    ),
)


def feeds_yaml(url_of: Callable[[str], str]) -> str:
    """The demo home's feeds.yaml, each sample at url_of(its server path)."""
    lines = [FEEDS_HEADER, "feeds:"]
    for fid, title, kind, path, tier, countries, select in DEMO_FEEDS:
        lines += [f"  - id: {fid}", f"    title: {title}", f"    type: {kind}", f"    url: {url_of(path)}"]
        lines.append(f"    tier: {tier}")
        if countries:
            lines.append(f"    countries: [{', '.join(countries)}]")
        if select:
            lines.append("    select: {" + ", ".join(f'{k}: "{v}"' for k, v in select.items()) + "}")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- what the evidence suggests (pure)


@dataclass(frozen=True)
class DemoRow:
    """One milestone after the demo's poll: its listing view, the evidence by signal (match ids, newest first),
    and what that suggests doing."""

    milestone: MilestoneView
    evidence: Mapping[str, tuple[int, ...]]
    suggestion: str

    @property
    def counts(self) -> dict[str, int]:
        return {s: len(self.evidence.get(s, ())) for s in SIGNAL_ORDER}

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def evidence_phrase(counts: Mapping[str, int]) -> str:
    """ "2 completion, 1 delay" (signals in order of weight); "" for none."""
    return ", ".join(f"{counts[s]} {s}" for s in SIGNAL_ORDER if counts.get(s))


def suggestion(view: MilestoneView, evidence: Mapping[str, tuple[int, ...]]) -> str:
    """What a reviewer would do next, from the strongest signal found; the match to look at first is the newest."""
    mid = view.id
    if view.status in ("complete", "partial", "missed"):
        return f"{view.status}: nothing to do"
    if completion := evidence.get("completion"):
        review = f"`monitor review {completion[0]} confirm --complete`"
        return f"{plural(len(completion), 'completion signal')} — review with {review}"
    if delay := evidence.get("delay"):
        stalled = f"`monitor status {mid} stalled`"
        return f"{plural(len(delay), 'delay signal')} — read `monitor show {mid}`; if it is stuck: {stalled}"
    if progress := evidence.get("progress"):
        return f"{plural(len(progress), 'progress signal')} — under way: `monitor status {mid} in_progress`"
    if mentions := evidence.get("none"):
        return f"{plural(len(mentions), 'mention')} without a step — read `monitor matches --milestone {mid}`"
    if view.deadline_state == "overdue":
        return "overdue, and no evidence found"
    if view.deadline_state == "waiting":
        return "waiting: its due date counts from another milestone's completion"
    return "no evidence found yet"


def demo_rows(views: Sequence[MilestoneView], matches: Sequence[MatchView]) -> tuple[DemoRow, ...]:
    """Every milestone with its evidence grouped by signal; `matches` come newest first."""
    by: dict[str, dict[str, list[int]]] = {}
    for m in matches:
        by.setdefault(m.milestone, {}).setdefault(m.signal, []).append(m.id)
    rows = []
    for v in views:
        evidence = {s: tuple(ids) for s, ids in by.get(v.id, {}).items()}
        rows.append(DemoRow(v, evidence, suggestion(v, evidence)))
    return tuple(rows)


# ---------------------------------------------------------------- the run


@dataclass(frozen=True)
class Preview:
    files: tuple[Path, ...]  # what the digest preview wrote, in the out directory


@dataclass(frozen=True)
class DemoReport:
    today: dt.date
    home: Path
    out: Path
    server: str  # the sample server's base URL while the demo ran
    served: tuple[str, ...]  # the paths it was asked for
    feeds: int
    new_items: int
    new_matches: int
    errors: tuple[str, ...]  # "feed: error" for a sample source that failed (a bug: they are bundled)
    rows: tuple[DemoRow, ...]
    preview: Preview


def clean_environ(environ: Mapping[str, str]) -> dict[str, str]:
    """The environment without MONITOR_* settings: no override reaches the demo's own home and database."""
    return {k: v for k, v in environ.items() if not k.startswith("MONITOR_")}


def prepare_out(out: Path) -> Path:
    out = out.expanduser()
    if out.exists() and not out.is_dir():
        raise InputError(f"--out: {out} exists and is not a directory")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise MonitorError(f"cannot create {out}: {e.strerror or e}") from e
    return out.resolve()


def run_demo(out: Path, home: Path, environ: Mapping[str, str] | None = None) -> DemoReport:
    """Build a demo home at `home` (a new or empty directory), poll the samples once, write the digest preview to
    `out`. The home is left for exploring, its sources pointed at the sample files copied into it."""
    from .. import evidence, tracking
    from ..app import open_app
    from ..poll import poll
    from ..setup import init_home

    env = clean_environ(os.environ if environ is None else environ)
    clock = FixedClock(DEMO_NOW)
    out = prepare_out(out)
    if home.exists() and any(home.iterdir()):
        raise InputError(f"demo home {home} is not empty")
    init_home(home, clock, env)
    feeds_file = home / "config" / "feeds.yaml"
    samples = home / "samples"
    samples.mkdir()
    for s in SAMPLES:
        (samples / s.file).write_bytes(sample_bytes(s.file))
    with SampleServer() as server:
        feeds_file.write_text(feeds_yaml(server.url), encoding="utf-8")
        app = open_app(home, clock, env)
        try:
            report = poll(app)
            rows = demo_rows(tracking.list_milestones(app), evidence.list_matches(app))
            preview = digest_preview(app, out)
        finally:
            app.close()
        served = tuple(server.requests)
        base = server.base_url
    files = {s.path: s.file for s in SAMPLES}
    feeds_file.write_text(feeds_yaml(lambda path: f"samples/{files[path]}"), encoding="utf-8")
    return DemoReport(
        today=DEMO_NOW.date(),
        home=home,
        out=out,
        server=base,
        served=served,
        feeds=len(report.feeds),
        new_items=report.new_items,
        new_matches=report.new_matches,
        errors=tuple(f"{f.id}: {f.error}" for f in report.feeds if f.outcome == "error"),
        rows=rows,
        preview=preview,
    )


DEMO_READER = "analyst@example.org"  # the demo home has no subscribers: the preview is the test digest to this


def digest_preview(app: App, out: Path) -> Preview:
    """The weekly digest (.html, .txt, .eml) a reader following everything would get now, written to `out`."""
    from ..digest import preview_digests

    before = {p.name for p in out.iterdir()}
    preview_digests(app, "weekly", out, to=DEMO_READER)
    written = sorted(p for p in out.iterdir() if p.suffix in (".html", ".txt", ".eml") and p.name not in before)
    if not written:
        written = sorted(p for p in out.iterdir() if p.suffix in (".html", ".txt", ".eml"))
    return Preview(tuple(written))


def remove_home(home: Path) -> None:
    """Take away a demo home that could not be made (the CLI's clean-up after an error)."""
    shutil.rmtree(home, ignore_errors=True)
