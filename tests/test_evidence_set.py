"""The real development set (tests/data/evidence/*.yaml) is well-formed, and the scorer's split and counting
(bench/evidence.py) are right. The set's figures themselves are printed by the scorer, not asserted here."""

from __future__ import annotations

import datetime as dt
import importlib.util
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

from monitor import config
from monitor.home import Home

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "tests" / "data" / "evidence"
FILES = sorted(DATA.glob("*.yaml"))
KEYS = {"title", "link", "source", "date", "lang", "summary", "summary_en", "milestones", "signal", "note"}


def _bench(file: str, name: str):  # type: ignore[no-untyped-def]
    """bench/`file`, loaded by its path as module `name` (bench/ is not a package)."""
    spec = importlib.util.spec_from_file_location(name, REPO / "bench" / file)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


ev = _bench("evidence.py", "bench_evidence")


def test_there_is_a_set() -> None:
    assert FILES, f"no development set under {DATA}"


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_items_are_well_formed(path: Path) -> None:
    known = {m.id for m in config.load(Home(REPO), environ={}).definitions.milestones}
    items = yaml.safe_load(path.read_text(encoding="utf-8"))["items"] or []
    problems = []
    for n, it in enumerate(items):
        where = f"{path.name} items[{n}] {str(it.get('title'))[:50]!r}"
        if set(it) - KEYS:
            problems.append(f"{where}: unknown keys {sorted(set(it) - KEYS)}")
        if not (isinstance(it.get("title"), str) and it["title"].strip()):
            problems.append(f"{where}: no title")
        link = urlsplit(str(it.get("link") or ""))
        if link.scheme not in ("http", "https") or not link.netloc:
            problems.append(f"{where}: link is not an http(s) URL")
        if not (isinstance(it.get("summary"), str) and it["summary"].strip()):
            problems.append(f"{where}: no summary")
        # the summary is in the title's language, as the source's feed would carry it; an English rendering of it
        # may follow for readers, and is never matched
        if "summary_en" in it and it.get("lang") == "en":
            problems.append(f"{where}: summary_en on an English item")
        if not isinstance(it.get("date"), dt.date | None):
            problems.append(f"{where}: date is not YYYY-MM-DD or null")
        unknown = set(it.get("milestones") or ()) - known
        if unknown:
            problems.append(f"{where}: unknown milestones {sorted(unknown)}")
        if it.get("signal") not in ev.SIGNALS:
            problems.append(f"{where}: signal {it.get('signal')!r} not one of {ev.SIGNALS}")
        elif not it.get("milestones") and it["signal"] != "none":
            problems.append(f"{where}: a negative's signal must be none")
    assert problems == []


def test_links_are_unique_across_the_set() -> None:
    links = [i.link for i in ev.load(FILES)]
    assert sorted({x for x in links if links.count(x) > 1}) == []


def test_the_split_is_fixed_by_the_link() -> None:
    assert ev.part_of("https://example.org/a") == ev.part_of("https://example.org/a")
    parts = [ev.part_of(f"https://example.org/news/{n}") for n in range(10_000)]
    assert 0.27 < parts.count("held-out") / len(parts) < 0.33


def _item(title: str, milestones: tuple[str, ...], signal: str) -> object:
    return ev.Item(title, f"https://example.org/{title}", "", frozenset(milestones), signal)


@pytest.mark.parametrize(
    "labelled,found,expected",
    [
        # (labelled milestones, labelled signal), found {milestone: signal} -> (tp, fp, fn, signal right)
        ((("a",), "completion"), {"a": "completion"}, (1, 0, 0, 1)),
        ((("a",), "completion"), {"a": "progress"}, (1, 0, 0, 0)),
        ((("a",), "progress"), {}, (0, 0, 1, 0)),
        (((), "none"), {"a": "none"}, (0, 1, 0, 0)),
        (((), "none"), {}, (0, 0, 0, 0)),
        ((("a", "b"), "progress"), {"a": "progress", "c": "delay"}, (1, 1, 1, 1)),
    ],
)
def test_score_counts_pairs(
    labelled: tuple[tuple[str, ...], str], found: dict[str, str], expected: tuple[int, int, int, int]
) -> None:
    total = ev.score([_item("t", *labelled)], [ev.Found(found)])["*"]
    assert (total.tp, total.fp, total.fn, total.signal_right) == expected


def test_score_per_milestone_and_ratios() -> None:
    items = [_item("one", ("a",), "completion"), _item("two", ("a",), "progress"), _item("three", (), "none")]
    found = [ev.Found({"a": "completion"}), ev.Found({}), ev.Found({"a": "none"})]
    tallies = ev.score(items, found)
    a = tallies["a"]
    assert (a.tp, a.fp, a.fn) == (1, 1, 1)
    assert (a.precision, a.recall, a.signal_accuracy) == (0.5, 0.5, 1.0)
    assert a.misses == ["a: two"] and a.false_alarms == ["a: three"]
    assert ev.Tally().precision is None


def test_the_second_opinion_is_of_tuning_items_with_known_labels() -> None:
    """The blind second annotation (bench/evidence.py --second-opinion) names only items of the tuning part (the
    held-out part is never looked at) and only shipped milestones and signals."""
    known = {m.id for m in config.load(Home(REPO), environ={}).definitions.milestones}
    by_link = {i.link: i for i in ev.load(FILES)}
    paths = sorted((DATA / "second_opinion").glob("*.yaml"))
    assert paths
    for path in paths:
        rows = yaml.safe_load(path.read_text(encoding="utf-8"))["items"]
        assert rows
        for r in rows:
            assert r["link"] in by_link and ev.part_of(r["link"]) == "tuning", r["link"]
            assert set(r["milestones"]) <= known and r["signal"] in ev.SIGNALS, r


def test_the_scorer_can_score_one_batch(capsys: pytest.CaptureFixture[str]) -> None:
    """`--file NAME` scores only that file's items (a new batch, before any tuning on it); an unknown name is bad
    input, exit status 2, naming it."""
    one = FILES[0]
    assert ev.main(["--file", one.name, "--quiet", "--part", "both"]) == 0
    out = capsys.readouterr().out
    items = ev.load([one])
    tuning = sum(1 for i in items if ev.part_of(i.link) == "tuning")
    assert f"tuning: {tuning} items" in out
    assert f"held-out: {len(items) - tuning} items" in out
    assert ev.main(["--file", "no-such-batch.yaml"]) == 2
    assert "no-such-batch.yaml" in capsys.readouterr().err


def test_the_pipeline_finds_what_the_scorer_finds() -> None:
    """bench/evidence_feeds.py's road (the items served as RSS on 127.0.0.1, polled into a fresh home, read back
    from its database) ends where the direct scorer's does: the same milestones and signals, item by item, on a
    sample of the set that holds matches, hard negatives, items with and without a date, and the non-Latin scripts."""
    feeds = _bench("evidence_feeds.py", "bench_evidence_feeds")
    items = feeds.scorer.load(FILES)[::9]
    assert any(i.date is None for i in items) and any(i.date is not None for i in items)
    found_by_rules = feeds.scorer.shipped_rules()
    direct = [dict(found_by_rules(i).signals) for i in items]
    assert sum(1 for d in direct if d) >= 30 and sum(1 for d in direct if not d) >= 30
    piped = [dict(f.signals) for f in feeds.through_the_pipeline(items)]
    assert piped == direct
