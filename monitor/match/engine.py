"""The matcher: every milestone's rules compiled once into one Aho-Corasick automaton.

Pure: plain values in, MatchResult out. Per item the cost is one normalisation, one automaton scan and a set
check for the few milestones indexed under a term that occurred, so it barely grows with the number of rules.
Terms the automaton cannot decide alone (a `/regex/`, an acronym's capitals, `A near B`) are checked only for a
milestone that is already a candidate, and only once per item.
"""

from __future__ import annotations

import datetime as dt
import itertools
import operator
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

import ahocorasick_rs

from .amounts import find_amounts, may_hold_amount, with_amounts
from .normalize import SEPARATORS, normalize
from .rules import DATE_SLACK_DAYS, MatchRule, MilestoneRule
from .sentences import sentence_spans, split_sentences
from .signals import SignalCache, SignalReason, SignalRules, Vocabulary, before_completion, decide_signal_reason
from .terms import HAN, HAN_CHAR, SPACELESS, Bounded, Term, WholeWords, compile_terms, has_spaceless

TITLE_WEIGHT = 2.0
BODY_WEIGHT = 1.0
_PATTERN = operator.itemgetter(0)  # an automaton hit (pattern index, start, end): its pattern index


# A word of a script with spaces (letters, digits, a percent sign) touching a spaceless script: "JBICに", "MOU를",
# "25%로", "对ART": a space between them, so the Latin word is a word of its own, as WORD_START/WORD_END find it
_SCRIPT_EDGE = re.compile(rf"(?<=[^\W{SPACELESS}]|%)(?=[{SPACELESS}])|(?<=[{SPACELESS}])(?=[^\W{SPACELESS}])")
_HAN_EDGE = re.compile(
    rf"(?<=[{HAN}])(?=[\u3040-\u30ff\uac00-\ud7af])|(?<=[\u3040-\u30ff\uac00-\ud7af])(?=[{HAN}])"
)


def match_form(text: str) -> str:
    """Casefolded words separated by single spaces, padded: ' us japan rare earth deal '."""
    return " " + " ".join(words_of(text)) + " "


def _ascii_separators() -> bytes:
    """SEPARATORS for ASCII text as bytes, and the ASCII characters str.split() takes for whitespace but
    bytes.split() does not (\\x1c-\\x1f) as spaces: bytes split as the str would."""
    seps = bytes(c for c in range(128) if c in SEPARATORS) + bytes(c for c in range(128) if chr(c).isspace())
    return bytes.maketrans(seps, b" " * len(seps))


_ASCII_SEPARATORS = _ascii_separators()


def words_of(text: str) -> list[str]:
    """The casefolded words of `text`, punctuation dropped. Where Han characters meet kana or Hangul a space is
    put between them, so a Han character standing alone in a Korean or Japanese headline ("美국무부", "米、")
    is a word of its own; so is a Latin word or a number written against such a script ("JBICに", "15%에서").
    ASCII text skips the Unicode normalisation (NFKC and case folding of ASCII are lower())."""
    if text.isascii():
        folded = text.lower()
    else:
        folded = unicodedata.normalize("NFKC", text).casefold()
        if has_spaceless(folded):
            folded = _SCRIPT_EDGE.sub(" ", folded)
            if HAN_CHAR.search(folded):
                folded = _HAN_EDGE.sub(" ", folded)
    return folded.translate(SEPARATORS).split()


def term_key(term: Term) -> str:
    """The automaton key of a phrase or prefix term: whole words, a prefix leaves its end open; a term of a
    script without spaces between words is a substring."""
    words = match_form(term.text).strip()
    if term.substring:
        return words
    return f" {words} " if term.kind == "phrase" else f" {words}"


def acronym_keys(term: Term) -> tuple[str, ...]:
    """Automaton keys that must occur before an acronym's capitals are checked: ' mou ', ' mous ', ' m o u '."""
    letters = term.text
    return (f" {letters} ", f" {letters}s ", " " + " ".join(letters) + " ")


@dataclass(frozen=True)
class ItemText:
    """What the matcher reads of an item: its title, its plain text, and (when known) the day it was published."""

    title: str
    text: str
    published: dt.date | None = None


@dataclass(frozen=True)
class MatchResult:
    milestone: str
    score: float
    terms: tuple[str, ...]  # the terms that occurred, as written in the config
    signal: str  # completion | progress | delay | none
    snippet: str
    in_title: bool


@dataclass(frozen=True)
class TermHit:
    """Where one term of a rule occurred: the term as written in the rule, the group it satisfies, the field,
    and the offsets of its first occurrence there (in the item's title or text as stored)."""

    term: str
    group: str  # all[0], all[1] ..., any
    field: str  # title | text
    start: int | None  # None: the term occurred, but its place could not be mapped back (a regex on folded text)
    end: int | None
    matched: str


@dataclass(frozen=True)
class Explanation:
    """Why an item is evidence for a milestone, by the current rules."""

    matches_now: bool  # False: the current rules no longer match it (`monitor rematch` would drop it)
    score: float
    hits: tuple[TermHit, ...]
    signal: SignalReason

    def summary(self) -> str:
        """One line: each group's first hit (the title's, if any), then the signal's reason."""
        if not self.matches_now:
            return "the current rules no longer match this item"
        first: dict[str, TermHit] = {}
        for h in self.hits:
            if h.group not in first or (h.field == "title" and first[h.group].field != "title"):
                first[h.group] = h
        parts = [
            f"{h.group} {h.matched or h.term!r} ({h.field}" + (f" {h.start}-{h.end})" if h.start is not None else ")")
            for h in first.values()
        ]
        return "; ".join(parts) + f" — {self.signal.describe()}"


@dataclass(frozen=True)
class _Lazy:
    """A term the automaton cannot decide alone: a regex (checked on the normalised text), an acronym (its
    letters in the automaton, its capitals checked on the text as written), `A near B` (both sides in the
    automaton, their distance checked sentence by sentence), or `title:X` (X found, and in the title). `needs`:
    sets of ids that must each occur before the check is worth making."""

    term: Term
    needs: tuple[frozenset[int], ...]
    rx: Bounded | None = None
    sides: tuple[tuple[Term, ...], ...] = ()  # `near`: the terms of each side (an alias expanded)
    side_ids: tuple[frozenset[int] | None, ...] = ()  # `near`: each side's automaton ids, when its every term
    # is a phrase or prefix (None: a side with an amount, found in the sentences only)
    inner: frozenset[int] = frozenset()  # `title:`: the ids of the term it scopes, found in the title or not


@dataclass(frozen=True)
class _Rule:
    milestone: str
    groups: tuple[frozenset[int], ...]  # `all` entries, then the `any` list as one more group
    group_names: tuple[str, ...]  # all[0] ... any
    none: frozenset[int]
    lazy_ids: frozenset[int]  # regex, acronym and near terms anywhere in the rule: checked only for a candidate
    signals: SignalRules
    written: Mapping[int, str]  # term id -> the term as written in this rule ("@japan" for Tokyo)
    not_before: dt.date | None  # an item published before this is not evidence (an earlier deal)
    completed_on: dt.date | None  # the milestone's known completion: an earlier item's completion is progress
    plain_groups: tuple[frozenset[int], ...] = ()  # the groups without a lazy term, the likeliest to be missing
    # first (the anchor last): a candidate missing one is rejected before anything else is looked at
    lazy_groups: tuple[tuple[frozenset[int], frozenset[int]], ...] = ()  # each group holding a lazy term, with
    # the lazy terms it needs checked (theirs and those a `title:` of them scopes): a candidate none of whose
    # automaton terms of such a group occurred is rejected when its lazy ones are not found either, before the
    # rule's other lazy terms are checked

    def dated_out(self, published: dt.date | None) -> bool:
        """Published before the rule's date floor: not evidence for it."""
        return self.not_before is not None and published is not None and published < self.not_before


class _Forms:
    """An item's text in the forms the lazy terms read, each made once and only if asked for."""

    __slots__ = ("fields", "_normal", "_nfkc", "_sentences", "_amounts", "_plain")

    def __init__(self, item: ItemText) -> None:
        self.fields = (item.title, item.text)
        self._normal: dict[int, str] = {}
        self._nfkc: dict[int, str] = {}
        self._sentences: dict[int, list[list[str]]] = {}
        self._amounts: dict[int, frozenset[str]] = {}
        self._plain: dict[int, bool] = {}

    def plain(self, i: int) -> bool:
        """Whether a field is ASCII with no amount in it: then NFKC and with_amounts leave it as it is, and the
        words of its sentences are runs of the words of its whole-word form (a sentence ends at separators
        only), so a phrase or prefix occurs in a sentence only if its automaton key occurred in the field."""
        if i not in self._plain:
            text = self.fields[i]
            self._plain[i] = text.isascii() and not may_hold_amount(text)
        return self._plain[i]

    def amounts(self, i: int) -> frozenset[str]:
        """The canonical amounts in a field ("550 billion")."""
        if i not in self._amounts:
            self._amounts[i] = frozenset(a.canonical for a in find_amounts(self.nfkc(i)))
        return self._amounts[i]

    def normal(self, i: int) -> str:
        if i not in self._normal:
            self._normal[i] = normalize(self.fields[i])
        return self._normal[i]

    def nfkc(self, i: int) -> str:
        if i not in self._nfkc:
            self._nfkc[i] = unicodedata.normalize("NFKC", self.fields[i])
        return self._nfkc[i]

    def sentences(self, i: int) -> list[list[str]]:
        """The words of each sentence of a field, its amounts in their canonical form ("550 billion"). An ASCII
        field skips NFKC and case folding (lower() of it is its case folding), and its sentences that hold no
        amount skip with_amounts too (it would change nothing): their words are those of the field lowered and
        translated once, sliced at the sentence (translating keeps every character's place)."""
        if i not in self._sentences:
            text = self.fields[i]
            if text.isascii():
                low = text.lower()
                words = low.encode("ascii").translate(_ASCII_SEPARATORS).decode("ascii")
                hinted = not self.plain(i)  # a plain field has no amount in any sentence
                self._sentences[i] = [
                    words_of(with_amounts(low[a:b]))
                    if hinted and may_hold_amount(low[a:b])
                    else words[a:b].split()
                    for a, b in sentence_spans(text)
                ]
            else:
                self._sentences[i] = [
                    words_of(with_amounts(s.casefold())) for s in split_sentences(self.nfkc(i))
                ]
        return self._sentences[i]


@dataclass(frozen=True, slots=True)
class _Anchored:
    """The milestones anchored on one term. `filtered` have a group of automaton terms besides their anchor group,
    and `needs` is the union of one such group of each: when no term of `needs` occurred, each of them misses a
    group, so none is a candidate (one set test for all, where an off-topic item with 1,000 rules has ten
    candidates, nearly all missing a group). `always`: the others, candidates whenever the anchor occurred."""

    always: tuple[str, ...] = ()
    filtered: tuple[str, ...] = ()
    needs: frozenset[int] = frozenset()


@dataclass
class Matcher:
    threshold: float = 1.0
    _automaton: _WordKeys | None = None  # whole-word keys: ' japan ', ' rare earth ', ' ratif'
    _substrings: _Keys | None = None  # keys of scripts without spaces: '日本', '한국'. Apart,
    # because a root with hundreds of first characters makes every step of the scan slow (3x on English text)
    _terms: list[Term] = field(default_factory=list)
    _rules: dict[str, _Rule] = field(default_factory=dict)
    _index: dict[int, _Anchored] = field(default_factory=dict)  # term id -> milestones anchored on it
    _lazy: dict[int, _Lazy] = field(default_factory=dict)
    _always: list[str] = field(default_factory=list)  # milestones with no literal anchor (regex-only)

    def match(self, item: ItemText, milestones: Iterable[str] | None = None) -> list[MatchResult]:
        """Every milestone (or every one of `milestones`) whose rule the item satisfies, best first."""
        allowed = milestones if milestones is None or isinstance(milestones, frozenset) else frozenset(milestones)
        in_title, in_body = self._scan(item)
        hits = in_title | in_body
        candidates: set[str] = set(self._always)
        index = self._index
        for anchored in map(index.__getitem__, index.keys() & hits):
            if anchored.always:
                candidates.update(anchored.always)
            if anchored.filtered and not anchored.needs.isdisjoint(hits):  # else each of them misses a group
                candidates.update(anchored.filtered)
        rules = self._rules
        results = []
        signal_cache: SignalCache = {}
        done: set[int] = set()
        forms: _Forms | None = None
        for mid in candidates:
            rule = rules[mid]
            for group in rule.plain_groups:  # most candidates miss a group of automaton terms: rejected at once
                if group.isdisjoint(hits):
                    break
            else:
                if allowed is not None and mid not in allowed:
                    continue
                if rule.dated_out(item.published):
                    continue
                if rule.lazy_ids and not rule.lazy_ids <= done:
                    # every group of automaton terms occurred (no lazy term can make up for a missing one)
                    forms = forms or _Forms(item)
                    if self._lazy_group_missing(rule, forms, in_title, in_body, hits, done):
                        continue
                    self._check_lazy(rule.lazy_ids - done, forms, in_title, in_body, hits)
                    done |= rule.lazy_ids
                score = self._score(rule, hits, in_title)
                if score is not None and score >= self.threshold:
                    results.append(self._result(item, rule, score, hits, in_title, signal_cache))
        results.sort(key=lambda r: (-r.score, r.milestone))
        return results

    def _scan(self, item: ItemText) -> tuple[set[int], set[int]]:
        """The ids of the literal terms in the title and in the text: words, phrases and prefixes by one automaton
        over the whole-word form (a one-word key ' japan ' occurs there exactly where a word is 'japan'), terms of
        scripts without spaces by theirs."""
        found: list[set[int]] = []
        automaton, substrings = self._automaton, self._substrings
        for text in (item.title, item.text):
            if text.isascii():  # no script without spaces in it: the word keys alone
                found.append(automaton.found_in(text) if automaton is not None else set())
                continue
            form = match_form(text)
            ids = automaton.found_in_form(form) if automaton is not None else set()
            if substrings is not None and has_spaceless(form):
                ids |= substrings.found(form)
            found.append(ids)
        return found[0], found[1]

    @staticmethod
    def _score(rule: _Rule, hits: set[int], in_title: set[int]) -> float | None:
        if not rule.none.isdisjoint(hits):
            return None
        for group in rule.groups:  # cheap rejection first: most candidates miss a group
            if group.isdisjoint(hits):
                return None
        return sum(TITLE_WEIGHT if not g.isdisjoint(in_title) else BODY_WEIGHT for g in rule.groups)

    def _lazy_group_missing(
        self, rule: _Rule, forms: _Forms, in_title: set[int], in_body: set[int], hits: set[int], done: set[int]
    ) -> bool:
        """Whether a group of the rule holding lazy terms has no term in the item: each such group none of whose
        automaton terms occurred has its lazy terms checked (and noted in `done`), and the first still empty
        rejects the candidate before its other lazy terms (a near miss's amounts, sentences) are looked at."""
        for group, needed in rule.lazy_groups:
            if not group.isdisjoint(hits):
                continue
            todo = needed - done
            if todo:
                self._check_lazy(todo, forms, in_title, in_body, hits)
                done |= todo
            if group.isdisjoint(hits):
                return True
        return False

    def _check_lazy(
        self, ids: Iterable[int], forms: _Forms, in_title: set[int], in_body: set[int], hits: set[int]
    ) -> None:
        for tid in sorted(ids):  # a scoped term after the terms it scopes (made first, so numbered lower)
            lazy = self._lazy[tid]
            if not all(not need.isdisjoint(hits) for need in lazy.needs):
                continue
            if lazy.term.kind == "title":
                if not lazy.inner.isdisjoint(in_title):
                    in_title.add(tid)
                    hits.add(tid)
                continue
            for i, found in ((0, in_title), (1, in_body)):
                if lazy.side_ids and forms.plain(i) and _side_missing(lazy.side_ids, found):
                    continue  # a side's keys are not in this field: no sentence of it holds that side
                if _lazy_found(lazy, forms, i):
                    found.add(tid)
                    hits.add(tid)
                    break

    def _result(
        self,
        item: ItemText,
        rule: _Rule,
        score: float,
        hits: set[int],
        in_title: set[int],
        signal_cache: SignalCache,
    ) -> MatchResult:
        used, snippet, reason = self._evidence(item, rule, hits, signal_cache)
        terms = tuple(dict.fromkeys(self._terms[t].source for t in used))
        return MatchResult(rule.milestone, score, terms, reason.signal, snippet, bool(in_title.intersection(used)))

    def _evidence(
        self, item: ItemText, rule: _Rule, hits: set[int], signal_cache: SignalCache
    ) -> tuple[list[int], str, SignalReason]:
        """The rule's terms that occurred, the snippet cut around them, and the signal read from title and snippet."""
        used = sorted({tid for g in rule.groups for tid in g if tid in hits})
        snippet = make_snippet(item, self._placed(used))
        reason = decide_signal_reason(item.title, snippet, rule.signals, signal_cache)
        return used, snippet, before_completion(reason, item.published, rule.completed_on, DATE_SLACK_DAYS)

    def _sides(self, tid: int) -> tuple[tuple[Term, ...], ...] | None:
        lazy = self._lazy.get(tid)
        return lazy.sides if lazy is not None and lazy.sides else None

    def _placed(self, used: Sequence[int]) -> list[Term]:
        """The terms whose places a snippet is cut around: a `near` term by the terms of its sides."""
        out = []
        for t in used:
            sides = self._sides(t)
            out += [x for side in sides for x in side] if sides else [self._terms[t]]
        return out

    # ------------------------------------------------------------ explaining one match

    def explain(self, item: ItemText, milestone: str) -> Explanation | None:
        """Which terms of `milestone`'s rule occurred where in `item`, its score and why its signal is what it
        is; None when the milestone has no rule. Offsets are into the item's title and text as given."""
        rule = self._rules.get(milestone)
        if rule is None:
            return None
        in_title, in_body = self._scan(item)
        hits = in_title | in_body
        forms = _Forms(item)
        self._check_lazy(rule.lazy_ids, forms, in_title, in_body, hits)
        score = self._score(rule, hits, in_title)
        matches_now = score is not None and score >= self.threshold and not rule.dated_out(item.published)
        out: list[TermHit] = []
        for name, group in zip(rule.group_names, rule.groups, strict=True):
            for tid in sorted(group & hits):
                term = self._terms[tid]
                for fname, text, found in (("title", item.title, in_title), ("text", item.text, in_body)):
                    if tid not in found:
                        continue
                    placed = term
                    lazy = self._lazy.get(tid)
                    if lazy is not None and lazy.inner:  # `title:@alias`: the alias member that occurred
                        placed = next((self._terms[x] for x in sorted(lazy.inner) if x in found), term)
                    span = next(term_spans(placed, text, self._sides(tid)), None)
                    written = rule.written.get(tid, term.source)
                    shown = written if written == term.source else f"{written} ({term.source})"
                    if span is None:
                        out.append(TermHit(shown, name, fname, None, None, ""))
                    else:
                        out.append(TermHit(shown, name, fname, span[0], span[1], text[span[0] : span[1]]))
        _, _, reason = self._evidence(item, rule, hits, {})
        return Explanation(matches_now, score or 0.0, tuple(out), reason)


def _side_missing(side_ids: Sequence[frozenset[int] | None], found: set[int]) -> bool:
    """Whether a side of `near`, all of whose terms have automaton keys, has none of them in a plain field's ids:
    then near_found is False on that field, and its sentences need not be made (see _Forms.plain)."""
    return any(ids is not None and ids.isdisjoint(found) for ids in side_ids)


def _lazy_found(lazy: _Lazy, forms: _Forms, i: int) -> bool:
    term = lazy.term
    if term.kind == "regex":
        return lazy.rx is not None and lazy.rx.found(forms.normal(i))
    if term.kind == "acronym":
        return acronym_found(term, forms.nfkc(i))
    if term.kind == "amount":
        return term.text in forms.amounts(i)
    return near_found(lazy.sides, term.distance, forms.sentences(i))


# ---------------------------------------------------------------- building


def _lazy_closure(ids: set[int], lazy: Mapping[int, _Lazy]) -> frozenset[int]:
    """`ids` and every lazy term they scope (a `title:` acronym needs its acronym checked first)."""
    todo, out = list(ids), set(ids)
    while todo:
        for x in lazy[todo.pop()].inner:
            if x in lazy and x not in out:
                out.add(x)
                todo.append(x)
    return frozenset(out)


def _ids_of(terms: Iterable[Term], tid: Callable[[Term], list[int]], written: dict[int, str]) -> frozenset[int]:
    """The term ids of a group, noting in `written` how the rule wrote each (an alias member: "@japan")."""
    out = set()
    for t in terms:
        for x in tid(t):
            written.setdefault(x, t.source)
            out.add(x)
    return frozenset(out)


def _as_word(term: Term) -> Term:
    """An acronym as a plain phrase of its letters (inside `near`); any other term as it is."""
    return Term("phrase", term.text, term.source) if term.kind == "acronym" else term


def _breadth(term: Term) -> float:
    """A guess at how often a term occurs, to anchor each rule on its rarest group: a prefix finds many words,
    a phrase of several words few."""
    if term.kind == "prefix":
        return 3.0
    if term.kind == "acronym":
        return 2.0
    if term.kind == "near":
        return 0.5
    return 1.0 if " " not in term.text.strip() else 0.5


def _group_breadth(group: frozenset[int], terms: Sequence[Term]) -> float:
    """A guess at how often some term of a group occurs: the sum of its terms' breadths."""
    return sum(_breadth(terms[t]) for t in group)


def build_matcher(
    milestones: Sequence[MilestoneRule],
    aliases: Mapping[str, tuple[Term, ...]],
    signals: Mapping[str, tuple[Term, ...]],
    threshold: float = 1.0,
) -> Matcher:
    """One matcher for every milestone with a rule; `aliases` and `signals` are the config's global terms."""
    m = Matcher(threshold=threshold)
    ids: dict[tuple[str, str], int] = {}
    anchors: dict[int, frozenset[int]] = {}  # term id -> automaton ids whose occurrence it needs (its anchor)
    common = Vocabulary.of(signals)  # one global vocabulary: its verdicts are cached across milestones
    anchored: dict[int, list[tuple[str, frozenset[int] | None]]] = {}  # anchor id -> (milestone, another group)

    def new_id(key: tuple[str, str], term: Term) -> tuple[int, bool]:
        if key in ids:
            return ids[key], False
        ids[key] = len(m._terms)
        m._terms.append(term)
        return ids[key], True

    def literal(key: str, term: Term) -> int:
        tid, _ = new_id(("literal", key), term)
        anchors.setdefault(tid, frozenset([tid]))
        return tid

    def expand(term: Term) -> list[Term]:
        return list(aliases[term.text]) if term.kind == "alias" else [term]

    def tid(term: Term) -> list[int]:
        if term.kind == "alias":
            return [x for t in aliases[term.text] for x in tid(t)]
        if term.kind in ("phrase", "prefix"):
            return [literal(term_key(term), term)]
        if term.kind == "regex":
            i, made = new_id(("regex", term.text), term)
            if made:
                m._lazy[i] = _Lazy(term, (), compile_terms((term,)))
            return [i]
        if term.kind == "amount":  # read from the item's amounts, only for a milestone already a candidate
            i, made = new_id(("amount", term.text), term)
            if made:
                m._lazy[i] = _Lazy(term, ())
            return [i]
        if term.kind == "acronym":
            i, made = new_id(("acronym", term.text), term)
            if made:
                keys = frozenset(literal(k, Term("phrase", k.strip(), term.source)) for k in acronym_keys(term))
                m._lazy[i] = _Lazy(term, (keys,))
                anchors[i] = keys
            return [i]
        if term.kind == "title":
            inner = frozenset(tid(term.parts[0]))  # numbered first: checked before the scope that reads them
            i, made = new_id(("title", term.source.strip().casefold()), term)
            if made:
                m._lazy[i] = _Lazy(term, (inner,), inner=inner)
                if all(x in anchors for x in inner):
                    anchors[i] = frozenset(a for x in inner for a in anchors[x])
            return [i]
        # near: each side's terms are automaton keys; the pair is checked only when both sides occurred (an
        # acronym on a side is found by its letters there, whatever its case)
        i, made = new_id(("near", term.text), term)
        if made:
            sides = tuple(tuple(_as_word(t) for t in expand(part)) for part in term.parts)
            keyed = [frozenset(x for t in side if t.kind in ("phrase", "prefix") for x in tid(t)) for side in sides]
            # a side with an amount needs nothing from the automaton: it is read from the sentence itself
            needs = tuple(n for n, side in zip(keyed, sides, strict=True) if all(t.kind != "amount" for t in side))
            side_ids = tuple(
                ids if all(t.kind in ("phrase", "prefix") for t in side) else None
                for ids, side in zip(keyed, sides, strict=True)
            )
            m._lazy[i] = _Lazy(term, needs, None, sides, side_ids=side_ids)
            if needs and needs[0] == keyed[0]:
                anchors[i] = needs[0]
        return [i]

    for ms in milestones:
        rule: MatchRule | None = ms.match
        if rule is None:
            continue
        written: dict[int, str] = {}
        groups = [_ids_of(g, tid, written) for g in rule.all]
        names = [f"all[{j}]" for j in range(len(groups))]
        if rule.any:
            groups.append(_ids_of(rule.any, tid, written))
            names.append("any")
        none = _ids_of(rule.none, tid, written)
        lazy_ids = _lazy_closure({t for g in [*groups, none] for t in g if t in m._lazy}, m._lazy)
        anchorable = [g for g in groups if all(t in anchors for t in g)]
        best = min(anchorable, key=lambda g: _group_breadth(g, m._terms)) if anchorable else None
        plain = sorted(
            (g for g in groups if g.isdisjoint(lazy_ids)), key=lambda g: (g is best, _group_breadth(g, m._terms))
        )
        m._rules[ms.id] = _Rule(
            ms.id,
            tuple(groups),
            tuple(names),
            none,
            lazy_ids,
            SignalRules(Vocabulary.of(dict(ms.signals)), common),
            written,
            rule.not_before,
            rule.completed_on,
            tuple(plain),
            tuple((g, _lazy_closure(set(g & lazy_ids), m._lazy)) for g in groups if not g.isdisjoint(lazy_ids)),
        )
        if best is not None:
            other = next((g for g in plain if g is not best), None)  # a group it needs besides its anchor
            for anchor_id in frozenset(a for t in best for a in anchors[t]):
                anchored.setdefault(anchor_id, []).append((ms.id, other))
        else:
            m._always.append(ms.id)
    for anchor_id, found in anchored.items():
        always = tuple(mid for mid, other in found if other is None)
        filtered = tuple(mid for mid, other in found if other is not None)
        needs = frozenset(t for _, other in found if other is not None for t in other)
        m._index[anchor_id] = _Anchored(always, filtered, needs)
    keyed = [(key, i) for (kind, key), i in ids.items() if kind == "literal"]
    words = [(k, i) for k, i in keyed if k.startswith(" ")]
    substrings = [(k, i) for k, i in keyed if not k.startswith(" ")]
    m._automaton = _WordKeys(words) if words else None
    m._substrings = _Keys(substrings) if substrings else None
    return m


class _Keys:
    """Automaton keys and the term id of each: which ids occur in a text, by one scan (the keys of scripts without
    spaces, '日本', found as substrings of a whole-word form; _WordKeys finds the whole-word keys).

    The scan is the Rust aho-corasick crate's (ahocorasick_rs), with every overlapping match reported (standard
    semantics: each key at each place it ends, as pyahocorasick's iter() did, so the same set of ids). It walks
    a text in about 60 % of pyahocorasick's time; the ids are taken from the hits in C (map, itemgetter, list
    lookup), no Python code per hit."""

    __slots__ = ("_scan", "_ids")

    def __init__(self, keys: Sequence[tuple[str, int]]) -> None:
        self._scan = ahocorasick_rs.AhoCorasick([k for k, _ in keys]).find_matches_as_indexes
        self._ids = [i for _, i in keys]  # pattern index -> term id

    def found(self, text: str) -> set[int]:
        """The ids of the keys that occur in `text`."""
        return set(map(self._ids.__getitem__, map(_PATTERN, self._scan(text, overlapping=True))))


class _WordKeys:
    """Whole-word keys (' japan ', ' rare earth ', ' ratif') and the term id of each: which ids occur in a text.

    They are found in the whole-word form (match_form), but an ASCII text is scanned before its runs of
    spaces are squeezed, which is most of the cost of making that form (one bytes.replace pass costs more than
    lower-casing, translating and scanning together). A one-word key ' japan ' occurs there exactly where it
    occurs in the squeezed form: at a word bounded by spaces. A key of several words is added once for each way
    of writing its gaps as runs of 1 to `widest` spaces (' rare earth ', ' rare  earth ', ' rare   earth '), so
    it is found wherever its words follow each other, however many separators stood between them ("rare,
    earth", "rare - earth"); a text with a longer run of spaces (an ellipsis, "U.S. - Japan") is squeezed first,
    as before. `widest` is 3 unless a config's long phrases would make too many variants (then 2, or 1: every
    text with a double space squeezed). Keys are scanned as UTF-8 bytes: a text that is not ASCII is scanned in
    its whole-word form (squeezed, so only the one-space variants can occur in it)."""

    __slots__ = ("_scan", "_ids", "_squeeze_at")

    def __init__(self, keys: Sequence[tuple[str, int]]) -> None:
        widest = _widest_gap(keys)
        patterns, ids = [], []
        for key, i in keys:
            for variant in _gap_variants(key, widest):
                patterns.append(variant.encode("utf-8"))
                ids.append(i)
        self._scan = ahocorasick_rs.BytesAhoCorasick(patterns).find_matches_as_indexes
        self._ids = ids  # pattern index -> term id
        self._squeeze_at = b" " * (widest + 1)  # a run of spaces no variant spans

    def found_in(self, text: str) -> set[int]:
        """The ids of the keys whose words occur in an ASCII text."""
        form = text.encode("ascii").lower().translate(_ASCII_SEPARATORS)
        if self._squeeze_at in form:
            while b"  " in form:
                form = form.replace(b"  ", b" ")
        return self._found(b" " + form + b" ")

    def found_in_form(self, form: str) -> set[int]:
        """The ids of the keys that occur in a whole-word form (match_form of a text)."""
        return self._found(form.encode("utf-8"))

    def _found(self, form: bytes) -> set[int]:
        return set(map(self._ids.__getitem__, map(_PATTERN, self._scan(form, overlapping=True))))


VARIANT_BUDGET = (4, 10_000)  # automaton patterns: at most 4 per key and 10,000 more (the shipped rules and
# 1,000 synthetic ones: 9,459 patterns for 5,307 keys)


def _widest_gap(keys: Sequence[tuple[str, int]]) -> int:
    """The widest run of spaces each gap of a key is written with: 3, unless that makes more patterns than
    VARIANT_BUDGET allows (a config with many phrases of six words or more), then 2, then 1."""
    gaps = [key.strip(" ").count(" ") for key, _ in keys]
    per_key, more = VARIANT_BUDGET
    for widest in (3, 2):
        if sum(widest**g for g in gaps) <= per_key * len(keys) + more:
            return widest
    return 1


def _gap_variants(key: str, widest: int) -> Iterator[str]:
    """A whole-word key with each gap between its words written as 1 to `widest` spaces; its ends as they are."""
    words = key.strip(" ").split(" ")
    head, tail = key[: len(key) - len(key.lstrip(" "))], key[len(key.rstrip(" ")) :]
    for gaps in itertools.product([" " * n for n in range(1, widest + 1)], repeat=len(words) - 1):
        yield head + "".join(w + g for w, g in zip(words[:-1], gaps, strict=True)) + words[-1] + tail


# ---------------------------------------------------------------- acronyms, near


def acronym_spans(term: Term, text: str) -> Iterator[tuple[int, int]]:
    """Where an acronym is written as one in `text`: its letters, dots allowed (U.S.), a plural s allowed (MOUs),
    with at least two capitals, so "ART" and "MoU" count and "art" and "Art" do not. Found with str.find of the
    letters in the lower-cased text (ten times faster than a case-insensitive regex scan), each place checked
    for whole-word edges and capitals; a text whose lower-casing changes its length takes the regex scan."""
    low = text.lower()
    if len(low) != len(text):
        for start, end in compile_terms((term,), ignore_case=True).spans(text):
            if sum(c.isupper() for c in text[start:end]) >= 2:
                yield start, end
        return
    yield from sorted(set(_acronym_places(term, text, low)))


def acronym_found(term: Term, text: str) -> bool:
    """Whether the acronym is written as one anywhere in `text` (acronym_spans finds a place): stops at the first
    place found, unsorted, where acronym_spans finds and sorts them all."""
    low = text.lower()
    if len(low) != len(text):
        return next(acronym_spans(term, text), None) is not None
    return next(_acronym_places(term, text, low), None) is not None


def _acronym_places(term: Term, text: str, low: str) -> Iterator[tuple[int, int]]:
    """acronym_spans's places for a text whose lower-casing keeps its length, in the order found (by form)."""
    if len(term.text) == 2:  # two capitals of two letters: only the capital forms count ("US", "U.S")
        low = text
    for form in (term.text, ".".join(term.text)):
        if len(term.text) == 2:
            form = form.upper()
        at = low.find(form)
        while at >= 0:
            end = at + len(form)
            if end < len(low) and low[end] == ".":
                end += 1
            if end < len(low) and low[end] in "sS" and (end + 1 == len(low) or not low[end + 1].isalnum()):
                end += 1
            if (
                (at == 0 or not (_in_word(low[at - 1]) or low[at - 1] == "."))
                and (end == len(low) or not _in_word(low[end]))
                and sum(c.isupper() for c in text[at:end]) >= 2
            ):
                yield at, end
            at = low.find(form, at + 1)


def _in_word(c: str) -> bool:
    """Whether a character next to an acronym continues its word: a letter or digit, but not one of a script
    without spaces ("MOU를", "对ART" are the acronyms)."""
    return c.isalnum() and not has_spaceless(c)


def _positions(term: Term, words: list[str]) -> Iterator[tuple[int, int]]:
    """(first, last) word index of each occurrence of a phrase, prefix or amount term in a sentence's words (an
    amount as its canonical words: the sentence's amounts are in that form)."""
    key = _words_of_term(term)
    if not key:
        return
    if term.substring:
        needle = "".join(key)
        for i, w in enumerate(words):
            if needle in w:
                yield i, i
        return
    n = len(key)
    prefix = term.kind == "prefix"
    if (n > 1 or not prefix) and key[0] not in words:  # its first word is whole: a list test in C rejects most
        return
    for i in range(len(words) - n + 1):
        if words[i : i + n - 1] == key[:-1] and (
            words[i + n - 1].startswith(key[-1]) if prefix else words[i + n - 1] == key[-1]
        ):
            yield i, i + n - 1


@lru_cache(maxsize=4096)
def _words_of_term(term: Term) -> list[str]:
    """A term's words as _positions compares them (made once per term, not once per sentence; never changed)."""
    return match_form(term.text).split()


def near_found(sides: Sequence[Sequence[Term]], distance: int, sentences: Sequence[list[str]]) -> bool:
    """Whether a term of each side occurs in one sentence with at most `distance` words between them."""
    for words in sentences:
        a = [p for t in sides[0] for p in _positions(t, words)]
        if not a:
            continue
        b = [p for t in sides[1] for p in _positions(t, words)]
        for i1, j1 in a:
            for i2, j2 in b:
                gap = i2 - j1 - 1 if i2 > j1 else i1 - j2 - 1
                if gap <= distance:
                    return True
    return False


# ---------------------------------------------------------------- snippets and offsets

SNIPPET = 240


def make_snippet(item: ItemText, terms: Sequence[Term]) -> str:
    """About 240 characters of the item's text around its densest cluster of matched terms, whole words."""
    text = item.text or item.title
    low = text.lower()  # once, not once per term
    same_length = len(low) == len(text)
    spaceless = has_spaceless(low)
    spans: list[int] = []
    for t in terms:
        if same_length and t.kind in ("phrase", "prefix") and t.text.isascii():
            head, words = _literal(t)  # term_spans's own way for such a term, without a generator per term
            rx = words.full() if spaceless else words.plain
            at = low.find(head)
            while at >= 0:
                if rx.match(low, at):
                    spans.append(at)
                    if len(spans) > 200:
                        break
                at = low.find(head, at + 1)
            continue
        for start, _ in term_spans(t, text, low=low):
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


def term_spans(
    term: Term, text: str, sides: Sequence[Sequence[Term]] | None = None, low: str | None = None
) -> Iterator[tuple[int, int]]:
    """Where `term` occurs in `text` as written, in order (at most a few hundred places).

    An ASCII phrase or prefix: str.find of its first word in the lower-cased text, each place confirmed by the
    term's own pattern (ten times faster than a case-insensitive regex scan, which cannot skip ahead on a
    literal). An amount: the amounts of the text with the same value. An acronym: where its capitals are. `A near
    B`: where either side occurs. A regex term, or a text whose lower-casing changes its length (positions
    would not carry over): the case-insensitive scan."""
    if term.kind == "acronym":
        yield from acronym_spans(term, text)
        return
    if term.kind == "title":
        yield from term_spans(term.parts[0], text, sides)
        return
    if term.kind == "near":  # from a place of one side to the nearest place of the other
        left_terms, right_terms = sides if sides is not None else ([term.parts[0]], [term.parts[1]])
        left = [span for t in left_terms for span in term_spans(t, text)]
        right = [span for t in right_terms for span in term_spans(t, text)]
        pairs = sorted((abs(a[0] - b[0]), min(a[0], b[0]), max(a[1], b[1])) for a in left for b in right)
        yield from ((start, end) for _, start, end in pairs[:1])
        return
    if term.kind == "amount":
        yield from ((a.start, a.end) for a in find_amounts(text) if a.canonical == term.text)
        return
    low = text.lower() if low is None else low  # the caller's, when it looks for many terms in one text
    if term.kind == "regex" or len(low) != len(text) or not term.text.isascii():
        yield from compile_terms((term,), ignore_case=True).spans(text)
        return
    head, words = _literal(term)
    rx = words.for_text(low)
    at = low.find(head)
    while at >= 0:
        mo = rx.match(low, at)
        if mo:
            yield mo.span()
        at = low.find(head, at + 1)


@lru_cache(maxsize=4096)
def _literal(term: Term) -> tuple[str, WholeWords]:
    """An ASCII phrase or prefix term's first word, and its whole-word expression (term.pattern()) for lower-case
    text."""
    return term.words[0], WholeWords(term.body())


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
