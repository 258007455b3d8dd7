"""The matcher's shortcuts find exactly what the plain way finds (they exist for speed only)."""

from __future__ import annotations

import importlib
import random
import re
from typing import Any

import pytest

from monitor.match import amounts
from monitor.match.engine import (
    _ASCII_SEPARATORS,
    _Keys,
    _widest_gap,
    _WordKeys,
    acronym_found,
    acronym_spans,
    match_form,
    words_of,
)
from monitor.match.sentences import last_word
from monitor.match.terms import acronym

PIECES = [
    "1", "55", "550", "5,500", "2.5", "0", " ", "  ", "-", ".", ",", "$", "us$", "US$", "u.s. $", "U.S.$", "rm", "€",
    "¥", "usd", "billion", "bn", "bln", "m", "b", "k", "t", "million", "trillion", "dollars", "yen", "won",
    "億", "억", "ドル", "달러", "万", "a", "x", "fund", "\n", "日本", "2025", "15%", "(", ")",
]  # fmt: skip


def _texts(n: int, seed: int) -> list[str]:
    rnd = random.Random(seed)
    return ["".join(rnd.choice(PIECES) for _ in range(rnd.randint(1, 40))) for _ in range(n)]


def test_amount_matches_are_finditers() -> None:
    fixed = [
        "Japan's $550 billion fund",
        "US$550bn, 550 bln and 5500億ドル; 5,500억 달러",
        "a1 $5m 12 15% 2025 u.s. $3 trillion x$2bn 3.5tn",
        "",
        "no digits at all",
    ]
    for text in fixed + _texts(3000, 13):
        fast = [(m.span(), m.groupdict()) for m in amounts._amount_matches(text)]
        plain = [(m.span(), m.groupdict()) for m in amounts._AMOUNT.finditer(text)]
        assert fast == plain, text


def test_amount_lead_is_the_widest_currency_before_a_number() -> None:
    parser: Any = importlib.import_module("re._parser")
    assert parser.parse(amounts._CURRENCY_BEFORE + r"\s?").getwidth()[1] == amounts._LEAD


@pytest.mark.parametrize("letters", ["us", "mou", "art", "asean"])
def test_acronym_found_is_any_span(letters: str) -> None:
    term = acronym(letters.upper())
    rnd = random.Random(5)
    words = [letters, letters.upper(), letters.capitalize(), ".".join(letters.upper()), letters.upper() + "s", "x", " "]
    words += [letters.upper() + "X", "." + letters.upper(), "İ", ",", "\n", "Mo", "U", "MoU", "MOUs"]
    for _ in range(2000):
        text = " ".join(rnd.choice(words) for _ in range(rnd.randint(0, 8)))
        assert acronym_found(term, text) == (next(acronym_spans(term, text), None) is not None), text


def test_last_word_is_the_regex_s() -> None:
    rnd = random.Random(11)
    chars = ["a", "B", "7", "_", " ", ".", ",", "\n", "é", "日", "٣", "½", "-", "'", "Ⅻ", "\u0301"]
    for _ in range(5000):
        text = "".join(rnd.choice(chars) for _ in range(rnd.randint(0, 12)))
        start = rnd.randint(0, len(text))
        end = rnd.randint(start, len(text))
        mo = re.search(r"(\w+)\W*$", text[start:end])
        assert last_word(text, start, end) == (mo.group(1) if mo else ""), (text, start, end)


def _ascii_hint_by_hints(text: str) -> bool:
    """The former _ascii_hint: each place of each scale word, a digit in the 12 characters before it."""
    if "$" in text:
        return True
    low = text.lower()
    for hint in amounts._SCALE_HINTS:
        at = low.find(hint)
        while at >= 0:
            if any(c.isdigit() for c in low[max(0, at - 12) : at]):
                return True
            at = low.find(hint, at + 1)
    return False


def test_ascii_hint_is_the_former_one() -> None:
    rnd = random.Random(3)
    pieces = ["1", "20", " ", "x", "abc", "similar", "MIL", "bn", "Bln", "tril", "illion", "mn", "tn", "trn", "-"]
    pieces += ["bil", "mobile", ".", "12345678901", "aaaaaaaaaaa", "$"]
    for _ in range(5000):
        text = "".join(rnd.choice(pieces) for _ in range(rnd.randint(0, 12)))
        assert amounts._ascii_hint(text) == _ascii_hint_by_hints(text), text


def test_ascii_separators_split_as_the_separators_do() -> None:
    """The bytes table the scan and the sentences translate ASCII text with gives the words words_of gives."""
    rnd = random.Random(17)
    chars = [chr(c) for c in range(128)] + ["word", "Rare-Earth", "U.S.", "50%", "a_b"]
    texts = ["".join(rnd.choice(chars) for _ in range(rnd.randint(0, 30))) for _ in range(5000)]
    texts += ["", " ", "\x1c\x1d\x1e\x1f", "Japan's $550 billion fund"]
    for text in texts:
        assert text.encode("ascii").lower().translate(_ASCII_SEPARATORS).decode("ascii").split() == words_of(text)


def test_automaton_finds_every_key_in_the_form() -> None:
    """The Rust automaton's overlapping scan finds exactly the keys that are substrings of the form: whole-word
    keys (' rare earth ', a prefix ' ratif'), keys inside keys (' as ', ' as a '), and keys of scripts without
    spaces ('日本', '日本政府')."""
    keys = [" as ", " as a ", " a ", " rare earth ", " earth ", " ratif", " us ", " us s ", "日本", "日本政府", "本"]
    scanner = _Keys([(k, 10 + n) for n, k in enumerate(keys)])
    rnd = random.Random(23)
    words = ["as", "a", "rare", "earth", "ratify", "ratified", "us", "s", "日本", "政府", "本", "x", "Earth", "rare-earth"]
    for _ in range(3000):
        form = match_form(" ".join(rnd.choice(words) for _ in range(rnd.randint(0, 12))))
        assert scanner.found(form) == {10 + n for n, k in enumerate(keys) if k in form}, form


WORD_KEYS = [" as ", " as a ", " a ", " rare earth ", " earth ", " ratif", " us ", " u s ", " rare earth export controls "]
WORD_PIECES = ["as", "a", "rare", "earth", "ratify", "us", "u", "s", "export", "controls", "x", "Earth", "U.S.", "..."]
WORD_PIECES += [" ", "  ", ",", ", ", " - ", ". ", "-", "(", ")", "\n", "\t", "\x1c", "é", "日本", "Rare-Earth"]


def _word_texts(n: int, seed: int) -> list[str]:
    rnd = random.Random(seed)
    return ["".join(rnd.choice(WORD_PIECES) for _ in range(rnd.randint(0, 30))) for _ in range(n)]


@pytest.mark.parametrize("long_phrases", [0, 40, 400])
def test_word_keys_scan_unsqueezed_text_as_the_squeezed_form(long_phrases: int) -> None:
    """An ASCII text scanned before its runs of spaces are squeezed (each gap of a key written as 1 to `widest`
    spaces, longer runs squeezed first) finds exactly the keys that occur in its whole-word form; so does a text
    that is not ASCII, scanned in that form. Long phrases make fewer variants per gap (widest 2, then 1)."""
    keys = WORD_KEYS + [" " + " ".join(f"w{i}x{j}" for j in range(7)) + " " for i in range(long_phrases)]
    pairs = [(k, 10 + n) for n, k in enumerate(keys)]
    scanner = _WordKeys(pairs)
    widest = _widest_gap(pairs)
    assert widest == {0: 3, 40: 2, 400: 1}[long_phrases]
    for text in _word_texts(3000, 29) + ["", " ", "rare ... earth", "rare , , earth", "as   a", "U.S. - rare earth"]:
        form = match_form(text)
        found = scanner.found_in(text) if text.isascii() else scanner.found_in_form(form)
        assert found == {10 + n for n, k in enumerate(keys) if k in form}, repr(text)


NEAR_TERMS = ["pay* near/4 $20 billion", "truce near/3 extend*", "rare earth near/2 export controls", "mou near us"]
NEAR_WORDS = [
    "pay", "Paid", "payments", "$20 billion", "20 billion", "US$20bn", "20", "billion", "truce", "extended", "Truce.",
    "rare", "earth", "rare-earth", "export", "controls", "MOU", "U.S.", "us", "x", "Mr.", "said", ";", "\n", "!",
    "(", ")", ",", "é", "日本", "2025", "x_20 billion", "dollars_x", "...",
]  # fmt: skip


def _near_items(n: int, seed: int) -> list[str]:
    rnd = random.Random(seed)
    return [" ".join(rnd.choice(NEAR_WORDS) for _ in range(rnd.randint(0, 30))) for _ in range(n)]


def test_near_fast_paths_are_the_general_path() -> None:
    """A plain field (ASCII, no amount): its sentences made without NFKC, folding and with_amounts are the ones made
    with them, and where a side's keys are missing from the field's ids, near_found on its sentences is False."""
    from monitor.match.amounts import with_amounts
    from monitor.match.engine import ItemText, _Forms, _side_missing, build_matcher, near_found
    from monitor.match.rules import MatchRule
    from monitor.match.sentences import split_sentences
    from monitor.match.terms import parse_term

    class Ms:
        def __init__(self, id: str, match: MatchRule) -> None:
            self.id, self.match, self.signals = id, match, ()

    rules = [Ms(f"m{n}", MatchRule(((parse_term(t),),), (), ())) for n, t in enumerate(NEAR_TERMS)]
    m = build_matcher(rules, {}, {})  # type: ignore[arg-type]
    lazies = [lz for lz in m._lazy.values() if lz.term.kind == "near"]
    assert all(lz.side_ids for lz in lazies)
    skipped = plain = 0
    for title in _near_items(1500, 29):
        item = ItemText(title[:80], title)
        forms = _Forms(item)
        fields = m._scan(item)
        for i in (0, 1):
            general = [match_form(with_amounts(s.casefold())).split() for s in split_sentences(forms.nfkc(i))]
            assert forms.sentences(i) == general, forms.fields[i]
            plain += forms.plain(i)
            for lz in lazies:
                if forms.plain(i) and _side_missing(lz.side_ids, fields[i]):
                    skipped += 1
                    assert not near_found(lz.sides, lz.term.distance, general), (lz.term.source, forms.fields[i])
    assert plain > 300 and skipped > 300  # both paths were taken


def test_normalize_of_ascii_is_the_general_path() -> None:
    import unicodedata

    from monitor.match import normalize as nm

    rnd = random.Random(31)
    chars = [chr(c) for c in range(128)] + ["Word", "U.S.", " \t\n"]
    spaced = ["Word", "U.S.", " ", " ", "`", "'", "-", "\n", "  "]  # mostly single spaces: the squeeze-free path
    squeezed = 0
    for pool in (chars, spaced):
        for _ in range(3000):
            text = "".join(rnd.choice(pool) for _ in range(rnd.randint(0, 40)))
            general = " ".join(unicodedata.normalize("NFKC", text).casefold().translate(nm._TABLE).split())
            assert nm.normalize(text) == general, repr(text)
            squeezed += "  " not in text and text.isprintable()
    assert squeezed > 500  # the path that only strips was taken


def _without_heads(b: Any) -> Any:
    import dataclasses

    if b is None:
        return None
    return dataclasses.replace(b, heads=None, extra=_without_heads(b.extra))


@pytest.mark.parametrize(
    "sources",
    [
        ["signed", "entered into force", "ratif*", "MOU", "/\\bsigns?\\b(?! of\\b| that\\b)/", "日本", "美"],
        ["/\\bfirst (?:\\S+ )?execution\\b/", "/\\b\\d{2,} (countries|nations)\\b/", "/^joint fact sheet\\b/"],
        ["/(?i)signed/", "/a(?=b)c/", "/x|signed/", "/(?:sign)+ed/", "/のための日米枠組み$/", "talks", "round"],
        ["/\\b\\d{2,} (countries|nations)\\b/", "/\\b(?:signed|in force) (?:in|since) (?:\\w+ )?(?:19\\d\\d|201\\d)\\b/"],
        ["/(?:x|)yy/", "/(?i:abc)d/", "/a*b/", "/(?:abc)+e/"],
    ],
)
def test_heads_find_what_the_expression_finds(sources: list[str]) -> None:
    """An expression with its heads (a text without any is not searched) finds exactly what it finds without."""
    from monitor.match.terms import compile_terms, parse_term

    terms = tuple(parse_term(s, frozenset({"MOU"})) for s in sources)
    fast = compile_terms(terms)
    plain = _without_heads(fast)
    assert fast.heads is not None or (fast.extra is not None and fast.extra.heads is not None)
    rnd = random.Random(37)
    words = ["signed", "Signed", "signs", "sign", "signs of", "entered", "into", "force", "ratify", "mou", "MOU", "x"]
    words += ["first", "execution", "first big execution", "20", "countries", "joint", "fact", "sheet", "ac", "abc"]
    words += ["のための日米枠組み", "日本", "美", "talks", "round", "signsigned", "-", "\n", "."]
    words += ["in", "since", "in force", "1999", "2015", "nations", "yy", "y", "ABCd", "abcd", "b", "abcde", "cde"]
    for _ in range(3000):
        text = " ".join(rnd.choice(words) for _ in range(rnd.randint(0, 10)))
        assert list(fast.spans(text)) == list(plain.spans(text)), text
        assert fast.first(text) == plain.first(text), text


def test_sentence_ends_are_the_finditer() -> None:
    from monitor.match import sentences

    rnd = random.Random(41)
    pieces = ["a", "Mr", "U", "S", ".", "..", "!", "?", "!?", "。", "！", "？", "；", ";", "\n", " ", "  ", '"', "'", "”"]
    pieces += ["’", ")", "]", "x.y", "\t", "word", "日本"]
    for _ in range(5000):
        text = "".join(rnd.choice(pieces) for _ in range(rnd.randint(0, 25)))
        fast = [m.span() for m in sentences._sentence_ends(text)]
        assert fast == [m.span() for m in sentences._SENTENCE_END.finditer(text)], repr(text)


def test_initial_or_abbreviation_reads_last_word() -> None:
    from monitor.match import sentences

    rnd = random.Random(43)
    pieces = ["a", "B", "mr", "Mr", "MRS", "approx", "approxx", "sept", "xsept", "_", " ", ".", "é", "ſt", "K", "7", "-"]
    for _ in range(5000):
        text = "".join(rnd.choice(pieces) for _ in range(rnd.randint(0, 10)))
        start = rnd.randint(0, len(text))
        end = rnd.randint(start, len(text))
        w = sentences.last_word(text, start, end)
        expected = bool(w) and (len(w) == 1 or w.casefold() in sentences._ABBREVIATIONS)
        assert sentences._initial_or_abbreviation(text, start, end) == expected, (text, start, end)


def test_currency_starts_are_every_first_character() -> None:
    """No currency before a number starts with an ASCII character outside _CURRENCY_STARTS (in any case)."""
    currency = re.compile(amounts._CURRENCY_BEFORE, re.IGNORECASE)
    tails = ["s$", ".s. $", ".s.$", "sd", "$", "m", "rw", "py", "ur", "hb", "nd", "ny", "mb", ""]
    for c in map(chr, range(128)):
        if c.lower() not in amounts._CURRENCY_STARTS:
            assert not any(currency.match(c + tail) for tail in tails), c


def test_parsed_terms_are_remembered_and_refusals_repeated() -> None:
    """parse_term remembers what it parsed (the same Term for the same text and acronyms in scope), never a refusal:
    a bad term is refused with its message each time, and a term read with other acronyms in scope is read anew."""
    from monitor.match.terms import parse_term

    assert parse_term("rare earth*") is parse_term("rare earth*")
    assert parse_term("ART").kind == "phrase"
    assert parse_term("ART", frozenset({"ART"})).kind == "acronym"
    for _ in range(2):
        with pytest.raises(ValueError, match="bad regular expression"):
            parse_term("/(unclosed/")
        with pytest.raises(ValueError, match="must be a string"):
            parse_term(["a", "list"])


def test_whole_words_plain_boundaries_are_the_full_ones_where_no_script_lacks_spaces() -> None:
    """WholeWords runs its cheaply compiled expression (plain \\w boundaries) on a text with no character of a script
    without spaces, where it finds exactly what the full boundaries find; on any other text, the full one."""
    from monitor.match.terms import SPACELESS, WholeWords, has_spaceless

    rnd = random.Random(47)
    chars = list("ab xy-_.'1é") + ["ß", "İ", "ǅ", "\u0301", "Ⅻ", "٣", "日", "한", "ไ", "に", "ក"]
    bodies = ["ab", "a[\\s\\-]+b", "ab\\w*", "x", "é", "(?:ab|xy)"]
    for body in bodies:
        for flags in (0, re.IGNORECASE):
            words = WholeWords(body, flags)
            full = re.compile(f"(?<![^\\W{SPACELESS}]){body}(?![^\\W{SPACELESS}])", flags)
            for _ in range(1500):
                text = "".join(rnd.choice(chars) for _ in range(rnd.randint(0, 14)))
                expected = [m.span() for m in full.finditer(text)]
                assert [m.span() for m in words.for_text(text).finditer(text)] == expected, (body, text)
                if not has_spaceless(text):
                    assert [m.span() for m in words.plain.finditer(text)] == expected, (body, text)
