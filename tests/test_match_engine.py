"""The rule engine as tables of cases: plain values, no fixtures."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from monitor.match.engine import ItemText, build_matcher, match_form
from monitor.match.normalize import normalize
from monitor.match.rules import MatchRule
from monitor.match.signals import NO_WORD_SIGNAL, SignalRules, decide_signal
from monitor.match.stories import canonical_link, headline_key
from monitor.match.terms import Term, parse_term

ALIASES = {"japan": tuple(parse_term(t) for t in ["Japan", "Japanese", "Tokyo", "METI"])}
SIGNALS = {
    "completion": tuple(parse_term(t) for t in ["signed", "held", "entered into force", "established"]),
    "delay": tuple(parse_term(t) for t in ["postponed", "stalled", "suspended"]),
    "progress": tuple(parse_term(t) for t in ["talks", "negotiations", "meeting"]),
}


@dataclass(frozen=True)
class Ms:
    """A milestone as the matcher reads it (match.rules.MilestoneRule): matching needs nothing from the config."""

    id: str
    match: MatchRule | None
    signals: tuple[tuple[str, tuple[Term, ...]], ...] = ()


def rule(all_: list[object] | None = None, any_: list[str] | None = None, none: list[str] | None = None) -> MatchRule:
    groups = tuple(tuple(parse_term(t) for t in (g if isinstance(g, list) else [g])) for g in all_ or [])
    return MatchRule(groups, tuple(parse_term(t) for t in any_ or []), tuple(parse_term(t) for t in none or []))


def matched(r: MatchRule, title: str, text: str = "") -> list[str]:
    m = build_matcher([Ms("m", r)], ALIASES, SIGNALS)
    return [x.milestone for x in m.match(ItemText(title, text))]


CASES = [
    # name, rule, title, text, matches?
    ("phrase", rule(["critical minerals"]), "New critical minerals deal", "", True),
    ("phrase is case-insensitive", rule(["critical minerals"]), "CRITICAL MINERALS", "", True),
    ("phrase needs whole words", rule(["minerals"]), "Mineralsands report", "", False),
    ("phrase across a hyphen", rule(["rare earth"]), "Rare-earth magnets", "", True),
    ("hyphenated term finds spaces", rule(["rare-earth"]), "rare earth magnets", "", True),
    ("phrase across a line break", rule(["entered into force"]), "", "the pact entered\ninto   force", True),
    ("prefix", rule(["ratif*"]), "Parliament ratifies the pact", "", True),
    ("prefix needs a word start", rule(["ratif*"]), "unratified", "", False),
    ("regex", rule(["/annex (iii|3)/"]), "", "products listed in Annex III", True),
    ("alias", rule(["@japan"]), "Tokyo welcomes the deal", "", True),
    ("alias, none of it", rule(["@japan"]), "Seoul welcomes the deal", "", False),
    ("all: every entry", rule(["@japan", "ministerial"]), "Japan hosts ministerial", "", True),
    ("all: one missing", rule(["@japan", "ministerial"]), "Japan hosts summit", "", False),
    (
        "all: a list entry is any of it",
        rule(["@japan", ["ministerial", "ministers"]]),
        "Japan ministers meet",
        "",
        True,
    ),
    ("any: one is enough", rule(["@japan"], ["mining", "metals"]), "Japan metals plan", "", True),
    ("any: none present", rule(["@japan"], ["mining", "metals"]), "Japan car plan", "", False),
    ("none excludes", rule(["critical minerals"], none=["Australia"]), "Australia critical minerals deal", "", False),
    (
        "none in the body excludes",
        rule(["critical minerals"], none=["Australia"]),
        "Critical minerals",
        "with Australia",
        False,
    ),
    (
        "title and body together",
        rule(["@japan", "ministerial"]),
        "Ministerial next week",
        "Officials in Tokyo said",
        True,
    ),
    ("curly quotes and dashes", rule(["u.s.-japan"]), "", "the U.S.\u2013Japan framework", True),
    ("NFKC full-width", rule(["japan"]), "\uff2a\uff41\uff50\uff41\uff4e deal", "", True),
    ("percent stays a word", rule(["15%"]), "Tariff cut to 15% on autos", "", True),
    ("15% is not 15", rule(["15%"]), "15 ministers met", "", False),
    ("dollar amounts", rule(["$550 billion"]), "Japan's $550 billion fund", "", True),
    ("us is not U.S.", rule(["U.S."]), "Tell us more", "", False),
]


@pytest.mark.parametrize("name,r,title,text,expected", CASES, ids=[c[0] for c in CASES])
def test_rule(name: str, r: MatchRule, title: str, text: str, expected: bool) -> None:
    assert (matched(r, title, text) == ["m"]) is expected


def test_title_weighs_more_and_threshold() -> None:
    r = rule(["@japan", "ministerial"])
    m = build_matcher([Ms("m", r)], ALIASES, SIGNALS, threshold=3)
    assert [x.score for x in m.match(ItemText("Japan ministerial", ""))] == [4.0]
    assert m.match(ItemText("News", "Japan ministerial")) == []  # 2.0 < threshold 3
    assert [x.score for x in m.match(ItemText("Japan news", "ministerial"))] == [3.0]


def test_result_keeps_terms_and_snippet() -> None:
    m = build_matcher([Ms("m", rule(["@japan", "ministerial"]))], ALIASES, SIGNALS)
    text = "Filler words here. " * 30 + "Ministers met in Tokyo for the first ministerial on minerals. " + "More. " * 40
    [res] = m.match(ItemText("News", text))
    assert set(res.terms) == {"Tokyo", "ministerial"}
    assert "first ministerial" in res.snippet
    assert res.snippet.startswith("…") and res.snippet.endswith("…")
    assert len(res.snippet) <= 245


def test_only_candidate_milestones_are_evaluated() -> None:
    milestones = [Ms(f"m{i}", rule([f"term{i}", "shared"])) for i in range(500)]
    m = build_matcher(milestones, {}, SIGNALS)
    assert [x.milestone for x in m.match(ItemText("term42 and shared", ""))] == ["m42"]
    assert m.match(ItemText("shared only", "")) == []


SIGNAL_CASES = [
    ("Japan and US held ministerial", "", "completion"),
    ("Agreement signed in Kuala Lumpur", "", "completion"),
    ("The agreement has not been signed", "", "progress"),
    ("Deal is expected to be signed next month", "", "progress"),
    ("Ministerial will be held in April", "", "progress"),
    ("Talks postponed after border clash", "", "delay"),
    ("Talks continue", "", "progress"),
    ("A statement", "the agreement entered into force today", "completion"),
    ("Talks stalled", "though a framework was signed in October", "delay"),
    ("Something happened", "nothing relevant", "progress"),  # no signal word: evidence is most often a step
]


@pytest.mark.parametrize("title,snippet,expected", SIGNAL_CASES, ids=[c[0] for c in SIGNAL_CASES])
def test_signals(title: str, snippet: str, expected: str) -> None:
    assert decide_signal(title, snippet, SignalRules.build(SIGNALS, {})) == expected


def test_milestone_signal_vocabulary_extends_global() -> None:
    own = {"completion": (parse_term("convened"),)}
    assert decide_signal("Ministers convened in Tokyo", "", SignalRules.build(SIGNALS, own)) == "completion"
    assert decide_signal("Ministers convened in Tokyo", "", SignalRules.build(SIGNALS, {})) == NO_WORD_SIGNAL


def test_asking_or_seeking_is_not_having() -> None:
    rules = SignalRules.build(SIGNALS, {})
    assert decide_signal("Seoul asks Washington to have the deal signed", "", rules) == "progress"
    assert decide_signal("Thailand seeking the agreement signed this year", "", rules) == "progress"


def test_milestone_none_terms_mean_about_something_else() -> None:
    own = {"completion": (parse_term("convened"),), "none": (parse_term("framework"), parse_term("signed"))}
    rules = SignalRules.build(SIGNALS, own)
    assert decide_signal("Minerals framework signed in Tokyo", "", rules) == "none"  # the parent agreement
    assert decide_signal("Ministers convened under the framework", "", rules) == "completion"  # own completion first
    assert decide_signal("Ministers will be convened under the framework", "", rules) == "none"
    assert decide_signal("Talks postponed", "", rules) == "delay"  # no own term: the global vocabulary


SHIPPED_CASES = [
    ("US, Vietnam sign trade pact", "completion"),
    ("Malaysia pact takes effect", "completion"),
    ("Japan, US hold first ministerial", "completion"),
    ("Cambodia and US exchange notifications", "completion"),
    ("Korea publishes final text", "completion"),
    ("Japan to hold first ministerial in March", "progress"),
    ("Seoul plans to publish the final text", "progress"),
    ("Agreement not yet signed", "progress"),
    ("Thailand delays signing of trade pact", "delay"),
    ("Talks put off indefinitely", "delay"),
    ("Pact void after court ruling", "delay"),
    ("Negotiators agree framework in principle", "progress"),
    ("Talks show signs of a thaw", "progress"),
    ("Seoul asks the US to publish it in the Federal Register", "progress"),
]


@pytest.mark.parametrize("title,expected", SHIPPED_CASES, ids=[c[0] for c in SHIPPED_CASES])
def test_shipped_signal_vocabulary(title: str, expected: str) -> None:
    from pathlib import Path

    from monitor import config
    from monitor.home import Home

    defs = config.load(Home(Path(__file__).resolve().parents[1]), environ={}).definitions
    assert decide_signal(title, "", SignalRules.build(defs.signals, {})) == expected


@pytest.mark.parametrize(
    "raw,kind,text",
    [
        ("Japan", "phrase", "japan"),
        ("ratif*", "prefix", "ratif"),
        ("/a+b/", "regex", "a+b"),
        ("@japan", "alias", "japan"),
        ("Entered  Into\u00a0Force", "phrase", "entered into force"),
    ],
)
def test_parse_term(raw: str, kind: str, text: str) -> None:
    t = parse_term(raw)
    assert (t.kind, t.text) == (kind, text) and isinstance(t, Term)


@pytest.mark.parametrize(
    "raw,error",
    [
        ("", "empty term"),
        ("/(/", "bad regular expression"),
        ("/a*/", "matches empty text"),
        ("--", "has no letters"),
        ("-*", "prefix term '-\\*' has no letters"),  # would be found in every text
        ("〇", "has no letters"),  # a word character the matcher splits words at (CJK punctuation block)
        ("々*", "has no letters"),
        ("@Bad Name", "bad alias reference"),
        ("/(a+)+$/", "repeats a group that contains a repeat"),
        ("/(x|xy)*z/", "repeats a group that contains an alternation"),
        ("/" + "a" * 201 + "/", "is longer than 200 characters"),
    ],
)
def test_bad_terms(raw: str, error: str) -> None:
    with pytest.raises(ValueError, match=error):
        parse_term(raw)


def test_normalisation() -> None:
    assert normalize("  The\u00a0U.S.\u2014Japan \u201cdeal\u201d  ") == 'the u.s.-japan "deal"'
    assert match_form("U.S.-Japan: rare-earth deal (15%)!") == " u s japan rare earth deal 15% "


def test_story_keys() -> None:
    assert (
        canonical_link("https://WWW.Example.com/a/b/?utm_source=x&id=3&fbclid=y#frag") == "https://example.com/a/b?id=3"
    )
    assert canonical_link("http://example.com/a") == canonical_link("https://www.example.com/a/")
    assert headline_key("US, Japan hold minerals talks - Reuters") == headline_key(
        "US, Japan hold minerals talks | Nikkei Asia"
    )
    assert headline_key("Short") == ""


def test_a_candidate_rejected_at_a_lazy_group_leaves_the_lazy_terms_it_shares_to_the_others() -> None:
    """A rule whose group of lazy terms (here the acronym ART) is missing is rejected before its other lazy terms
    (the amount) are checked; a rule checked after it still finds that amount. Ten such rules and one that
    matches, under twenty names: the matcher takes its candidates in an order of their ids' hashes, so under some
    of the names the one that matches comes after a rejected one, whatever the hash seed."""
    from monitor.match.terms import acronym

    amount = parse_term("$550 billion")
    fund = (parse_term("fund"),)
    rejected = [Ms(f"a{i}", MatchRule((fund, (acronym("ART"),)), (amount,), ())) for i in range(10)]
    for name in (f"b{j}" for j in range(20)):
        m = build_matcher([*rejected, Ms(name, MatchRule((fund, (amount,)), (), ()))], {}, SIGNALS)
        found = m.match(ItemText("Japan fund", "The art of a 550 bln fund."))
        assert [(r.milestone, r.terms) for r in found] == [(name, ("fund", "$550 billion"))]
        found = m.match(ItemText("Japan fund", "ART: a 550 bln fund."))
        assert sorted(r.milestone for r in found) == sorted([name, *(f"a{i}" for i in range(10))])


def test_a_rejected_candidate_notes_only_its_groups_lazy_terms_as_checked() -> None:
    """The rejection itself: the group's acronym is checked and noted, the amount of the `any` list is left to the
    next candidate that needs it."""
    from monitor.match.engine import _Forms
    from monitor.match.terms import acronym

    m = build_matcher(
        [Ms("a", MatchRule(((parse_term("fund"),), (acronym("ART"),)), (parse_term("$550 billion"),), ()))], {}, SIGNALS
    )
    rule = m._rules["a"]
    item = ItemText("Japan fund", "The art of a 550 bln fund.")
    in_title, in_body = m._scan(item)
    hits, done = in_title | in_body, set[int]()
    assert m._lazy_group_missing(rule, _Forms(item), in_title, in_body, hits, done)
    assert [m._terms[t].kind for t in done] == ["acronym"]


def test_a_group_of_one_title_acronym_checks_its_acronym_first() -> None:
    """`title:ART` alone in a group: rejecting early must check ART itself first (the term it scopes), or the
    scope never finds it, for this candidate or the next."""
    art = MatchRule(tuple(tuple(parse_term(t, frozenset({"ART"})) for t in g) for g in (["title:ART"], ["fund"])))
    m = build_matcher([Ms("x", art), Ms("y", art)], {}, SIGNALS)
    assert sorted(x.milestone for x in m.match(ItemText("ART fund", ""))) == ["x", "y"]
    assert [x.milestone for x in m.match(ItemText("art fund", "ART"))] == []
