"""The term language of milestones.yaml: phrases, `prefix*`, `/regex/`, `@alias`, `A near B`, and acronyms.

- A phrase or prefix of a script written without spaces between words (Chinese, Japanese, Thai; Korean, whose
  particles attach to the noun) is found as a substring: `日本` finds 日本の, `한국` finds 한국은. A single Han
  character is too short for that: `美` is found only standing alone, not inside a word of Han characters (美, and
  美국무부 in a Korean headline, but not 美国 or 美丽).
- A term that is an amount is compared by value (match/amounts.py): `$550 billion` finds "US$550bn", "550 bln",
  "5500億ドル"; the currency is not compared.
- `A near B` (or `A near/N B`): A and B in one sentence with at most N words between them (default 6); A and B
  are phrases, prefixes or aliases.
- An acronym (declared in milestones.yaml) is found only where it is written as one: with at least two capitals
  ("ART", "MoU", "U.S.", plural "MOUs"), never "art" or "Art".
- `title:` before a term finds it in the item's title only: `none: ["title:fact sheet"]`.
"""

from __future__ import annotations

import heapq
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import Any, Literal

import ahocorasick_rs
import regex

from .amounts import find_amounts
from .normalize import SEPARATORS, normalize

TermKind = Literal["phrase", "prefix", "regex", "alias", "near", "acronym", "title", "amount"]
MAX_REGEX_LENGTH = 200
NEAR_WORDS = 6  # `A near B`: at most this many words between A and B, in one sentence
MAX_NEAR_WORDS = 50
REGEX_TIMEOUT_S = 0.1  # per search of one text: a regular expression from config that takes longer finds nothing


HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"  # a character class body


HAN_CHAR = re.compile(f"[{HAN}]")  # one Han character


def single_han(text: str) -> bool:
    """One Han character: a term found only where no other Han character touches it."""
    return len(text) == 1 and HAN_CHAR.fullmatch(text) is not None


# Thai and Lao, Myanmar, Hangul jamo, Khmer, kana, Hangul compatibility jamo, katakana extensions, Han
# (extension A and the main block), Hangul syllables, Han compatibility
SPACELESS = (
    "\u0e00-\u0eff\u1000-\u109f\u1100-\u11ff\u1780-\u17ff\u3040-\u30ff\u3130-\u318f\u31f0-\u31ff"
    "\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff"
)  # a character class body
_SPACELESS_RX = re.compile(f"[{SPACELESS}]")
# Where a whole word may start and end: not inside a run of word characters, except that a word of a script with
# spaces meets a spaceless script without a space in between: "JBICに", "MOU를", "美国对ART" hold JBIC, MOU, ART.
WORD_START = rf"(?<![^\W{SPACELESS}])"
WORD_END = rf"(?![^\W{SPACELESS}])"
# The same boundaries for a text holding no character of a script without spaces (there [^\W...] is \w), which
# re compiles in a fraction of the time: its compiler walks every code point of a class's ranges, and SPACELESS
# has 40,000 (about 1 ms per class, 3 ms per expression with both ends; ~0.2 s per process for the shipped rules)
PLAIN_START = r"(?<!\w)"
PLAIN_END = r"(?!\w)"


def has_spaceless(text: str) -> bool:
    """Whether `text` holds a script whose words are not separated by spaces (Han, kana, Hangul, Thai, Lao,
    Khmer, Myanmar): such a term is found as a substring, not as a whole word. ASCII text is answered at once."""
    return not text.isascii() and _SPACELESS_RX.search(text) is not None


class WholeWords:
    """A whole-word expression (`body` between word boundaries), compiled with the plain boundaries at once and
    with the full ones (WORD_START, WORD_END) only when a text holding a script without spaces comes: on any other
    text the two find the same, and the full one costs most of a process's pattern compiling (see PLAIN_START)."""

    __slots__ = ("plain", "_source", "_flags", "_full")

    def __init__(self, body: str, flags: int = 0) -> None:
        self.plain = re.compile(f"{PLAIN_START}{body}{PLAIN_END}", flags)
        self._source, self._flags = f"{WORD_START}{body}{WORD_END}", flags
        self._full: re.Pattern[str] | None = None

    def full(self) -> re.Pattern[str]:
        if self._full is None:
            self._full = re.compile(self._source, self._flags)
        return self._full

    def for_text(self, text: str) -> re.Pattern[str]:
        """The expression to run on `text`."""
        return self.full() if has_spaceless(text) else self.plain


@dataclass(frozen=True)
class Term:
    kind: TermKind
    text: str  # normalised phrase or prefix, the regex source, the alias name, or an acronym's letters
    source: str  # as written in the config
    parts: tuple[Term, ...] = ()  # `near`: its two operands
    distance: int = 0  # `near`: at most this many words between them

    @cached_property
    def substring(self) -> bool:
        """Found anywhere, not as a whole word (a script without spaces between words)."""
        return self.kind in ("phrase", "prefix") and has_spaceless(self.text) and not self.lone_han

    @cached_property
    def lone_han(self) -> bool:
        """A single Han character, found only where no other Han character touches it."""
        return self.kind == "phrase" and single_han(self.text)

    @cached_property
    def words(self) -> tuple[str, ...]:
        """A phrase's or prefix's words as written, hyphens and spaces alike separating them ("rare-earth": rare,
        earth): what body() joins and what a literal search looks for first."""
        return tuple(w for w in re.split(r"[\s\-]+", self.text) if w)

    def pattern(self) -> str:
        """A regular expression for this term on normalised text, whole words only unless it is a substring term
        (not for aliases or `near`)."""
        if self.kind == "regex":
            return self.text
        if self.substring:
            return self.body()
        if self.lone_han:
            return rf"(?<![{HAN}]){self.body()}(?![{HAN}])"
        return f"{WORD_START}{self.body()}{WORD_END}"

    def body(self) -> str:
        """A phrase, prefix or acronym term's pattern without its whole-word boundaries."""
        if self.kind == "acronym":  # "us" finds US, U.S., U.S; "mou" finds MOU, MoU, MOUs (the capitals: engine)
            return r"\.?".join(re.escape(c) for c in self.text) + r"\.?(?:s\b)?"
        # "rare earth" also finds "rare-earth" and the other way round.
        words = r"[\s\-]+".join(map(re.escape, self.words))
        return words + (r"\w*" if self.kind == "prefix" else "")


_NEAR = re.compile(r"\s(?:near|NEAR)(?:/(\d+))?\s")


def acronym(letters: str, source: str | None = None) -> Term:
    """An acronym term: ASCII letters (and digits), found only where written with at least two capitals."""
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9]{1,9}", letters):
        raise ValueError(f"an acronym is 2 to 10 letters or digits, starting with a letter, got {letters!r}")
    return Term("acronym", letters.casefold(), source if source is not None else letters)


def parse_term(raw: object, acronyms: frozenset[str] = frozenset()) -> Term:
    """Parse one term as written; raises ValueError with a message naming it. A term written exactly as one of
    `acronyms` (the declared acronyms in scope, as written: "ART") is an acronym term."""
    if not isinstance(raw, str):
        raise ValueError(f"a term must be a string, got {raw!r}")
    return _parse_term(raw, acronyms)


@lru_cache(maxsize=1 << 16)
def _parse_term(raw: str, acronyms: frozenset[str]) -> Term:
    """parse_term of a string, remembered: a config's terms repeat (an alias in every rule that names it, the
    same vocabulary in each milestone) and are parsed again whenever the config is loaded again (each command
    of a process that runs several, the daemon's reload); a Term never changes, so the same one can be shared.
    A term that is refused raises again each time (lru_cache keeps no exceptions)."""
    s = raw.strip()
    if not s:
        raise ValueError("empty term")
    if s[:6].casefold() == "title:":
        inner = parse_term(s[6:], acronyms)
        if inner.kind == "title":
            raise ValueError(f"{raw!r}: 'title:' once is enough")
        return Term("title", inner.text, raw, (inner,))
    if s in acronyms:
        return acronym(s, raw)
    if not (s.startswith("/") and s.endswith("/")) and _NEAR.search(s):
        return _near(raw, s, acronyms)
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
        if not _has_word(text):
            raise ValueError(f"prefix term {raw!r} has no letters or digits")
        return Term("prefix", text, raw)
    text = normalize(s)
    if not _has_word(text):
        raise ValueError(f"term {raw!r} has no letters or digits")
    amounts = list(find_amounts(text))
    if len(amounts) == 1 and not text[: amounts[0].start].strip() and not text[amounts[0].end :].strip():
        return Term("amount", amounts[0].canonical, raw)  # the whole term is one amount: "$550 billion"
    return Term("phrase", text, raw)


def _has_word(text: str) -> bool:
    """Whether a normalised term keeps a word once separators are spaces, as the matcher reads words: "-" and
    "〇" (a word character, but in the CJK punctuation block the matcher splits at) have none, and would be found
    in every text, or crash the snippet."""
    return re.search(r"\w", text) is not None and bool(text.translate(SEPARATORS).split())


def _near(raw: str, s: str, acronyms: frozenset[str]) -> Term:
    pieces = _NEAR.split(s)  # [left, N or None, right, ...]
    if len(pieces) != 3:
        raise ValueError(f"{raw!r}: 'near' joins exactly two terms (A near B)")
    left, n, right = pieces
    distance = NEAR_WORDS if n is None else int(n)
    if distance > MAX_NEAR_WORDS:
        raise ValueError(f"{raw!r}: near/{distance} is more than {MAX_NEAR_WORDS} words")
    parts = []
    for side in (left, right):
        if not side.strip():
            raise ValueError(f"{raw!r}: 'near' needs a term on each side")
        part = parse_term(side, acronyms)
        if part.kind not in ("phrase", "prefix", "alias", "acronym", "amount"):
            raise ValueError(f"{raw!r}: each side of 'near' is a phrase, prefix*, @alias or acronym, got {side!r}")
        parts.append(part)
    text = f"{parts[0].source.strip()} near/{distance} {parts[1].source.strip()}"
    return Term("near", text, raw, tuple(parts), distance)


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
    the whole vocabulary to the slower, bounded engine. `cjk` holds its terms of scripts without spaces between
    words: unanchored, they would slow the search at every position of an English text, so they are searched
    only in a text that has such characters. `rx` is None when every term is of the other kinds."""

    rx: Any  # WholeWords, or regex.Pattern[str] when bounded; or None
    bounded: bool
    extra: Bounded | None = None
    cjk: re.Pattern[str] | None = None
    heads: Heads | None = field(default=None, compare=False)  # see Heads: rx is run only on a text holding one

    def found(self, text: str) -> bool:
        return self.first(text) is not None

    def first(self, text: str) -> tuple[int, int] | None:
        """The span of an occurrence (the cheap searches first, then the bounded one), or None."""
        for span in self._spans(text):
            return span
        if self.cjk is not None and has_spaceless(text):
            mo = self.cjk.search(text)
            if mo:
                return mo.span()
        return self.extra.first(text) if self.extra is not None else None

    def spans(self, text: str) -> Iterator[tuple[int, int]]:
        """(start, end) of each occurrence in `text`, in order; a timeout ends the list."""
        sources = [self._spans(text)]
        if self.cjk is not None and has_spaceless(text):
            sources.append(mo.span() for mo in self.cjk.finditer(text))
        if self.extra is not None:
            sources.append(self.extra.spans(text))
        if len(sources) == 1:
            yield from sources[0]
        else:
            yield from heapq.merge(*sources)

    def _spans(self, text: str) -> Iterator[tuple[int, int]]:
        if self.rx is None or (self.heads is not None and not self.heads.any_in(text)):
            return
        if not self.bounded:
            yield from (mo.span() for mo in self.rx.for_text(text).finditer(text))
            return
        try:
            for mo in self.rx.finditer(text, timeout=REGEX_TIMEOUT_S):
                yield mo.span()
        except TimeoutError:
            return


class Heads:
    """Pieces of text of which every match of an expression holds one (a phrase's first word, a regular
    expression's longest run of plain characters): a text holding none of them has no match, which one
    Aho-Corasick scan tells several times faster than `re` trying an alternation of thirty words at each place
    of the text (the expression is still what decides, on a text holding one)."""

    __slots__ = ("_scan",)

    def __init__(self, pieces: Iterable[str]) -> None:
        self._scan = ahocorasick_rs.AhoCorasick(sorted(set(pieces))).find_matches_as_indexes

    def any_in(self, text: str) -> bool:
        return bool(self._scan(text))

    @staticmethod
    def of(terms: Iterable[Term]) -> Heads | None:
        """The heads of case-sensitive expressions for `terms` (None: a term whose matches share no piece)."""
        pieces: list[str] = []
        for t in terms:
            found = required_text(t.pattern()) if t.kind == "regex" else (_first_piece(t),)
            if not found or not all(found):
                return None
            pieces += found
        return Heads(pieces) if pieces else None


def _first_piece(term: Term) -> str:
    """What body() matches literally first: a phrase's or prefix's first word, an acronym's first letter."""
    if term.kind == "acronym":
        return term.text[:1]
    return term.words[0] if term.words else ""


def required_text(pattern: str) -> tuple[str, ...] | None:
    """Pieces of text of which every match of the regular expression `pattern` (case-sensitive) holds one: a run
    of literal characters outside any group (a zero-width assertion between two does not break the run: nothing is
    matched there), or the pieces of a group, of a repeat done at least once, or of every alternative of a choice
    together; of those, the ones whose shortest piece is longest. None when it has none, or is case-insensitive
    by a flag of its own."""
    import importlib

    c: Any = importlib.import_module("re._constants")  # the standard library's own parser, as backtracking_risk
    sre: Any = importlib.import_module("re._parser")
    try:
        parsed = sre.parse(pattern)
    except re.error:
        return None
    if parsed.state.flags & (re.IGNORECASE | re.VERBOSE):
        return None

    def pieces(items: Any) -> tuple[str, ...] | None:
        found: list[tuple[str, ...]] = []
        run = ""
        for op, av in items:
            if op is c.LITERAL:
                run += chr(av)
                continue
            if op in (c.AT, c.ASSERT, c.ASSERT_NOT):
                continue
            if run:
                found.append((run,))
            run = ""
            sub: tuple[str, ...] | None = None
            if op is c.SUBPATTERN and not av[1] & re.IGNORECASE:
                sub = pieces(av[3])
            elif op is c.BRANCH:
                alternatives = [pieces(alt) for alt in av[1]]
                if all(alternatives):
                    sub = tuple(p for alt in alternatives if alt for p in alt)
            elif op in (c.MAX_REPEAT, c.MIN_REPEAT, c.POSSESSIVE_REPEAT) and av[0] >= 1:
                sub = pieces(av[2])
            if sub:
                found.append(sub)
        if run:
            found.append((run,))
        return max(found, key=lambda ps: (min(map(len, ps)), -len(ps))) if found else None

    return pieces(parsed)


@lru_cache(maxsize=4096)
def compile_terms(terms: tuple[Term, ...], ignore_case: bool = False) -> Bounded:
    """One expression finding any of `terms` (phrases, prefixes, acronyms' letters, regexes; not aliases or
    `near`); its regex terms, if any, bounded in time."""
    regexes = tuple(t for t in terms if t.kind == "regex")
    words = tuple(t for t in terms if t.kind in ("phrase", "prefix", "acronym") and not t.substring and not t.lone_han)
    substrings = tuple(t for t in terms if t.substring)
    lone = tuple(t for t in terms if t.lone_han)
    bounded = None
    if regexes:
        source = "|".join(f"(?:{t.pattern()})" for t in regexes)
        flags = regex.IGNORECASE if ignore_case else 0
        bounded = Bounded(regex.compile(source, flags), True, heads=None if ignore_case else Heads.of(regexes))
        if not words and not substrings and not lone:
            return bounded
    # The boundaries once around the alternation, not in every branch: the same matches (each branch is still
    # tried in order, the end boundary backtracking into the next), twenty times faster on a vocabulary.
    flags = re.IGNORECASE if ignore_case else 0
    rx = WholeWords("(?:" + "|".join(t.body() for t in words) + ")", flags) if words else None
    branches = []
    if substrings:  # no word boundaries where words have no spaces between them
        branches.append("(?:" + "|".join(t.body() for t in substrings) + ")")
    if lone:  # a single Han character not touching another
        branches.append(rf"(?<![{HAN}])(?:" + "|".join(t.body() for t in lone) + rf")(?![{HAN}])")
    cjk = re.compile("|".join(branches), flags) if branches else None
    heads = Heads.of(words) if words and not ignore_case else None
    return Bounded(rx, False, bounded, cjk, heads)
