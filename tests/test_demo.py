"""`monitor demo` (issue 15): the whole pipeline offline on bundled, illustrative sample sources.

The shipped rules change (the lead revises them), so the assertions are about structure and counts that any
sensible rules give: every shipped milestone listed, evidence for several, at least one completion signal for
kr-final-text, the table's counts equal to the evidence stored; never about exact snippets or ids."""

from __future__ import annotations

import datetime as dt
import json
import re
import socket
import tempfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from monitor.cli import app
from monitor.definitions import SelectDef
from monitor.demo import DEMO_FEEDS, DEMO_NOW, demo_rows, evidence_phrase, feeds_yaml, suggestion
from monitor.demo.server import SAMPLES, SampleServer, sample_bytes
from monitor.resources import default_config_dir
from monitor.sources.parse import parse_body
from monitor.views import MatchView, MilestoneView
from tests.conftest import HomeDir

SHIPPED_MILESTONES = [m["id"] for m in yaml.safe_load((default_config_dir() / "milestones.yaml").read_text())["milestones"]]



@pytest.fixture
def connections(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Every address any socket of this process connects to (asyncio's and httpx's included) while the test runs."""
    seen: list[Any] = []
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex
    real_getaddrinfo = socket.getaddrinfo

    def connect(self: socket.socket, address: Any) -> None:
        seen.append(address)
        return real_connect(self, address)

    def connect_ex(self: socket.socket, address: Any) -> int:
        seen.append(address)
        return real_connect_ex(self, address)

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        seen.append(("lookup", host))
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return seen


def run_demo_cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *args: str, **env: str) -> Any:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # the demo home is made (and kept) in here
    return CliRunner().invoke(app, ["demo", *args], env=env)


def kept_home(stdout: str) -> Path:
    found = re.search(r"The demo home is kept at (\S+):", stdout)
    assert found, stdout
    return Path(found.group(1))


def table_rows(stdout: str) -> dict[str, list[str]]:
    """The milestone table's rows by milestone id: its cells, as printed (stdout is not a terminal: no folding)."""
    rows = {}
    for line in stdout.splitlines():
        cells = [c.strip() for c in line.strip("│ ").split("│")]
        if cells and cells[0] in SHIPPED_MILESTONES:
            rows[cells[0]] = cells
    return rows


def test_demo_runs_the_pipeline_offline(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, connections: list[Any]) -> None:
    out = tmp_path / "demo-out"
    never = tmp_path / "configured.sqlite3"
    r = run_demo_cli(tmp_path, monkeypatch, "--out", str(out), MONITOR_DATABASE_URL=f"sqlite:///{never}")
    assert r.exit_code == 0, (r.stdout, r.stderr, r.exception)
    assert "today pinned to 2026-04-20" in r.stdout
    assert not never.exists()  # the user's configured database is never touched

    # the only server contacted is the demo's own sample server, on loopback
    port = int(re.search(r"on http://127\.0\.0\.1:(\d+): (\d+) new items?, (\d+) new match", r.stdout).group(1))
    assert connections, "the poll made no connection at all?"
    assert {a for a in connections if a[0] != "lookup"} == {("127.0.0.1", port)}
    assert {a[1] for a in connections if a[0] == "lookup"} <= {"127.0.0.1"}

    # every shipped milestone is listed; the counts are those of the evidence stored in the kept home
    rows = table_rows(r.stdout)
    assert sorted(rows) == sorted(SHIPPED_MILESTONES)
    home = kept_home(r.stdout)
    assert home.parent == tmp_path
    matches = json.loads(CliRunner().invoke(app, ["--home", str(home), "matches", "--json"]).stdout)
    counts: dict[str, dict[str, int]] = {}
    for m in matches:
        counts.setdefault(m["milestone"], {}).setdefault(m["signal"], 0)
        counts[m["milestone"]][m["signal"]] += 1
    for mid, cells in rows.items():
        assert cells[-1] == (evidence_phrase(counts[mid]) if mid in counts else "—"), mid
    assert len(counts) >= 6  # the samples tell a story about many milestones
    assert counts["kr-final-text"].get("completion", 0) >= 1
    summary = re.search(r"(\d+) milestones? with evidence \((\d+) completion signals?", r.stdout)
    assert summary and int(summary.group(1)) == len(counts)
    assert int(summary.group(2)) == sum(c.get("completion", 0) for c in counts.values())

    # what it suggests names a real completion match of kr-final-text
    line = re.search(r"kr-final-text: (\d+) completion signals? — review with `monitor review (\d+) confirm --complete`", r.stdout)
    assert line, r.stdout
    completion_ids = {m["id"] for m in matches if m["milestone"] == "kr-final-text" and m["signal"] == "completion"}
    assert (int(line.group(1)), int(line.group(2)) in completion_ids) == (len(completion_ids), True)

    # the weekly digest preview, for a reader following everything: the evidence the poll found is in it
    written = {p.suffix for p in out.iterdir()}
    assert {".html", ".txt", ".eml"} <= written, r.stdout
    assert re.search(r"open \S+\.html in a browser", r.stdout)
    (text,) = [p.read_text(encoding="utf-8") for p in out.iterdir() if p.suffix == ".txt"]
    assert "kr-final-text" in text or "Full text or joint fact sheet" in text

    # the kept home works on its own: its sources now read the bundled files, so a poll finds nothing new
    again = CliRunner().invoke(app, ["--home", str(home), "poll", "--json"])
    assert again.exit_code == 0, again.stderr
    assert [(f["id"], f["outcome"]) for f in json.loads(again.stdout)["feeds"]] == [
        ("demo-newswire", "unchanged"),
        ("demo-federal-register", "unchanged"),
        ("demo-press-releases", "unchanged"),
    ]


def test_demo_refuses_an_out_path_that_is_a_file_and_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "a-file"
    target.write_text("keep me")
    r = run_demo_cli(tmp_path, monkeypatch, "--out", str(target))
    assert r.exit_code == 2
    assert r.stderr == f"error: --out: {target} exists and is not a directory\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-file"]  # no demo home left behind
    assert target.read_text() == "keep me"


def test_demo_sources_to_a_completed_milestone(home: HomeDir) -> None:
    """demo sources -> poll -> matches -> review N confirm --complete -> the milestone is complete (in a normal home,
    so this runs on PostgreSQL too when MONITOR_TEST_DATABASE_URL is set)."""
    with SampleServer() as server:
        (home.path / "config" / "feeds.yaml").write_text(feeds_yaml(server.url), encoding="utf-8")
        polled = home.cli("poll", "--json")
        assert polled.exit_code == 0, polled.stderr
        assert [f["outcome"] for f in json.loads(polled.stdout)["feeds"]] == ["new", "new", "new"]
    found = home.json("matches", "--milestone", "kr-final-text", "--signal", "completion")
    assert isinstance(found, list) and found
    evidence = found[0]
    r = home.cli("review", str(evidence["id"]), "confirm", "--complete")
    assert r.exit_code == 0, r.stderr
    shown = home.json("show", "kr-final-text")
    assert isinstance(shown, dict)
    assert (shown["status"], shown["evidence_url"]) == ("complete", evidence["item_url"])
    assert shown["completed_on"] == evidence["published"][:10]
    assert shown["history"][0]["match_id"] == evidence["id"]
    # the digest preview shows the completed milestone and its evidence
    out = home.path / "preview"
    r = home.cli("digest", "--preview", str(out), "--to", "analyst@example.org")
    assert r.exit_code == 0, r.stderr
    (text,) = [" ".join(p.read_text(encoding="utf-8").split()) for p in out.iterdir() if p.suffix == ".txt"]
    assert "[kr-final-text] pending → complete" in text and evidence["item_url"] in text


@pytest.mark.parametrize("feed", DEMO_FEEDS, ids=[f[0] for f in DEMO_FEEDS])
def test_demo_samples_parse_and_are_marked_illustrative(feed: tuple[Any, ...]) -> None:
    fid, title, kind, path, _tier, _countries, select = feed
    (sample,) = [s for s in SAMPLES if s.path == path]
    body = sample_bytes(sample.file)
    assert b"ILLUSTRATIVE SAMPLE" in body and "Illustrative" in title
    parsed = parse_body(
        kind,
        body,
        {"Content-Type": sample.content_type},
        f"http://127.0.0.1:8000{path}",
        DEMO_NOW,
        SelectDef(**select) if select else None,
    )
    assert parsed.error is None
    assert parsed.title and "illustrative" in parsed.title.lower()  # the feed says so where a reader sees it
    assert len(parsed.items) >= 5
    for item in parsed.items:
        assert item.title and item.link and re.match(r"https://[a-z.]+\.example/", item.link), item.link
        assert dt.datetime(2025, 10, 1, tzinfo=dt.UTC) <= item.published < DEMO_NOW, (item.title, item.published)
        assert item.published_raw  # dated by the sample, not by the fetch


def test_the_samples_tell_positives_and_hard_negatives() -> None:
    """Not tailored to rule terms, but the story has them: North Korea, Japan's domestic politics, other deals,
    China's curbs outside the truce, next to the deals' own news."""
    text = " ".join(sample_bytes(s.file).decode() for s in SAMPLES)
    for negative in ("North Korea", "by-election", "Australia", "Indonesia", "India", "to Japan", "peace accord"):
        assert negative in text
    for positive in ("joint fact sheet", "rapid response group", "exchange notifications", "suspend"):
        assert positive.lower() in text.lower()


def view(mid: str = "m", state: str = "none", status: str = "pending") -> MilestoneView:
    return MilestoneView(mid, "a", "A", "T", status, None, None, None, False, state, None, None, None, False, ())


def match(mid: int, milestone: str, signal: str) -> MatchView:
    when = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    return MatchView(mid, milestone, "t", None, when, "f", 1.0, signal, "new", "", (), (), None, None)


@pytest.mark.parametrize(
    "evidence,state,status,expected",
    [
        ({"completion": (7, 3), "delay": (5,)}, "none", "pending", "2 completion signals — review with `monitor review 7 confirm --complete`"),
        ({"delay": (5,), "progress": (4,)}, "overdue", "pending", "1 delay signal — read `monitor show m`; if it is stuck: `monitor status m stalled`"),
        ({"progress": (4, 2)}, "none", "in_progress", "2 progress signals — under way: `monitor status m in_progress`"),
        ({"none": (9,)}, "none", "pending", "1 mention without a step — read `monitor matches --milestone m`"),
        ({}, "overdue", "pending", "overdue, and no evidence found"),
        ({}, "waiting", "pending", "waiting: its due date counts from another milestone's completion"),
        ({}, "upcoming", "pending", "no evidence found yet"),
        ({"completion": (1,)}, "met", "complete", "complete: nothing to do"),
    ],
)
def test_what_the_evidence_suggests(evidence: dict[str, tuple[int, ...]], state: str, status: str, expected: str) -> None:
    assert suggestion(view(state=state, status=status), evidence) == expected


def test_demo_rows_group_evidence_by_milestone_and_signal() -> None:
    rows = demo_rows([view("a"), view("b")], [match(9, "a", "delay"), match(8, "a", "completion"), match(6, "a", "completion")])
    assert [(r.milestone.id, r.counts, r.total) for r in rows] == [
        ("a", {"completion": 2, "delay": 1, "progress": 0, "none": 0}, 3),
        ("b", {"completion": 0, "delay": 0, "progress": 0, "none": 0}, 0),
    ]
    assert rows[0].evidence["completion"] == (8, 6)
    assert evidence_phrase(rows[0].counts) == "2 completion, 1 delay"
    assert evidence_phrase(rows[1].counts) == ""
