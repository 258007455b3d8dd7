"""The matcher: every milestone's rules compiled once into one Aho-Corasick automaton.

Pure: plain values in, MatchResult out. Per item the cost is one normalisation, one automaton scan and a set
check for the few milestones indexed under a term that occurred, so it barely grows with the number of rules.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import ahocorasick

from ..definitions import MatchRule, MilestoneDef
from .signals import SignalRules, decide_signal
from .terms import Term

_NONWORD = re.compile(r"[^\w%]+")
TITLE_WEIGHT = 2.0
BODY_WEIGHT = 1.0


def match_form(text: str) -> str:
    """Casefolded words separated by single spaces, padded: ' us japan rare earth talks '."""
    return " " + _NONWORD.sub(" ", unicodedata.normalize("NFKC", text).casefold()).strip() + " "


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
    regexes: tuple[tuple[int, re.Pattern[str]], ...]
    signals: SignalRules


@dataclass
class Matcher:
    threshold: float = 1.0
    _automaton: ahocorasick.Automaton | None = None
    _terms: list[Term] = field(default_factory=list)
    _rules: dict[str, _Rule] = field(default_factory=dict)
    _index: dict[int, list[str]] = field(default_factory=dict)  # term id -> milestones anchored on it
    _regex_terms: list[tuple[int, re.Pattern[str]]] = field(default_factory=list)
    _always: list[str] = field(default_factory=list)  # milestones with no literal anchor (regex-only)

    def match(self, item: ItemText, milestones: Iterable[str] | None = None) -> list[MatchResult]:
        """Every milestone (or every one of `milestones`) whose rule the item satisfies, best first."""
        allowed = set(milestones) if milestones is not None else None
        title_form = match_form(item.title)
        body_form = match_form(item.text)
        in_title: set[int] = set()
        in_body: set[int] = set()
        if self._automaton is not None:
            for _, tid in self._automaton.iter(title_form):
                in_title.add(tid)
            for _, tid in self._automaton.iter(body_form):
                in_body.add(tid)
        if self._regex_terms:
            title_n, body_n = _normal(item.title), _normal(item.text)
            for tid, rx in self._regex_terms:
                if rx.search(title_n):
                    in_title.add(tid)
                elif rx.search(body_n):
                    in_body.add(tid)
        hits = in_title | in_body
        candidates: set[str] = set(self._always)
        for tid in hits:
            candidates.update(self._index.get(tid, ()))
        results = []
        for mid in candidates:
            if allowed is not None and mid not in allowed:
                continue
            rule = self._rules[mid]
            if not rule.none.isdisjoint(hits):
                continue
            score = 0.0
            ok = True
            for group in rule.groups:
                if not group.isdisjoint(in_title):
                    score += TITLE_WEIGHT
                elif not group.isdisjoint(in_body):
                    score += BODY_WEIGHT
                else:
                    ok = False
                    break
            if not ok or score < self.threshold:
                continue
            used = sorted({tid for g in rule.groups for tid in g if tid in hits})
            terms = tuple(dict.fromkeys(self._terms[t].source for t in used))
            snippet = make_snippet(item, [self._terms[t] for t in used])
            signal = decide_signal(item.title, snippet, rule.signals)
            results.append(MatchResult(mid, score, terms, signal, snippet, bool(used and in_title & set(used))))
        results.sort(key=lambda r: (-r.score, r.milestone))
        return results


def _normal(text: str) -> str:
    from .normalize import normalize

    return normalize(text)


def build_matcher(
    milestones: Sequence[MilestoneDef],
    aliases: Mapping[str, tuple[Term, ...]],
    signals: Mapping[str, tuple[Term, ...]],
    threshold: float = 1.0,
) -> Matcher:
    m = Matcher(threshold=threshold)
    ids: dict[tuple[str, str], int] = {}

    def tid(term: Term) -> list[int]:
        if term.kind == "alias":
            return [x for t in aliases[term.text] for x in tid(t)]
        key = (term.kind, term_key(term) if term.kind != "regex" else term.text)
        if key not in ids:
            ids[key] = len(m._terms)
            m._terms.append(term)
            if term.kind == "regex":
                m._regex_terms.append((ids[key], re.compile(term.text)))
        return [ids[key]]

    for ms in milestones:
        rule: MatchRule | None = ms.match
        if rule is None:
            continue
        groups = [frozenset(x for t in g for x in tid(t)) for g in rule.all]
        if rule.any:
            groups.append(frozenset(x for t in rule.any for x in tid(t)))
        none = frozenset(x for t in rule.none for x in tid(t))
        m._rules[ms.id] = _Rule(ms.id, tuple(groups), none, (), SignalRules.build(signals, dict(ms.signals)))
        literal = [g for g in groups if all(m._terms[t].kind != "regex" for t in g)]
        if literal:
            anchor = min(literal, key=len)  # the smallest group: fewest index entries, fewest candidates
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
    spans = []
    for t in terms:
        for mo in re.finditer(t.pattern(), text, re.IGNORECASE):
            spans.append(mo.start())
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
