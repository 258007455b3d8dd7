"""Matching benchmark: a realistic mix of items against the shipped milestones plus synthetic ones.

Items are a title and ~1 KB of text:
  hits (10 %)          a labelled on-topic item of tests/data/labelled_items.yaml (title and text) set inside news
                       filler: it matches the shipped rules, so snippets and signals are computed as in real use;
  near misses (40 %)   the labelled negatives, on-topic items moved to untracked countries, and country news
                       without the topic: they share country and topic words with the rules, so candidate
                       milestones are evaluated and rejected;
  off-topic (50 %)     news filler only.
Milestones: the shipped ones alone, then with 50, 200 and 1,000 synthetic rules of ~6 terms each (phrases,
prefixes, an alias) whose words occur in the filler at realistic rates.

Baseline: match_form() of the title and of the text, the whole-word form the automaton reads (for ASCII text the
matcher makes a cheaper equivalent: a reference, not a floor); normalize() of both is shown for reference too.
CPU time (time.process_time) on one core, median of 3 runs; the share of items that matched is measured, not
assumed. Each figure follows an untimed pass over its items (first-use costs: compiled patterns, caches), so
--quick's one run reads like the full run's medians.

    python bench/match.py                  # 20,000 and 100,000 items
    python bench/match.py --quick          # 10,000 items, one run
    python bench/match.py --items 50000 --runs 5
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import yaml

from monitor import config
from monitor.definitions import Definitions, MatchRule, MilestoneDef
from monitor.home import Home
from monitor.match.engine import ItemText, Matcher, build_matcher, match_form
from monitor.match.normalize import normalize
from monitor.match.terms import Term, parse_term

REPO = Path(__file__).resolve().parent.parent
LABELLED = REPO / "tests" / "data" / "labelled_items.yaml"
HIT_SHARE, NEAR_SHARE = 0.10, 0.40
SYNTHETIC = (0, 50, 200, 1000)
TEXT_CHARS = (1000, 1300)  # text length of a generated item, filler included

COMMON = """the of and to in a for on with by that said is was at from it as has have be are were will its this
an he she they their after over about more than new year years last first two three week month day today monday
friday people city local police court weather sales company companies shares market prices quarter growth rate
bank profit report data council school health water hospital film music team season league match game player
coach festival museum station train bus airport flights traffic road bridge housing rent students teachers
university study research scientists doctors patients storm rain heat fire river park zoo election party voters
campaign mayor judge trial lawyers union workers strike pay jobs unemployment inflation consumer retail online
app phone software data internet users video streaming series show award actor singer band concert tour album
book author library church village farmers harvest crop food restaurant chef hotel tourism visitors beach
island coast mountain hikers police officers suspect arrest charged court hearing verdict sentence appeal""".split()

# Untracked countries: tracked wording moved there is a near miss (topic words present, country group missing).
ELSEWHERE = {
    "Japan": "India",
    "Japanese": "Indian",
    "Tokyo": "New Delhi",
    "South Korea": "Brazil",
    "Korea": "Brazil",
    "Korean": "Brazilian",
    "Seoul": "Brasilia",
    "Malaysia": "Indonesia",
    "Malaysian": "Indonesian",
    "Kuala Lumpur": "Jakarta",
    "Thailand": "the Philippines",
    "Thai": "Philippine",
    "Bangkok": "Manila",
    "Vietnam": "Mexico",
    "Vietnamese": "Mexican",
    "Hanoi": "Mexico City",
    "Cambodia": "Peru",
    "Cambodian": "Peruvian",
    "China": "Canada",
    "Chinese": "Canadian",
    "Beijing": "Ottawa",
}
_ELSEWHERE_RX = re.compile(r"\b(" + "|".join(sorted(map(re.escape, ELSEWHERE), key=len, reverse=True)) + r")\b")

TRACKED = ["Japan", "South Korea", "Malaysia", "Thailand", "Vietnam", "Cambodia", "China"]
COUNTRY_NEWS = [  # a tracked country, sometimes a trade or minerals word, never a whole rule
    "{c} central bank holds interest rates steady as inflation cools",
    "{c} exports of electronics rise for a third month on strong chip demand",
    "Prime minister of {c} reshuffles cabinet ahead of budget vote",
    "Tourist arrivals in {c} climb back to pre-pandemic levels",
    "{c} and the United States discuss visa rules for students",
    "{c} signs free trade agreement with the European Union",
    "Rare earth prices climb as buyers in {c} stock up on magnets",
    "Floods in {c} disrupt factories and ports, officials say",
    "{c} minister visits Washington for talks on energy security",
    "Stocks in {c} hit a record high as tariff worries ease",
    "{c} plans new mining law to attract foreign investment",
    "Opposition in {c} calls for inquiry into port contract",
]


# ---------------------------------------------------------------- vocabulary and filler


def term_words(d: Definitions) -> tuple[set[str], tuple[str, ...]]:
    """Every whole word of the shipped terms, and every prefix: filler must not contain them by accident."""
    terms: list[Term] = [t for ts in d.aliases.values() for t in ts] + [t for ts in d.signals.values() for t in ts]
    for m in d.milestones:
        if m.match is not None:
            terms += [t for g in m.match.all for t in g] + list(m.match.any) + list(m.match.none)
        terms += [t for _, ts in m.signals for t in ts]
    words = {w for t in terms if t.kind in ("phrase", "prefix") for w in match_form(t.text).split()}
    prefixes = tuple(match_form(t.text).split()[-1] for t in terms if t.kind == "prefix")
    return words, prefixes


def vocabulary(rnd: random.Random, n: int, d: Definitions) -> list[str]:
    """Common news words first (Zipf: used often), then invented words (the long tail where rule terms live)."""
    banned, prefixes = term_words(d)

    def ok(w: str) -> bool:
        return w not in banned and not w.startswith(prefixes)

    words = list(dict.fromkeys(w for w in COMMON if ok(w)))
    seen = set(words)
    letters = "abcdefghijklmnopqrstuvwxyz"
    while len(words) < n:
        w = "".join(rnd.choice(letters) for _ in range(rnd.randint(3, 10)))
        if w not in seen and ok(w):
            seen.add(w)
            words.append(w)
    return words


class Filler:
    def __init__(self, rnd: random.Random, vocab: list[str]) -> None:
        self.rnd = rnd
        self.vocab = vocab
        self.cum = list(_cumulative([1 / (i + 1) for i in range(len(vocab))]))

    def words(self, k: int) -> list[str]:
        return self.rnd.choices(self.vocab, cum_weights=self.cum, k=k)

    def text(self, chars: int) -> str:
        """Sentences of 8 to 20 words, about `chars` characters."""
        out: list[str] = []
        size = 0
        while size < chars:
            s = " ".join(self.words(self.rnd.randint(8, 20))).capitalize() + "."
            out.append(s)
            size += len(s) + 1
        return " ".join(out)

    def title(self) -> str:
        return " ".join(self.words(self.rnd.randint(7, 12))).capitalize()

    def around(self, core: str) -> str:
        """`core` at a random place inside filler, the whole about TEXT_CHARS long."""
        pad = max(0, self.rnd.randint(*TEXT_CHARS) - len(core))
        before = self.rnd.randint(0, pad)
        parts = [self.text(before) if before > 40 else "", core, self.text(pad - before) if pad - before > 40 else ""]
        return " ".join(p for p in parts if p)


def _cumulative(xs: Iterable[float]) -> Iterable[float]:
    total = 0.0
    for x in xs:
        total += x
        yield total


# ---------------------------------------------------------------- the item mix


def labelled() -> list[tuple[str, str, list[str]]]:
    data = yaml.safe_load(LABELLED.read_text(encoding="utf-8"))
    return [(i["title"], i.get("text") or "", list(i.get("milestones") or [])) for i in data["items"]]


def elsewhere(s: str) -> str:
    return _ELSEWHERE_RX.sub(lambda mo: ELSEWHERE[mo.group(1)], s)


def pools(shipped: Matcher, rnd: random.Random) -> tuple[list[ItemText], list[ItemText]]:
    """Hits (labelled on-topic items the shipped rules match) and near misses (verified not to match)."""
    items = labelled()
    hits = [ItemText(t, x) for t, x, ms in items if ms and shipped.match(ItemText(t, x))]
    near = [ItemText(t, x) for t, x, ms in items if not ms]
    near += [ItemText(elsewhere(t), elsewhere(x)) for t, x, ms in items if ms]
    for c in TRACKED:
        for template in COUNTRY_NEWS:
            other = rnd.sample(COUNTRY_NEWS, 2)
            near.append(ItemText(template.format(c=c), ". ".join(o.format(c=c) for o in other) + "."))
    near = [it for it in near if not shipped.match(it)]
    return hits, near


def make_items(
    rnd: random.Random, filler: Filler, hits: list[ItemText], near: list[ItemText], n: int
) -> list[tuple[str, ItemText]]:
    """n items in random order, each with its kind: hit, near (miss) or off (topic)."""
    kinds = ["hit"] * round(n * HIT_SHARE) + ["near"] * round(n * NEAR_SHARE)
    kinds += ["off"] * (n - len(kinds))
    rnd.shuffle(kinds)
    out = []
    for kind in kinds:
        if kind == "off":
            out.append((kind, ItemText(filler.title(), filler.around(""))))
        else:
            core = rnd.choice(hits if kind == "hit" else near)
            out.append((kind, ItemText(core.title, filler.around(core.text))))
    return out


# ---------------------------------------------------------------- synthetic milestones


def synthetic_rules(rnd: random.Random, vocab: list[str], m: int, countries: Sequence[str]) -> list[MilestoneDef]:
    """Like the shipped rules: two required groups (one with an alias) and an `any` list; half of them name a
    tracked country's alias, the rest a synthetic place."""
    rules = []
    pool = vocab[200:]  # rule terms are not the most common words
    for i in range(m):
        t = rnd.sample(pool, 6)
        place = parse_term("@place" if i % 2 else f"@{rnd.choice(countries)}")
        rule = MatchRule(
            all=((parse_term(t[0]), parse_term(t[1] + "*")), (parse_term(f"{t[2]} {t[3]}"), place)),
            any=(parse_term(t[4]), parse_term(t[5])),
            none=(),
        )
        rules.append(MilestoneDef(f"syn-{i}", "a", f"Synthetic {i}", "", None, rule))
    return rules


# ---------------------------------------------------------------- measuring


def cpu_time(fn: Callable[[ItemText], object], data: list[ItemText], runs: int) -> tuple[float, int]:
    """Median CPU seconds of `fn` over every item, after one untimed pass over them all, and how many items gave a
    truthy result. The untimed pass pays the process's first-use costs (each term's pattern is compiled the first
    time a snippet or a signal needs it: ~3 ms each, ~0.2 s for the 10,000 items of --quick), which a poll cycle
    pays once per worker, not per item: so --quick's one run reads like the medians of the full run."""
    for it in data:
        fn(it)
    times, hits = [], 0
    for _ in range(runs):
        start = time.process_time()
        hits = sum(1 for it in data if fn(it))
        times.append(time.process_time() - start)
    return statistics.median(times), hits


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--items", type=int, nargs="+", default=[20_000, 100_000], help="item counts (scales)")
    ap.add_argument("--runs", type=int, default=3, help="runs per figure; the median is shown")
    ap.add_argument("--quick", action="store_true", help="10,000 items, one run")
    a = ap.parse_args()
    scales, runs = ([10_000], 1) if a.quick else (sorted(a.items), a.runs)

    rnd = random.Random(7)
    shipped = config.load(Home(REPO), environ={}).definitions
    vocab = vocabulary(rnd, 20_000, shipped)
    aliases = {**shipped.aliases, "place": tuple(parse_term(w) for w in rnd.sample(vocab[100:], 8))}
    base = build_matcher(shipped.milestones, shipped.aliases, shipped.signals)
    hits, near = pools(base, rnd)
    filler = Filler(rnd, vocab)
    mix = make_items(rnd, filler, hits, near, max(scales))
    everything = [it for _, it in mix]
    countries = [c for c in ("japan", "korea", "malaysia", "thailand", "vietnam", "cambodia", "china") if c in aliases]
    synthetic = synthetic_rules(rnd, vocab, max(SYNTHETIC), countries)
    matchers = {m: build_matcher([*synthetic[:m], *shipped.milestones], aliases, shipped.signals) for m in SYNTHETIC}

    sample = everything[:20_000]
    found = [r for it in sample for r in base.match(it)]
    chars = sum(len(i.title) + len(i.text) for i in everything) / len(everything)
    print(
        f"Items: {HIT_SHARE:.0%} built to hit (from {len(hits)} labelled on-topic items), {NEAR_SHARE:.0%} near "
        f"misses (from {len(near)} cores), the rest off-topic; {chars:,.0f} characters each on average."
    )
    print(
        f"Shipped rules on the first {len(sample):,} items: {len(found):,} matches, signals "
        + ", ".join(f"{k} {v:,}" for k, v in sorted(Counter(r.signal for r in found).items()))
        + f", {sum(1 for r in found if r.snippet):,} with a snippet."
    )
    print(f"One core, CPU time (time.process_time), median of {runs} run{'s' if runs > 1 else ''}.")

    n_shipped = len(shipped.milestones)
    label = {m: f"{n_shipped} shipped" + (f" + {m:,} synthetic" if m else "") for m in SYNTHETIC}
    summary: dict[int, dict[int, float]] = {}
    for n in scales:
        data = everything[:n]
        t_prep, _ = cpu_time(lambda it: (match_form(it.title), match_form(it.text)), data, runs)
        t_norm, _ = cpu_time(lambda it: (normalize(it.title), normalize(it.text)), data, runs)
        print()
        print(f"N = {n:,} items")
        print(f"  {'baseline: match_form(title) + match_form(text)':<48} {n / t_prep:>10,.0f} items/s  (like for like)")
        print(f"  {'reference: normalize(title) + normalize(text)':<48} {n / t_norm:>10,.0f} items/s")
        print(f"  {'milestones':<30} {'items/s':>10} {'matched':>8} {'µs/item':>8} {'matching / baseline':>20}")
        summary[n] = {-1: t_prep}
        for m in SYNTHETIC:
            t, matched = cpu_time(matchers[m].match, data, runs)
            summary[n][m] = t
            print(f"  {label[m]:<30} {n / t:>10,.0f} {matched / n:>8.1%} {t / n * 1e6:>8.1f} {t / t_prep:>20.2f}")

    n = min(max(scales), 20_000)
    print()
    print(f"Cost by kind of item, first {n:,} items (µs/item):")
    print(f"  {'milestones':<30} {'hit':>8} {'near miss':>10} {'off-topic':>10}")
    for m in (0, max(SYNTHETIC)):
        row = []
        for kind in ("hit", "near", "off"):
            part = [it for k, it in mix[:n] if k == kind]
            row.append(cpu_time(matchers[m].match, part, runs)[0] / len(part) * 1e6)
        print(f"  {label[m]:<30} {row[0]:>8.1f} {row[1]:>10.1f} {row[2]:>10.1f}")

    n = max(scales)
    s = summary[n]
    big, small = max(SYNTHETIC), sorted(SYNTHETIC)[1]
    print()
    print(f"At N = {n:,}:")
    print(f"  time(+{big:,} synthetic) / time(+{small} synthetic)   {s[big] / s[small]:.2f}   (target <= 2)")
    print(f"  matching / baseline at +{big:,} synthetic        {s[big] / s[-1]:.2f}")
    print(f"  items/s at +{big:,} synthetic                    {n / s[big]:,.0f}   (target >= 20,000)")


if __name__ == "__main__":
    main()
