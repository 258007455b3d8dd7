"""The term language of milestones.yaml: phrases, `prefix*`, `/regex/`, `@alias`."""

from __future__ import annotations

import heapq
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal

import regex

from .normalize import normalize

TermKind = Literal["phrase", "prefix", "regex", "alias"]
MAX_REGEX_LENGTH = 200
REGEX_TIMEOUT_S = 0.1  # per search of one text: a regular expression from config that takes longer finds nothing


@dataclass(frozen=True)
class Term:
    kind: TermKind
    text: str  # normalised phrase or prefix, the regex source, or the alias name
    source: str  # as written in the config

    def pattern(self) -> str:
        """A regular expression for this term on normalised text, whole words only (not for aliases)."""
        if self.kind == "regex":
            return self.text
        return rf"(?<!\w){self.body()}(?!\w)"

    def body(self) -> str:
        """A phrase or prefix term's pattern without its whole-word boundaries."""
        # "rare earth" also finds "rare-earth" and the other way round.
        words = r"[\s\-]+".join(re.escape(w) for w in re.split(r"[\s\-]+", self.text) if w)
        return words + (r"\w*" if self.kind == "prefix" else "")


def parse_term(raw: object) -> Term:
    """Parse one term as written; raises ValueError with a message naming it."""
    if not isinstance(raw, str):
        raise ValueError(f"a term must be a string, got {raw!r}")
    s = raw.strip()
    if not s:
        raise ValueError("empty term")
    if len(s) >= 2 and s.startswith("/") and s.endswith("/"):
        body = s[1:-1]
        if len(body) > MAX_REGEX_LENGTH:
            raise ValueError(f"regular expression {raw[:40]!r}... is longer than {MAX_REGEX_LENGTH} characters")
        try:
            re.compile(body)
            regex.compile(body)
        except (re.error, regex.error) as e:
            raise ValueError(f"bad regular expression {raw!r}: {e}") from None
        risk = backtracking_risk(body)
        if risk:
            raise ValueError(
                f"regular expression {raw!r} repeats a group that {risk}, which can take exponential time "
                "on some texts: rewrite it without the nesting, or list the phrases instead"
            )
        if re.compile(body).search("") is not None:
            raise ValueError(f"regular expression {raw!r} matches empty text")
        return Term("regex", body, raw)
    if s.startswith("@"):
        name = s[1:]
        if not re.fullmatch(r"[a-z0-9_-]+", name):
            raise ValueError(f"bad alias reference {raw!r}")
        return Term("alias", name, raw)
    if s.endswith("*"):
        text = normalize(s[:-1])
        if not text or "*" in text:
            raise ValueError(f"bad prefix term {raw!r}")
        return Term("prefix", text, raw)
    text = normalize(s)
    if not re.search(r"\w", text):
        raise ValueError(f"term {raw!r} has no letters or digits")
    return Term("phrase", text, raw)


# ---------------------------------------------------------------- regular expressions from config


def backtracking_risk(pattern: str) -> str | None:
    """What makes a (valid) regular expression prone to catastrophic backtracking, or None: a repeated group that
    itself holds a repeat of variable length (`(a+)+`, `(a*)*`, `(\\w+\\s?)*`) or an alternation (`(a|aa)+`). Other
    slow shapes (`\\w*\\w*\\w*x`) are bounded at match time instead (Bounded)."""
    import importlib

    # The standard library's own parser of `re` syntax (private, and without type stubs, hence the import).
    c: Any = importlib.import_module("re._constants")
    sre: Any = importlib.import_module("re._parser")

    repeats = (c.MAX_REPEAT, c.MIN_REPEAT, c.POSSESSIVE_REPEAT)

    def walk(items: Any, repeated: bool) -> str | None:
        for op, av in items:
            if op in repeats:
                lo, hi, body = av
                if repeated and lo != hi:
                    return "contains a repeat"
                found = walk(body, repeated or hi > 1)
            elif op is c.BRANCH:
                if repeated:
                    return "contains an alternation"
                found = next((f for b in av[1] if (f := walk(b, repeated))), None)
            else:
                found = next((f for sub in _subpatterns(av, sre.SubPattern) if (f := walk(sub, repeated))), None)
            if found:
                return found
        return None

    return walk(sre.parse(pattern), False)


def _subpatterns(av: Any, kind: type) -> Iterator[Any]:
    if isinstance(av, kind):
        yield av
    elif isinstance(av, tuple | list):
        for x in av:
            yield from _subpatterns(x, kind)


@dataclass(frozen=True)
class Bounded:
    """A compiled expression. When it comes from config (`bounded`), each search gives up after REGEX_TIMEOUT_S
    and counts as finding nothing more: one pathological pattern must not stall a poll or a rematch. `extra`
    holds the regex terms of a vocabulary whose other terms are plain (`rx`), so one regex term does not move
    the whole vocabulary to the slower, bounded engine."""

    rx: Any  # re.Pattern[str], or regex.Pattern[str] when bounded
    bounded: bool
    extra: Bounded | None = None

    def found(self, text: str) -> bool:
        return self._found(text) or (self.extra is not None and self.extra.found(text))  # the cheap search first

    def _found(self, text: str) -> bool:
        if not self.bounded:
            return self.rx.search(text) is not None
        try:
            return self.rx.search(text, timeout=REGEX_TIMEOUT_S) is not None
        except TimeoutError:
            return False

    def starts(self, text: str) -> Iterator[int]:
        """Where it occurs in `text`, in order; a timeout ends the list."""
        if self.extra is not None:
            yield from heapq.merge(self._starts(text), self.extra.starts(text))
        else:
            yield from self._starts(text)

    def _starts(self, text: str) -> Iterator[int]:
        if not self.bounded:
            yield from (mo.start() for mo in self.rx.finditer(text))
            return
        try:
            for mo in self.rx.finditer(text, timeout=REGEX_TIMEOUT_S):
                yield mo.start()
        except TimeoutError:
            return


@lru_cache(maxsize=4096)
def compile_terms(terms: tuple[Term, ...], ignore_case: bool = False) -> Bounded:
    """One expression finding any of `terms` (not aliases); its regex terms, if any, bounded in time."""
    regexes = tuple(t for t in terms if t.kind == "regex")
    plain = tuple(t for t in terms if t.kind != "regex")
    bounded = None
    if regexes:
        source = "|".join(f"(?:{t.pattern()})" for t in regexes)
        bounded = Bounded(regex.compile(source, regex.IGNORECASE if ignore_case else 0), True)
        if not plain:
            return bounded
    # The boundaries once around the alternation, not in every branch: the same matches (each branch is still
    # tried in order, the end boundary backtracking into the next), twenty times faster on a vocabulary.
    source = r"(?<!\w)(?:" + "|".join(t.body() for t in plain) + r")(?!\w)"
    return Bounded(re.compile(source, re.IGNORECASE if ignore_case else 0), False, bounded)
