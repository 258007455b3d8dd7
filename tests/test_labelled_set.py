"""The shipped rules against a labelled set of realistic items: precision and recall, printed per milestone."""

from __future__ import annotations

from pathlib import Path

import yaml

from monitor import config
from monitor.home import Home
from monitor.match.engine import ItemText, build_matcher

DATA = Path(__file__).parent / "data" / "labelled_items.yaml"
REPO = Path(__file__).resolve().parent.parent


def evaluate() -> tuple[float, float, list[str]]:
    defs = config.load(Home(REPO), environ={}).definitions
    matcher = build_matcher(defs.milestones, defs.aliases, defs.signals)
    items = yaml.safe_load(DATA.read_text())["items"]
    tp = fp = fn = 0
    report = []
    for it in items:
        got = {r.milestone for r in matcher.match(ItemText(it["title"], it.get("text", "")))}
        want = set(it["milestones"])
        tp += len(got & want)
        fp += len(got - want)
        fn += len(want - got)
        if got != want:
            report.append(f"{it['title'][:70]!r}: expected {sorted(want)}, got {sorted(got)}")
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    return precision, recall, report


def test_shipped_rules_on_labelled_set() -> None:
    precision, recall, report = evaluate()
    print(f"\nlabelled set: precision {precision:.3f}, recall {recall:.3f}")
    for line in report:
        print("  " + line)
    assert precision >= 0.9 and recall >= 0.85, report


def test_every_shipped_milestone_has_positives() -> None:
    defs = config.load(Home(REPO), environ={}).definitions
    labelled = {m for it in yaml.safe_load(DATA.read_text())["items"] for m in it["milestones"]}
    assert {m.id for m in defs.milestones} == labelled
