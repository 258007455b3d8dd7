"""The matcher: every milestone's rules compiled once into one Aho-Corasick automaton.

Pure: plain values in, MatchResult out. Per item the cost is one normalisation, one automaton scan and a set
check for the few milestones indexed under a term that occurred, so it barely grows with the number of rules.
"""

from __future__ import annotations

import re
import string
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

import ahocorasick

from .normalize import normalize
from .rules import MatchRule, MilestoneRule
from .signals import SignalRules, Vocabulary, decide_signal
from .terms import Bounded, Term, compile_terms

TITLE_WEIGHT = 2.0
BODY_WEIGHT = 1.0


def _separators() -> dict[int, str]:
    """Characters that separate words: ASCII punctuation (but % and _), Latin-1 symbols, general, currency and
    CJK punctuation. str.translate + split is three times faster than a [^\\w%]+ regex on 1 KB of text."""
    table = {ord(c): " " for c in string.punctuation if c not in "%_"}
    for lo, hi in (
        (0xA0, 0xC0),
        (0x2000, 0x2070),
        (0x20A0, 0x20D0),
        (0x2190, 0x2200),
        (0x2500, 0x2600),
        (0x3000, 0x3040),
    ):
        table.update({c: " " for c in range(lo, hi)})
    table.update({0xD7: " ", 0xF7: " "})
    return table


_SEPARATORS = _separators()


def match_form(text: str) -> str:
    """Casefolded words separated by single spaces, padded: ' us japan rare earth talks '."""
    return " " + " ".join(unicodedata.normalize("NFKC", text).casefold().translate(_SEPARATORS).split()) + " "


def term_key(term: Term) -> str:
    """The automaton key of a phrase or prefix term: whole words, a prefix leaves its end open."""
    words = match_form(term.text).strip()
    return f" {words} " if term.kind == "phrase" else f" {words}"


@dataclass(frozen=True)
class ItemText:
    """What the matcher reads of an item: its title and its plain text."""

    title: str
    text: str


@dataclass(frozen=True)
class MatchResult:
    milestone: str
    score: float
    terms: tuple[str, ...]  # the terms that occurred, as written in the config
    signal: str  # completion | progress | delay | none
    snippet: str
    in_title: bool


@dataclass(frozen=True)
class _Rule:
    milestone: str
    groups: tuple[frozenset[int], ...]  # `all` entries, then the `any` list as one more group
    none: frozenset[int]
    regex_ids: frozenset[int]  # regex terms anywhere in the rule: evaluated only when the rule is a candidate
    signals: SignalRules


@dataclass
class Matcher:
    threshold: float = 1.0
    _automaton: ahocorasick.Automaton | None = None
    _terms: list[Term] = field(default_factory=list)
    _rules: dict[str, _Rule] = field(default_factory=dict)
    _index: dict[int, list[str]] = field(default_factory=dict)  # term id -> milestones anchored on it
    _regex: dict[int, Bounded] = field(default_factory=dict)  # time-bounded: a search that times out finds nothing
    _always: list[str] = field(default_factory=list)  # milestones with no literal anchor (regex-only)

    def match(self, item: ItemText, milestones: Iterable[str] | None = None) -> list[MatchResult]:
        """Every milestone (or every one of `milestones`) whose rule the item satisfies, best first."""
        allowed = milestones if milestones is None or isinstance(milestones, frozenset) else frozenset(milestones)
        in_title: set[int] = set()
        in_body: set[int] = set()
        if self._automaton is not None:
            scan = self._automaton.iter
            in_title = {tid for _, tid in scan(match_form(item.title))}
            in_body = {tid for _, tid in scan(match_form(item.text))}
        hits = in_title | in_body
        index = self._index
        candidates: set[str] = set(self._always)
        for tid in hits:
            found = index.get(tid)
            if found:
                candidates.update(found)
        results = []
        signal_cache: dict[tuple[int, str], str | None] = {}
        regex_done: set[int] = set()
        normal: list[str] = []  # title and text normalised, only if some candidate needs a regex
        for mid in candidates:
            if allowed is not None and mid not in allowed:
                continue
            rule = self._rules[mid]
            if rule.regex_ids and not rule.regex_ids <= regex_done:
                if not normal:
                    normal += [normalize(item.title), normalize(item.text)]
                for rid in rule.regex_ids - regex_done:
                    rx = self._regex[rid]
                    if rx.found(normal[0]):
                        in_title.add(rid)
                    elif rx.found(normal[1]):
                        in_body.add(rid)
                    regex_done.add(rid)
                hits = in_title | in_body
            if not rule.none.isdisjoint(hits):
                continue
            for group in rule.groups:  # cheap rejection first: most candidates miss a group
                if group.isdisjoint(hits):
                    break
            else:
                score = sum(TITLE_WEIGHT if not g.isdisjoint(in_title) else BODY_WEIGHT for g in rule.groups)
                if score >= self.threshold:
                    results.append(self._result(item, rule, score, hits, in_title, signal_cache))
        results.sort(key=lambda r: (-r.score, r.milestone))
        return results

    def _result(
        self,
        item: ItemText,
        rule: _Rule,
        score: float,
        hits: set[int],
        in_title: set[int],
        signal_cache: dict[tuple[int, str], str | None],
    ) -> MatchResult:
        used = sorted({tid for g in rule.groups for tid in g if tid in hits})
        terms = tuple(dict.fromkeys(self._terms[t].source for t in used))
        snippet = make_snippet(item, [self._terms[t] for t in used])
        signal = decide_signal(item.title, snippet, rule.signals, signal_cache)
        return MatchResult(rule.milestone, score, terms, signal, snippet, bool(in_title.intersection(used)))


def _breadth(term: Term) -> float:
    """A guess at how often a term occurs, to anchor each rule on its rarest group: a prefix finds many words,
    a phrase of several words few."""
    if term.kind == "prefix":
        return 3.0
    return 1.0 if " " not in term.text.strip() else 0.5


def build_matcher(
    milestones: Sequence[MilestoneRule],
    aliases: Mapping[str, tuple[Term, ...]],
    signals: Mapping[str, tuple[Term, ...]],
    threshold: float = 1.0,
) -> Matcher:
    """One matcher for every milestone with a rule; `aliases` and `signals` are the config's global terms."""
    m = Matcher(threshold=threshold)
    ids: dict[tuple[str, str], int] = {}
    common = Vocabulary.of(signals)  # one global vocabulary: its verdicts are cached across milestones

    def tid(term: Term) -> list[int]:
        if term.kind == "alias":
            return [x for t in aliases[term.text] for x in tid(t)]
        key = (term.kind, term_key(term) if term.kind != "regex" else term.text)
        if key not in ids:
            ids[key] = len(m._terms)
            m._terms.append(term)
            if term.kind == "regex":
                m._regex[ids[key]] = compile_terms((term,))
        return [ids[key]]

    for ms in milestones:
        rule: MatchRule | None = ms.match
        if rule is None:
            continue
        groups = [frozenset(x for t in g for x in tid(t)) for g in rule.all]
        if rule.any:
            groups.append(frozenset(x for t in rule.any for x in tid(t)))
        none = frozenset(x for t in rule.none for x in tid(t))
        regex_ids = frozenset(t for g in [*groups, none] for t in g if m._terms[t].kind == "regex")
        m._rules[ms.id] = _Rule(
            ms.id, tuple(groups), none, regex_ids, SignalRules(Vocabulary.of(dict(ms.signals)), common)
        )
        literal = [g for g in groups if all(m._terms[t].kind != "regex" for t in g)]
        if literal:
            anchor = min(literal, key=lambda g: sum(_breadth(m._terms[t]) for t in g))
            for anchor_id in anchor:
                m._index.setdefault(anchor_id, []).append(ms.id)
        else:
            m._always.append(ms.id)
    literal_terms = [(i, t) for i, t in enumerate(m._terms) if t.kind != "regex"]
    if literal_terms:
        automaton = ahocorasick.Automaton()
        for i, t in literal_terms:
            automaton.add_word(term_key(t), i)
        automaton.make_automaton()
        m._automaton = automaton
    return m


# ---------------------------------------------------------------- snippets

SNIPPET = 240


def make_snippet(item: ItemText, terms: Sequence[Term]) -> str:
    """About 240 characters of the item's text around its densest cluster of matched terms, whole words."""
    text = item.text or item.title
    low = text.lower()
    spans = []
    for t in terms:
        for start in _starts(t, text, low if len(low) == len(text) else None):
            spans.append(start)
            if len(spans) > 200:
                break
    if not spans:
        return _cut(text, 0)
    spans.sort()
    best, best_count = spans[0], 0
    j = 0
    for i, s in enumerate(spans):  # the window of SNIPPET characters holding the most hits
        while spans[j] < s - SNIPPET // 2:
            j += 1
        if i - j + 1 > best_count:
            best, best_count = spans[(i + j) // 2], i - j + 1
    return _cut(text, max(0, best - SNIPPET // 2))


def _starts(term: Term, text: str, low: str | None) -> Iterator[int]:
    """Where `term` occurs in `text`. An ASCII phrase or prefix: str.find of its first word in the lower-cased
    text, each place confirmed by the term's own pattern (ten times faster than a case-insensitive regex scan,
    which cannot skip ahead on a literal). A regex term, or a text whose lower-casing changes its length (so
    positions would not carry over): the case-insensitive scan."""
    if term.kind == "regex" or low is None or not term.text.isascii():
        yield from compile_terms((term,), ignore_case=True).starts(text)
        return
    head, rx = _literal(term)
    at = low.find(head)
    while at >= 0:
        if rx.match(low, at):
            yield at
        at = low.find(head, at + 1)


@lru_cache(maxsize=4096)
def _literal(term: Term) -> tuple[str, re.Pattern[str]]:
    """A phrase or prefix term's first word, and its pattern for lower-case text."""
    head = next(w for w in re.split(r"[\s\-]+", term.text) if w)
    return head, re.compile(term.pattern())


def _cut(text: str, start: int) -> str:
    end = start + SNIPPET
    if start > 0:
        space = text.find(" ", start)
        start = space + 1 if 0 <= space < start + 30 else start
    if end < len(text):
        space = text.rfind(" ", start, end)
        end = space if space > start else end
    out = text[start:end].strip()
    return ("…" if start > 0 else "") + out + ("…" if end < len(text) else "")
