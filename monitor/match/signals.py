"""Signals: does a match look like a completion, progress, or a delay?

Decided on the item's title first, then on the snippet around the hits:
1. a delay term (postponed, stalled, suspended ...) → `delay`;
2. else a completion term that is not negated or in the future ("has not been signed", "is expected to be
   signed", "will be held") → `completion`;
3. else (a milestone's own terms only) a `none` term, e.g. the parent framework's signing → `none`;
4. else a progress term, or a negated completion → `progress`;
5. else `none`.
The title decides when it has any signal; the snippet only when the title has none. A milestone's own
vocabulary is tried before the global one, so "suspends" can be a completion for China's export controls
while it is a delay everywhere else.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from .normalize import normalize
from .terms import Bounded, Term, compile_terms

NEGATORS = frozenset(
    "not no never yet without failed fails fail hasn't haven't isn't aren't wasn't weren't won't didn't doesn't "
    "unlikely before will would could may might should expected expects expect plans plan planned aims aim to be "
    "once until unless if awaiting await pending".split()
    # asking for, seeking or weighing something is not having it: "asks the US to publish it in the Federal Register"
    + "ask asks asked asking request requests requested requesting seek seeks seeking sought urge urges urged "
    "hope hopes hoped want wants considering considers consider weighs weighing mulls mulling ahead soon "
    "proposes proposed delays delayed".split()
)
LOOKBACK = 4  # words before a completion term that can negate it


@dataclass(frozen=True)
class Vocabulary:
    completion: Bounded | None  # bounded in time when a term is a regular expression from config
    delay: Bounded | None
    progress: Bounded | None
    none: Bounded | None = None  # a milestone's own "about something else" terms: signal `none`

    @staticmethod
    def of(terms: Mapping[str, tuple[Term, ...]]) -> Vocabulary:
        def rx(kind: str) -> Bounded | None:
            found = terms.get(kind, ())
            return compile_terms(tuple(found)) if found else None

        return Vocabulary(rx("completion"), rx("delay"), rx("progress"), rx("none"))

    @property
    def any(self) -> bool:
        return bool(self.completion or self.delay or self.progress or self.none)


@dataclass(frozen=True)
class SignalRules:
    own: Vocabulary
    common: Vocabulary

    @staticmethod
    def build(global_terms: Mapping[str, tuple[Term, ...]], own: Mapping[str, tuple[Term, ...]]) -> SignalRules:
        return SignalRules(Vocabulary.of(own), Vocabulary.of(global_terms))


def _negated(text: str, start: int) -> bool:
    before = re.findall(r"[\w']+", text[max(0, start - 60) : start])[-LOOKBACK:]
    return any(w in NEGATORS for w in before)


def _signal_of(text: str, rules: SignalRules, cache: dict[tuple[int, str], str | None]) -> str | None:
    if not text:
        return None
    own = _decide(text, rules.own) if rules.own.any else None
    if own:
        return own
    key = (id(rules.common), text)  # the global vocabulary's verdict is the same for every milestone
    if key not in cache:
        cache[key] = _decide(text, rules.common)
    return cache[key]


def _decide(text: str, rules: Vocabulary) -> str | None:
    if rules.delay is not None and rules.delay.found(text):
        return "delay"
    negated_completion = False
    if rules.completion is not None:
        for start in rules.completion.starts(text):
            if not _negated(text, start):
                return "completion"
            negated_completion = True
    if rules.none is not None and rules.none.found(text):
        return "none"  # e.g. the parent framework's signing, for a milestone that only follows from it
    if negated_completion or (rules.progress is not None and rules.progress.found(text)):
        return "progress"
    return None


def decide_signal(
    title: str, snippet: str, rules: SignalRules, cache: dict[tuple[int, str], str | None] | None = None
) -> str:
    """`cache` may be shared across the milestones one item matched: the same title is judged once."""
    cache = {} if cache is None else cache
    return _signal_of(normalize(title), rules, cache) or _signal_of(normalize(snippet), rules, cache) or "none"
