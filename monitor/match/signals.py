"""Signals: does a match look like a completion, progress, or a delay?

Decided on the item's title first, then on the snippet around the hits:
1. a delay term (postponed, stalled, suspended ...) → `delay`;
2. else a completion term that is not negated or in the future ("has not been signed", "is expected to be
   signed", "will be held", "to hold"; in Japanese "開催へ", Chinese "将签署", Korean "서명 예정") → `completion`;
3. else (a milestone's own terms only) a `none` term, e.g. the parent framework's signing → `none`;
4. else a progress term, or a negated completion → `progress`;
5. else `progress` (NO_WORD_SIGNAL): evidence that carries no signal word is most often a step; see there.
A completion in an item published more than a day before the milestone's known completion date (its rule's
`completed_on`) is read as progress: the pledge, a plan, or the step announced before it was taken (China "pauses"
its controls at Busan on 30 October 2025; MOFCOM suspended them on 7 November).
The title decides when it has any signal; the snippet only when the title has none. A milestone's own
vocabulary is tried before the global one, so "suspends" can be a completion for China's export controls
while it is a delay everywhere else. Every decision comes with its reason (SignalReason): the word, where, which
vocabulary, and what negated a completion.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import ClassVar

from .normalize import normalize
from .terms import Bounded, Term, compile_terms, has_spaceless

NEGATORS = frozenset(
    "not no never yet without failed fails fail hasn't haven't isn't aren't wasn't weren't won't didn't doesn't "
    "unlikely before will would could may might should expected expects expect plans plan planned aims aim to be "
    "once until unless if awaiting await pending".split()
    # asking for, seeking or weighing something is not having it: "asks the US to publish it in the Federal Register"
    + "ask asks asked asking request requests requested requesting seek seeks seeking sought urge urges urged "
    "hope hopes hoped want wants considering considers consider weighs weighing mulls mulling ahead soon "
    "proposes proposed delays delayed".split()
    # Malay, Vietnamese: "akan" / "sẽ" will, "belum" / "chưa" not yet, "tidak" / "không" not; Vietnamese "sớm"
    # soon ("thúc đẩy sớm hoàn tất": pushing to finish soon) and "nhằm" aiming to (not "tới" or "đẩy", which also
    # mean going to a place and promoting: "Tô Lâm tới Mỹ, ký kết ...")
    + "akan belum tidak sẽ chưa không sớm nhằm".split()
)
LOOKBACK = 4  # words before a completion term that can negate it
# The signal of a match whose title and snippet carry no signal word. Evidence is most often progress: 44 % of the
# labelled (item, milestone) pairs of the development set's tuning part, against 18 % `none`; among the matches
# with no signal word in the tuning parts of the batches scored before any tuning on them, 4 progress, 2 delay,
# 0 none.
NO_WORD_SIGNAL = "progress"
# after a completion term: "hold ministerial next month"; a condition, "takes effect only after", "60 days after"
# (not "until": "suspended until November 2026" is a suspension done, with its end date; "not ... until" is
# caught by the look-back)
FUTURE_AFTER = frozenset("next later soon tomorrow only upon once unless days selepas apabila".split())
LOOKAHEAD = 3  # words after a completion term that can put it in the future or make it a condition

# Where words have no spaces: what just before a completion term negates it or puts it in the future, and what
# just after it does. Single characters count only right before the term (two characters at most: 未签署, 将于
# 签署); longer words anywhere in the six characters around it.
# Before: Chinese/Japanese 未 "not yet", 不 "not", 才 "only then" (须…后才生效: takes effect only after ...), 将
# "will", 拟 "plans to", 或 "may", 计划 "plans", 有望/可望 "expected to", 可能 "may", 准备 "prepares to", 下周
# "next week"; Japanese までに "by (a date)", 来週/来月 "next week/month"; Korean 조만간 "soon". After: Japanese
# へ "towards", 予定 "scheduled", 方針 "plans", 見通し "expected", 調整 "arranging", 検討 "considering", せず/しない
# "does not", 要請 "request"; Korean 예정 "scheduled", 추진 "pursues",
# 방침 "plans", 전망 "expected", 검토 "considers", 준비 "prepares", 요청 "requests", 않 "not", 못 "cannot", 하기로
# "decided to", 할 "will"; Chinese 在即 "imminent".
CJK_BEFORE_NEAR = ("未", "不", "没", "沒", "将", "將", "拟", "擬", "或", "要", "才")
CJK_BEFORE = (
    "尚未", "计划", "計劃", "有望", "可望", "可能", "准备", "準備", "即将", "即將", "预计", "預計", "下周", "下週",
    "下月", "までに", "来週", "来月", "年内", "조만간", "앞두고",
)  # fmt: skip
CJK_AFTER = (
    "へ", "予定", "方針", "見通し", "調整", "検討", "せず", "しない", "されず", "されない", "目指", "要請", "か",
    "예정", "추진", "방침", "전망", "계획", "검토", "준비", "요청", "않", "못", "하기로", "키로", "할", "안 ",
    "在即", "计划", "計劃", "准备", "準備", "请求", "要求",
)  # fmt: skip
CJK_WINDOW = 6  # characters looked at on each side


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


@dataclass(frozen=True)
class _JsonExtra:
    """A computed property for the --json document (the shape monitor.views.to_json reads)."""

    name: str
    after: str | None = None


@dataclass(frozen=True)
class SignalReason:
    """Why a match got its signal: the word that decided it, where (the title, else the snippet), from which
    vocabulary (the milestone's own, or the global one), and for a negated completion the word that negated it."""

    json_extras: ClassVar[tuple[_JsonExtra, ...]] = (_JsonExtra("reason"),)

    signal: str  # completion | progress | delay | none
    field: str | None = None  # title | snippet; None: no signal word anywhere
    word: str | None = None  # as it reads in the normalised text
    vocabulary: str | None = None  # milestone | global
    negated_by: str | None = None  # "to" in "to hold": a completion word that does not count as one
    completed_on: dt.date | None = None  # a completion word in an item published before the milestone's known
    # completion (this day) by more than a day: read as progress

    @property
    def reason(self) -> str:
        return self.describe()

    def describe(self) -> str:
        if self.field is None:
            return f"{self.signal}: no signal word in the title or the snippet (evidence is most often a step)"
        where = f"in the {self.field}" + (" (the title has none)" if self.field == "snippet" else "")
        vocab = "the milestone's own vocabulary" if self.vocabulary == "milestone" else "the global vocabulary"
        if self.completed_on is not None:
            return (
                f"{self.signal}: completion word {self.word!r} {where}, from {vocab}, in an item published before "
                f"the milestone was completed ({self.completed_on}): a pledge or a step announced early"
            )
        if self.negated_by is not None:
            return (
                f"{self.signal}: completion word {self.word!r} {where}, negated or in the future "
                f"({self.negated_by!r}), from {vocab}"
            )
        kind = {"none": "'about something else' word"}.get(self.signal, f"{self.signal} word")
        return f"{self.signal}: {kind} {self.word!r} {where}, from {vocab}"


_Found = tuple[str, str, str | None]  # signal, word, negated_by
SignalCache = dict[tuple[int, str], _Found | None]  # one item's verdicts of the global vocabulary, per text


def _negation(text: str, start: int, end: int) -> str | None:
    """The word that negates (or puts in the future) the completion word at text[start:end], or None."""
    if has_spaceless(text[start:end]):
        before = text[max(0, start - CJK_WINDOW) : start]
        after = text[end : end + CJK_WINDOW]
        for w in CJK_BEFORE_NEAR:
            if w in before[-2:]:
                return w
        for w in CJK_BEFORE:
            if w in before:
                return w
        for w in CJK_AFTER:
            if after.startswith(w) or (len(w) > 1 and w in after):
                return w
        return None
    words = re.findall(r"[\w']+", text[max(0, start - 60) : start])[-LOOKBACK:]
    for w in reversed(words):
        if w in NEGATORS:
            return w
    following = re.findall(r"[\w']+", text[end : end + 30])[:LOOKAHEAD]
    return next((w for w in following if w in FUTURE_AFTER), None)


def _decide(text: str, rules: Vocabulary) -> _Found | None:
    if rules.delay is not None and (span := rules.delay.first(text)):
        return "delay", text[span[0] : span[1]], None
    negated: _Found | None = None
    if rules.completion is not None:
        for start, end in rules.completion.spans(text):
            by = _negation(text, start, end)
            if by is None:
                return "completion", text[start:end], None
            if negated is None:
                negated = ("progress", text[start:end], by)
    if rules.none is not None and (span := rules.none.first(text)):
        return "none", text[span[0] : span[1]], None  # e.g. the parent framework's signing, for what follows it
    if negated is not None:
        return negated
    if rules.progress is not None and (span := rules.progress.first(text)):
        return "progress", text[span[0] : span[1]], None
    return None


def _signal_of(text: str, rules: SignalRules, cache: SignalCache) -> tuple[_Found, str] | None:
    if not text:
        return None
    own = _decide(text, rules.own) if rules.own.any else None
    if own:
        return own, "milestone"
    key = (id(rules.common), text)  # the global vocabulary's verdict is the same for every milestone
    if key not in cache:
        cache[key] = _decide(text, rules.common)
    found = cache[key]
    return (found, "global") if found else None


def decide_signal_reason(
    title: str, snippet: str, rules: SignalRules, cache: SignalCache | None = None
) -> SignalReason:
    """`cache` may be shared across the milestones one item matched: the same title is judged once."""
    cache = {} if cache is None else cache
    for field, text in (("title", title), ("snippet", snippet)):
        decided = _signal_of(normalize(text), rules, cache)
        if decided is not None:
            (signal, word, negated_by), vocabulary = decided
            return SignalReason(signal, field, word, vocabulary, negated_by)
    return SignalReason(NO_WORD_SIGNAL)


def before_completion(
    reason: SignalReason, published: dt.date | None, completed_on: dt.date | None, slack_days: int
) -> SignalReason:
    """`reason`, or progress when it is a completion in an item published more than `slack_days` before the
    milestone's known completion date: what the item reports as done was then only pledged or announced."""
    if (
        reason.signal != "completion"
        or published is None
        or completed_on is None
        or published >= completed_on - dt.timedelta(days=slack_days)
    ):
        return reason
    return replace(reason, signal="progress", completed_on=completed_on)


def decide_signal(title: str, snippet: str, rules: SignalRules, cache: SignalCache | None = None) -> str:
    return decide_signal_reason(title, snippet, rules, cache).signal
