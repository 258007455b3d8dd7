"""How news is written: amounts, `near`, acronyms, CJK text, headline signals, dates and explanations. Tables of
plain values, no fixtures: the matcher is pure."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest

from monitor.match.amounts import find_amounts, with_amounts
from monitor.match.engine import ItemText, build_matcher, split_sentences
from monitor.match.rules import MatchRule
from monitor.match.signals import SignalRules, before_completion, decide_signal, decide_signal_reason
from monitor.match.terms import Term, parse_term

ACRONYMS = frozenset({"ART", "MOU", "US", "TIFA"})
ALIASES = {
    "japan": tuple(parse_term(t) for t in ["Japan", "Tokyo", "日本", "日米", "일본"]),
    "china": tuple(parse_term(t) for t in ["China", "Beijing", "中国", "中方", "美中"]),
    "korea": tuple(parse_term(t) for t in ["Korea", "한국", "韓国", "한미"]),
    "licence": tuple(parse_term(t) for t in ["licen*", "permit*"]),
}
SIGNALS = {
    "completion": tuple(
        parse_term(t)
        for t in ["signed", "sign", "held", "hold", "publish", "署名", "開催", "签署", "서명", "발표", "生效"]
    ),
    "delay": tuple(parse_term(t) for t in ["postpon*", "delays", "stalled", "延期", "연기", "推迟"]),
    "progress": tuple(parse_term(t) for t in ["talks", "協議", "협상", "磋商"]),
}


@dataclass(frozen=True)
class Ms:
    id: str
    match: MatchRule | None
    signals: tuple[tuple[str, tuple[Term, ...]], ...] = ()


def terms(raw: list[str]) -> tuple[Term, ...]:
    return tuple(parse_term(t, ACRONYMS) for t in raw)


def rule(all_: list[object], any_: list[str] | None = None, not_before: dt.date | None = None) -> MatchRule:
    groups = tuple(terms(g if isinstance(g, list) else [g]) for g in all_)  # type: ignore[arg-type]
    return MatchRule(groups, terms(any_ or []), (), not_before)


def matches(r: MatchRule, title: str, text: str = "", published: dt.date | None = None) -> bool:
    m = build_matcher([Ms("m", r)], ALIASES, SIGNALS)
    return [x.milestone for x in m.match(ItemText(title, text, published))] == ["m"]


@pytest.mark.parametrize(
    "written,canonical",
    [
        ("$550 billion", "550 billion"),
        ("US$550bn", "550 billion"),
        ("550 bln", "550 billion"),
        ("550 billion dollars", "550 billion"),
        ("$550-billion", "550 billion"),
        ("$0.55 trillion", "550 billion"),
        ("$550B", "550 billion"),
        ("5500億ドル", "550 billion"),
        ("5500亿美元", "550 billion"),
        ("3,500억 달러", "350 billion"),
        ("200억달러", "20 billion"),
        ("₩3.5 trillion", "3.5 trillion"),
        ("$14.4bn", "14.4 billion"),
        ("$5m", "5 million"),
    ],
)
def test_amounts_have_one_form(written: str, canonical: str) -> None:
    [a] = find_amounts(written)
    assert (a.canonical, a.start, a.end) == (canonical, 0, len(written))


@pytest.mark.parametrize("text", ["in 2025", "a 15% tariff", "550B", "Section 232", "7 billionaires", "5 men"])
def test_not_amounts(text: str) -> None:
    assert list(find_amounts(text)) == [] and with_amounts(text) == text


CASES = [
    # name, rule, title, text, matches?
    ("amount: abbreviation", rule(["$550 billion"]), "Japan's US$550bn fund picks projects", "", True),
    ("amount: bln", rule(["$550 billion"]), "Japan's 550 bln dlr investment", "", True),
    ("amount: in dollars", rule(["550 billion"]), "a 550 billion dollar plan", "", True),
    ("amount: Japanese", rule(["@japan", "$550 billion"]), "日本の5500億ドル対米投資、第1弾を発表", "", True),
    ("amount: Korean", rule(["@korea", "$350 billion"]), "한국 3500억 달러 대미 투자 특별법", "", True),
    ("amount: another figure", rule(["$550 billion"]), "Japan's $55 billion fund", "", False),
    ("near: words between", rule(["general near licen*"]), "China grants general rare-earth export licences", "", True),
    ("near: alias side", rule(["general near @licence"]), "general export permits", "", True),
    ("near: too far apart", rule(["general near/2 licen*"]), "general rules on rare-earth export licences", "", False),
    (
        "near: other sentences",
        rule(["general near licen*"]),
        "",
        "In general, China was quiet. Later, licences were granted.",
        False,
    ),
    ("near: U.S. is no sentence end", rule(["general near licen*"]), "", "General U.S. licences granted", True),
    ("acronym in capitals", rule(["ART", "Malaysia"]), "Malaysia cabinet reviews ART with US", "", True),
    ("acronym, not the word", rule(["ART", "Malaysia"]), "Malaysia art exhibition opens", "", False),
    ("acronym, not Titlecase", rule(["ART", "Malaysia"]), "Art fair in Malaysia", "", False),
    ("acronym mixed case", rule(["MOU"]), "Korea, US sign MoU on investment", "", True),
    ("acronym plural", rule(["MOU"]), "Two MOUs signed", "", True),
    ("acronym with dots", rule(["US"]), "U.S. and Japan", "", True),
    ("acronym is not the pronoun", rule(["US"]), "Tell us what you think", "", False),
    ("CJK: no spaces between words", rule(["@japan", "閣僚"]), "日米、重要鉱物で閣僚会合開催へ", "", True),
    ("CJK: Korean particle attached", rule(["@korea", "특별법"]), "한국은 특별법을 통과시켰다", "", True),
    ("CJK: Chinese", rule(["@china", "稀土"]), "中方暂停稀土出口管制措施", "", True),
    ("CJK: missing term", rule(["@china", "稀土"]), "中方暂停出口管制措施", "", False),
    ("lone Han: alone in Korean", rule(["美", "관보"]), "美, 전방위로 관세 압박… 관보 준비중", "", True),
    ("lone Han: before Hangul", rule(["美", "국무부"]), "美국무부서 기다려 달라", "", True),
    ("lone Han: not inside a Han word", rule(["美", "关税"]), "美国宣布关税", "", False),
    ("lone Han: not 美丽", rule(["美"]), "美丽的风景", "", False),
    # a Latin word or a number written against a spaceless script is a word of its own (particles attach to it)
    ("CJK: Latin word before kana", rule(["@japan", "JBIC"]), "日本政府、JBICに投資ファシリティ設立", "", True),
    ("CJK: percent before Hangul", rule(["@korea", "25%"]), "한국 관세 15%에서 25%로 인상", "", True),
    ("CJK: acronym before Hangul", rule(["@korea", "MOU"]), "한국, 미국과 MOU를 체결", "", True),
    ("CJK: acronym after Han", rule(["ART", "大马"]), "大马内阁审议对ART的意见", "", True),
    ("CJK: still not inside a Latin word", rule(["@korea", "MOU"]), "한국 MOUSE 수출", "", False),
]


@pytest.mark.parametrize("name,r,title,text,expected", CASES, ids=[c[0] for c in CASES])
def test_rule(name: str, r: MatchRule, title: str, text: str, expected: bool) -> None:
    assert matches(r, title, text) is expected


def test_an_item_from_long_before_the_agreement_is_not_evidence() -> None:
    r = rule(["Vietnam", "trade agreement"], not_before=dt.date(2024, 10, 26))
    title = "US, Vietnam sign trade agreement"
    assert not matches(r, title, published=dt.date(2000, 7, 13))
    assert matches(r, title, published=dt.date(2025, 7, 2))
    assert matches(r, title)  # no date known: not judged by it


SIGNAL_CASES = [
    ("Japan, US hold first ministerial", "completion"),
    ("Japan, US to hold first ministerial", "progress"),
    ("Japan, US hold ministerial next month", "progress"),
    ("Seoul plans to publish the text", "progress"),
    ("Text not yet signed", "progress"),
    ("Thailand delays signing", "delay"),
    ("日米、閣僚会合を開催", "completion"),
    ("日米、閣僚会合開催へ", "progress"),
    ("日米閣僚会合の開催予定", "progress"),
    ("美中签署协议", "completion"),
    ("美中将签署协议", "progress"),
    ("美中尚未签署协议", "progress"),
    ("协定须在互换通知60天后才生效", "progress"),  # 才: "only then", a condition
    ("协定今日生效", "completion"),
    ("한미 양해각서 서명", "completion"),
    ("한미 양해각서 서명 예정", "progress"),
    ("팩트시트 발표 연기", "delay"),
    ("日米協議", "progress"),
]


@pytest.mark.parametrize("title,expected", SIGNAL_CASES, ids=[c[0] for c in SIGNAL_CASES])
def test_headline_signals(title: str, expected: str) -> None:
    assert decide_signal(title, "", SignalRules.build(SIGNALS, {})) == expected


def test_signal_reasons_say_what_decided() -> None:
    rules = SignalRules.build(SIGNALS, {"completion": terms(["convened"])})
    r = decide_signal_reason("Japan, US to hold first ministerial", "", rules)
    assert (r.signal, r.field, r.word, r.negated_by, r.vocabulary) == ("progress", "title", "hold", "to", "global")
    r = decide_signal_reason("Ministers meet", "ministers convened in Tokyo", rules)
    assert (r.signal, r.field, r.word, r.vocabulary) == ("completion", "snippet", "convened", "milestone")
    assert "the title has none" in r.describe()
    nothing = decide_signal_reason("Nothing", "", rules)
    assert (nothing.signal, nothing.field, nothing.word) == ("progress", None, None)
    assert nothing.describe().startswith("progress: no signal word")


def test_explanation_names_terms_fields_and_offsets() -> None:
    m = build_matcher([Ms("m", rule(["@japan", ["ministerial", "閣僚"]], ["minerals"]))], ALIASES, SIGNALS)
    item = ItemText("Japan, US hold first ministerial", "The talks covered critical minerals and more.")
    ex = m.explain(item, "m")
    assert ex is not None and ex.matches_now and ex.score == 5.0
    got = {(h.term, h.group, h.field, h.start, h.end, h.matched) for h in ex.hits}
    assert got == {
        ("@japan (Japan)", "all[0]", "title", 0, 5, "Japan"),
        ("ministerial", "all[1]", "title", 21, 32, "ministerial"),
        ("minerals", "any", "text", 27, 35, "minerals"),
    }
    assert ex.signal.signal == "completion" and ex.signal.word == "hold"
    assert m.explain(ItemText("Korea news", ""), "m") is not None
    assert not m.explain(ItemText("Korea news", ""), "m").matches_now  # type: ignore[union-attr]
    assert m.explain(item, "no-such-milestone") is None


def test_a_completion_before_the_milestones_known_completion_is_progress() -> None:
    """China "pauses" its controls at Busan on 30 October; MOFCOM suspends them on 7 November: the earlier
    report is the pledge. A day early still counts (an item's UTC date can lag its local one); an undated item,
    a later one, and a signal other than completion are as the words say."""
    done = dt.date(2025, 11, 7)
    r = MatchRule((terms(["@china"]), terms(["rare earth*"])), (), (), None, done)
    m = build_matcher([Ms("m", r, (("completion", terms(["pauses"])),))], ALIASES, SIGNALS)

    def signal(title: str, published: dt.date | None) -> str:
        found = m.match(ItemText(title, "", published))
        assert [x.milestone for x in found] == ["m"]
        return found[0].signal

    title = "China pauses rare earth export controls"
    assert signal(title, dt.date(2025, 10, 30)) == "progress"
    assert signal(title, dt.date(2025, 11, 5)) == "progress"
    assert signal(title, dt.date(2025, 11, 6)) == "completion"  # a day early: the UTC date of a local 7 November
    assert signal(title, done) == "completion"
    assert signal(title, dt.date(2026, 1, 5)) == "completion"
    assert signal(title, None) == "completion"
    assert signal("China delays rare earth export controls", dt.date(2025, 10, 30)) == "delay"
    ex = m.explain(ItemText(title, "", dt.date(2025, 10, 30)), "m")
    assert ex is not None
    reason = ex.signal
    assert (reason.signal, reason.word, reason.vocabulary, reason.completed_on) == (
        "progress",
        "pauses",
        "milestone",
        done,
    )
    assert "published before the milestone was completed (2025-11-07)" in reason.describe()


def test_before_completion_is_pure() -> None:
    done = dt.date(2025, 11, 14)
    signed = decide_signal_reason("Korea, US sign MOU", "", SignalRules.build(SIGNALS, {}))
    assert signed.signal == "completion"
    early = before_completion(signed, dt.date(2025, 10, 29), done, 1)
    assert early.signal == "progress" and early.completed_on == done and early.word == signed.word
    assert before_completion(signed, dt.date(2025, 10, 29), None, 1) is signed  # no known completion
    assert before_completion(signed, dt.date(2025, 11, 13), done, 1) is signed
    assert before_completion(signed, dt.date(2025, 11, 13), done, 0).signal == "progress"
    talks = decide_signal_reason("Korea, US MOU talks", "", SignalRules.build(SIGNALS, {}))
    assert before_completion(talks, dt.date(2025, 1, 1), done, 1) is talks


def test_explanation_of_a_latin_word_against_a_spaceless_script() -> None:
    """The offsets of a word written against kana are where it is written: the scan and the explanation agree."""
    m = build_matcher([Ms("m", rule(["@japan", "JBIC"]))], ALIASES, SIGNALS)
    ex = m.explain(ItemText("日本政府、JBICに投資ファシリティ設立", ""), "m")
    assert ex is not None and ex.matches_now
    assert ("JBIC", "title", 5, 9, "JBIC") in {(h.term, h.field, h.start, h.end, h.matched) for h in ex.hits}


def test_explanation_of_near_and_amounts() -> None:
    m = build_matcher([Ms("m", rule(["general near licen*", "$550 billion"]))], ALIASES, SIGNALS)
    item = ItemText("General export licences and the US$550bn fund", "")
    ex = m.explain(item, "m")
    assert ex is not None
    spans = {h.term: h.matched for h in ex.hits}
    assert spans == {"general near licen*": "General export licences", "$550 billion": "US$550bn"}


@pytest.mark.parametrize(
    "raw,error",
    [
        ("a near b near c", "joins exactly two terms"),
        ("a near/99 b", "more than 50 words"),
        ("/x/ near b", "each side of 'near' is"),
    ],
)
def test_bad_near(raw: str, error: str) -> None:
    with pytest.raises(ValueError, match=error):
        parse_term(raw)


def test_near_is_an_operator_only_between_two_terms() -> None:
    assert parse_term("near east").kind == "phrase"  # the word itself, at the start
    t = parse_term("rare earth* near/3 @china")
    assert (t.kind, t.distance, [p.kind for p in t.parts]) == ("near", 3, ["prefix", "alias"])


def test_sentences() -> None:
    assert split_sentences("The U.S. and Mr. Lee met. Talks end! 会談は終了。次") == [
        "The U.S. and Mr. Lee met",
        "Talks end",
        "会談は終了",
        "次",
    ]


@pytest.mark.parametrize("text", ["Korea 350 Bn investment", "Korea to invest 350 mln", "a 5 trn plan", "20 BLN"])
def test_amounts_in_any_case_in_plain_ascii(text: str) -> None:
    assert [a.canonical for a in find_amounts(text)] != []
