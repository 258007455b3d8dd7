"""Evidence scorer: the shipped rules against the real development set in tests/data/evidence/*.yaml.

Each item there is real reporting or an official release (title and link as published, a summary written for
the project in the title's language, as the source's own feed would carry it; `summary_en`, an English rendering
for readers, is never matched) labelled with the milestones it is evidence for ([] for a hard negative) and its
signal.

The set is split once, by a fixed rule that no one chooses per item: an item is HELD OUT when the SHA-256 of
its link, read as a number, is 0, 1 or 2 modulo 10 (about 30 %); the rest is the TUNING part. Rules are tuned
against the tuning part only (`--part tuning`, the default); the held-out figures are printed for the README
and never looked at while editing rules.

For each part: precision and recall over (item, milestone) pairs, and signal accuracy: of the pairs both found
and labelled, the share whose signal is the labelled one. Per milestone and overall.

    python bench/evidence.py                     # tuning part, with its misses and false alarms
    python bench/evidence.py --part held-out     # the held-out figures (and misses) for the README
    python bench/evidence.py --part both --quiet # figures only
    python bench/evidence.py --second-opinion    # how far a second, blind annotator agrees with the set's labels
    python bench/evidence.py --file dev_west.yaml --quiet   # one batch only (a new one, before tuning on it)

The second opinion (tests/data/evidence/second_opinion/*.yaml) is a blind relabelling of a sample of the tuning
part: scored against the set's labels as if it were a matcher, it says how much two careful readers agree, which
bounds what any matcher can reach against either; the shipped rules are scored against both on the same items.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "tests" / "data" / "evidence"
SECOND = DATA / "second_opinion"
SIGNALS = ("completion", "progress", "delay", "none")
HELD_OUT_RESIDUES = (0, 1, 2)  # of sha256(link) mod 10: about 30 % held out


@dataclass(frozen=True)
class Item:
    title: str
    link: str
    summary: str
    milestones: frozenset[str]
    signal: str
    source: str = ""
    file: str = ""
    date: dt.date | None = None


@dataclass(frozen=True)
class Found:
    """What the matcher said about one item: milestone -> signal."""

    signals: Mapping[str, str]


def part_of(link: str) -> str:
    """'held-out' or 'tuning', from the link alone: fixed once, the same on every machine."""
    n = int(hashlib.sha256(link.encode("utf-8")).hexdigest(), 16)
    return "held-out" if n % 10 in HELD_OUT_RESIDUES else "tuning"


def load(paths: Iterable[Path]) -> list[Item]:
    items = []
    for path in sorted(paths):
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for raw in doc.get("items") or []:
            items.append(
                Item(
                    title=str(raw["title"]),
                    link=str(raw["link"]),
                    summary=str(raw.get("summary") or ""),
                    milestones=frozenset(raw.get("milestones") or ()),
                    signal=str(raw.get("signal") or "none"),
                    source=str(raw.get("source") or ""),
                    file=path.name,
                    date=raw.get("date") if isinstance(raw.get("date"), dt.date) else None,
                )
            )
    return items


@dataclass
class Tally:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    signal_right: int = 0
    misses: list[str] = field(default_factory=list)
    false_alarms: list[str] = field(default_factory=list)
    wrong_signals: list[str] = field(default_factory=list)

    @property
    def precision(self) -> float | None:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else None

    @property
    def recall(self) -> float | None:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else None

    @property
    def signal_accuracy(self) -> float | None:
        return self.signal_right / self.tp if self.tp else None


def score(items: Sequence[Item], found: Sequence[Found]) -> dict[str, Tally]:
    """Per milestone, and overall under the key '*'. Pure: items and what the matcher found for each."""
    tallies: dict[str, Tally] = {"*": Tally()}
    for item, f in zip(items, found, strict=True):
        got, want = set(f.signals), set(item.milestones)
        for ms in got | want:
            for key in (ms, "*"):
                t = tallies.setdefault(key, Tally())
                if ms in got and ms in want:
                    t.tp += 1
                    if f.signals[ms] == item.signal:
                        t.signal_right += 1
                    else:
                        t.wrong_signals.append(f"{ms}: {f.signals[ms]} for {item.signal}: {item.title}")
                elif ms in want:
                    t.fn += 1
                    t.misses.append(f"{ms}: {item.title}")
                else:
                    t.fp += 1
                    t.false_alarms.append(f"{ms}: {item.title}")
    return tallies


def shipped_rules() -> Callable[[Item], Found]:
    """What the rules of this checkout's config/ find in an item (the matcher built once)."""
    from monitor import config
    from monitor.home import Home
    from monitor.match.engine import ItemText, build_matcher

    defs = config.load(Home(REPO), environ={}).definitions
    matcher = build_matcher(defs.milestones, defs.aliases, defs.signals)

    def found(i: Item) -> Found:
        return Found({r.milestone: r.signal for r in matcher.match(ItemText(i.title, i.summary, i.date))})

    return found


def _pct(x: float | None) -> str:
    return "   —" if x is None else f"{x:.2f}"


def report(name: str, items: Sequence[Item], tallies: Mapping[str, Tally], quiet: bool) -> None:
    total = tallies["*"]
    negatives = sum(1 for i in items if not i.milestones)
    print(f"\n{name}: {len(items)} items ({negatives} hard negatives)")
    print(f"  {'milestone':<26} {'prec':>5} {'recall':>6} {'signal':>6}   tp  fp  fn")
    for key in sorted(k for k in tallies if k != "*"):
        t = tallies[key]
        print(
            f"  {key:<26} {_pct(t.precision):>5} {_pct(t.recall):>6} {_pct(t.signal_accuracy):>6}  "
            f"{t.tp:>3} {t.fp:>3} {t.fn:>3}"
        )
    print(
        f"  {'overall':<26} {_pct(total.precision):>5} {_pct(total.recall):>6} {_pct(total.signal_accuracy):>6}  "
        f"{total.tp:>3} {total.fp:>3} {total.fn:>3}"
    )
    if quiet:
        return
    for label, lines in (
        ("misses", total.misses),
        ("false alarms", total.false_alarms),
        ("wrong signals", total.wrong_signals),
    ):
        if lines:
            print(f"  {label}:")
            for line in lines:
                print(f"    {line[:150]}")


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--part", choices=("tuning", "held-out", "both"), default="tuning")
    ap.add_argument("--quiet", action="store_true", help="figures only, no lists of misses")
    ap.add_argument("--second-opinion", action="store_true", help="agreement of a blind second annotation")
    ap.add_argument(
        "--file",
        action="append",
        metavar="NAME",
        help="only the items of this file of the set (repeatable), e.g. a new batch scored before any tuning on it",
    )
    args = ap.parse_args(argv)

    paths = list(DATA.glob("*.yaml"))
    if args.file:
        unknown = sorted(set(args.file) - {p.name for p in paths})
        if unknown:
            print(f"no such file of the set under {DATA}: {', '.join(unknown)}", file=sys.stderr)
            return 2
        paths = [p for p in paths if p.name in args.file]
    items = load(paths)
    if not items:
        print(f"no items under {DATA}", file=sys.stderr)
        return 1
    found_by_rules = shipped_rules()
    if args.second_opinion:
        return second_opinion(items, found_by_rules)
    parts = ("tuning", "held-out") if args.part == "both" else (args.part,)
    for part in parts:
        chosen = [i for i in items if part_of(i.link) == part]
        report(part, chosen, score(chosen, [found_by_rules(i) for i in chosen]), args.quiet)
    return 0


def second_opinion(items: Sequence[Item], found_by_rules: Callable[[Item], Found]) -> int:
    """The second annotation against the set's labels, and the rules against each, on the same items."""
    by_link = {i.link: i for i in items}
    for path in sorted(SECOND.glob("*.yaml")):
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        rows = [r for r in doc.get("items") or [] if str(r["link"]) in by_link]
        if not rows:
            continue
        chosen = [by_link[str(r["link"])] for r in rows]
        second = [Found({m: str(r["signal"]) for m in r.get("milestones") or ()}) for r in rows]
        as_items = [
            Item(i.title, i.link, i.summary, frozenset(r.get("milestones") or ()), str(r["signal"]), date=i.date)
            for i, r in zip(chosen, rows, strict=True)
        ]
        rules = [found_by_rules(i) for i in chosen]
        print(f"\n{path.name}: {len(rows)} items")
        print(f"  {'':<44} {'prec':>5} {'recall':>6} {'signal':>6}")
        for label, truth, found in (
            ("second annotator, against the set's labels", chosen, second),
            ("the rules, against the set's labels", chosen, rules),
            ("the rules, against the second annotator", as_items, rules),
        ):
            t = score(truth, found)["*"]
            print(f"  {label:<44} {_pct(t.precision):>5} {_pct(t.recall):>6} {_pct(t.signal_accuracy):>6}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
