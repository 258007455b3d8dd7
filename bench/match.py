"""Matching benchmark: N synthetic items (title + ~1 KB text) against M milestones.

M = 50, 200 and 1,000 synthetic rules of ~5 terms each (phrases, prefixes, an alias), plus the shipped rules.
Prints items/s for each M on one core, and the lower bound of only normalising the same texts.

    python bench/match.py                  # 100,000 items
    python bench/match.py --items 20000
"""

from __future__ import annotations

import argparse
import random
import time
from pathlib import Path

from monitor import config
from monitor.definitions import MatchRule, MilestoneDef
from monitor.home import Home
from monitor.match.engine import ItemText, build_matcher
from monitor.match.normalize import normalize
from monitor.match.terms import parse_term

REPO = Path(__file__).resolve().parent.parent


def vocabulary(rnd: random.Random, n: int) -> list[str]:
    letters = "abcdefghijklmnopqrstuvwxyz"
    words = set()
    while len(words) < n:
        words.add("".join(rnd.choice(letters) for _ in range(rnd.randint(3, 10))))
    return sorted(words)


def items(rnd: random.Random, vocab: list[str], n: int) -> list[ItemText]:
    # Zipf-like: common words often, rare words (where most rule terms live) seldom.
    weights = [1 / (i + 1) for i in range(len(vocab))]
    out = []
    for _ in range(n):
        words = rnd.choices(vocab, weights, k=160)
        title = " ".join(words[:10]).capitalize()
        text = " ".join(words[10:]) + "."
        out.append(ItemText(title, text))
    return out


def synthetic_rules(rnd: random.Random, vocab: list[str], m: int) -> list[MilestoneDef]:
    rules = []
    pool = vocab[200:]  # rule terms are not the most common words
    for i in range(m):
        t = rnd.sample(pool, 6)
        rule = MatchRule(
            all=((parse_term(t[0]), parse_term(t[1] + "*")), (parse_term(f"{t[2]} {t[3]}"), parse_term("@place"))),
            any=(parse_term(t[4]), parse_term(t[5])),
            none=(),
        )
        rules.append(MilestoneDef(f"syn-{i}", "a", f"Synthetic {i}", "", None, rule))
    return rules


def rate(fn: object, data: list[ItemText]) -> float:
    start = time.process_time()
    for it in data:
        fn(it)  # type: ignore[operator]
    return len(data) / (time.process_time() - start)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--items", type=int, default=100_000)
    a = ap.parse_args()
    rnd = random.Random(7)
    vocab = vocabulary(rnd, 20_000)
    data = items(rnd, vocab, a.items)
    shipped = config.load(Home(REPO), environ={}).definitions
    aliases = {**shipped.aliases, "place": tuple(parse_term(w) for w in rnd.sample(vocab[100:], 8))}
    print(
        f"{a.items} items, {sum(len(i.title) + len(i.text) for i in data) / len(data):.0f} characters each, "
        f"one core (CPU time)"
    )
    floor = rate(lambda it: (normalize(it.title), normalize(it.text)), data)
    print(f"normalise only (lower bound)   {floor:10,.0f} items/s")
    results = {}
    for m in (50, 200, 1000):
        rules = [*synthetic_rules(rnd, vocab, m), *shipped.milestones]
        matcher = build_matcher(rules, aliases, shipped.signals)
        found = sum(len(matcher.match(it)) for it in data[:2000])
        results[m] = rate(matcher.match, data)
        print(
            f"M = {m:>5} (+{len(shipped.milestones)} shipped)   {results[m]:10,.0f} items/s   "
            f"({found} matches in the first 2,000 items)"
        )
    print(f"time(M=1000) / time(M=50)      {results[50] / results[1000]:.2f}   (target <= 2)")
    print(f"matching / normalise-only      {floor / results[1000]:.2f}   (target <= 3)")
    print(f"items/s at M=1000              {results[1000]:,.0f}   (target >= 20,000)")


if __name__ == "__main__":
    main()
