"""Everything the matcher says about a fixed set of items, one line each, to diff before and after a change.

The items: the mix of bench/match.py (same seed, same construction, its first N items), every item of
tests/data/evidence/*.yaml (with its date) and of tests/data/labelled_items.yaml. For each item and each matcher
(the shipped rules; the shipped rules + 1,000 synthetic ones, built as bench/match.py builds them):
  - match(item): every MatchResult (milestone, score, terms, signal, snippet, in_title);
  - match(item, a subset of milestones);
  - explain(item, m) for every milestone matched, and for every shipped milestone on the evidence and labelled
    items and on the first EXPLAIN_ALL bench items (offsets, terms, score, signal reason, summary()).

    python bench/match_outputs.py > /tmp/before.txt
    (change the matcher)
    python bench/match_outputs.py > /tmp/after.txt && cmp /tmp/before.txt /tmp/after.txt
"""

from __future__ import annotations

import argparse
import importlib.util
import random
import sys
from collections.abc import Iterable
from pathlib import Path
from types import ModuleType
from typing import TextIO

import yaml

from monitor import config
from monitor.home import Home
from monitor.match.engine import ItemText, Matcher, build_matcher
from monitor.match.terms import parse_term

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
EXPLAIN_ALL = 2_000


def _module(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"_bench_{name}", BENCH / f"{name}.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod
    spec.loader.exec_module(mod)
    return mod


def dump(
    out: TextIO, label: str, matcher: Matcher, items: Iterable[ItemText], explain_all: int, every: list[str]
) -> None:
    subset = frozenset(every[::3])
    for n, item in enumerate(items):
        found = matcher.match(item)
        out.write(f"{label} {n} match {found!r}\n")
        out.write(f"{label} {n} subset {matcher.match(item, subset)!r}\n")
        names = [r.milestone for r in found] + (every if n < explain_all else [])
        for mid in dict.fromkeys(names):
            e = matcher.explain(item, mid)
            out.write(f"{label} {n} explain {mid} {e!r}\n")
            if e is not None:
                out.write(f"{label} {n} summary {mid} {e.summary()}\n")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--items", type=int, default=20_000, help="bench items (the first N of the mix)")
    a = ap.parse_args()
    bm = _module("match")
    ev = _module("evidence")

    # exactly bench/match.py's construction, up to the matchers
    rnd = random.Random(7)
    shipped = config.load(Home(REPO), environ={}).definitions
    vocab = bm.vocabulary(rnd, 20_000, shipped)
    aliases = {**shipped.aliases, "place": tuple(parse_term(w) for w in rnd.sample(vocab[100:], 8))}
    base = build_matcher(shipped.milestones, shipped.aliases, shipped.signals)
    hits, near = bm.pools(base, rnd)
    filler = bm.Filler(rnd, vocab)
    mix = bm.make_items(rnd, filler, hits, near, max(100_000, a.items))
    countries = [c for c in ("japan", "korea", "malaysia", "thailand", "vietnam", "cambodia", "china") if c in aliases]
    synthetic = bm.synthetic_rules(rnd, vocab, max(bm.SYNTHETIC), countries)
    big = build_matcher([*synthetic, *shipped.milestones], aliases, shipped.signals)

    evidence = [
        ItemText(i.title, i.summary, i.date) for i in ev.load((REPO / "tests" / "data" / "evidence").glob("*.yaml"))
    ]
    data = yaml.safe_load((REPO / "tests" / "data" / "labelled_items.yaml").read_text(encoding="utf-8"))
    labelled = [ItemText(i["title"], i.get("text") or "") for i in data["items"]]
    bench_items = [it for _, it in mix[: a.items]]
    every = [m.id for m in shipped.milestones if m.match is not None]

    out = sys.stdout
    for name, matcher in (("shipped", base), ("big", big)):
        dump(out, f"{name}/evidence", matcher, evidence, len(evidence), every)
        dump(out, f"{name}/labelled", matcher, labelled, len(labelled), every)
        dump(out, f"{name}/bench", matcher, bench_items, EXPLAIN_ALL, every)


if __name__ == "__main__":
    main()
