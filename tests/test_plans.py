"""The pure planners as tables of cases: old state + new data → the plan storage applies. No database."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

import pytest

from monitor.plan.evidence import (
    BatchItem,
    Evidence,
    EvidencePlan,
    NewMatch,
    NewSource,
    Pending,
    Refresh,
    Repoint,
    Source,
    plan_evidence,
)
from monitor.plan.items import ItemPlan, StoredVersion, plan_items

# ---------------------------------------------------------------- items: new, changed or the same?


@dataclass(frozen=True)
class It:
    key: str
    content_hash: str


def items(*specs: str) -> list[It]:
    """'key:hash' each."""
    return [It(*spec.split(":")) for spec in specs]


STORED = {"a": StoredVersion(1, "h1"), "b": StoredVersion(2, "h2")}
A, B, C = It("a", "h1"), It("b", "h2"), It("c", "h3")

ITEM_CASES = [
    ("empty batch", STORED, [], ItemPlan[It]()),
    ("nothing stored: all new", {}, items("a:h1", "c:h3"), ItemPlan(insert=(A, C))),
    ("same hash: the same", STORED, items("a:h1", "b:h2"), ItemPlan[It](same=(A, B))),
    ("changed hash: an update of the stored id", STORED, items("b:x"), ItemPlan(update=((2, It("b", "x")),))),
    (
        "new, changed and same together, each in the order they came",
        STORED,
        items("c:h3", "a:new", "b:h2", "d:h4"),
        ItemPlan(insert=(C, It("d", "h4")), update=((1, It("a", "new")),), same=(B,)),
    ),
    (
        "a key twice in one batch: the first counts",
        {},
        items("c:h3", "c:other"),
        ItemPlan(insert=(C,), repeated=(It("c", "other"),)),
    ),
    (
        "a stored key twice: the first decides, changed or not",
        STORED,
        items("a:x", "a:h1"),
        ItemPlan(update=((1, It("a", "x")),), repeated=(A,)),
    ),
    ("stored keys missing from the batch are left alone", STORED, items("c:h3"), ItemPlan(insert=(C,))),
]


@pytest.mark.parametrize(
    ("existing", "incoming", "expected"), [c[1:] for c in ITEM_CASES], ids=[c[0] for c in ITEM_CASES]
)
def test_plan_items(existing: dict[str, StoredVersion], incoming: list[It], expected: ItemPlan[It]) -> None:
    assert plan_items(existing, incoming) == expected


# ---------------------------------------------------------------- evidence: add, refresh, merge or drop?

NOW = dt.datetime(2026, 11, 22, 12, tzinfo=dt.UTC)
T1 = dt.datetime(2026, 3, 10, tzinfo=dt.UTC)
T2 = dt.datetime(2026, 3, 11, tzinfo=dt.UTC)
T3 = dt.datetime(2026, 3, 12, tzinfo=dt.UTC)


@dataclass(frozen=True)
class R:
    """A match result."""

    milestone: str
    score: float = 3.0
    terms: tuple[str, ...] = ("rare earth",)
    signal: str = "progress"
    snippet: str = "…rare earth…"


def item(item_id: int, *milestones: str, key: str = "", title: str = "", at: dt.datetime = T1) -> BatchItem:
    return BatchItem(item_id, f"hash-{item_id}", at, tuple(R(m) for m in milestones), key, title)


def new(item_id: int, milestone: str, key: str = "", title: str = "") -> NewMatch:
    return NewMatch(item_id, milestone, 3.0, ("rare earth",), "…rare earth…", "progress", key, title, NOW)


def refresh(match_id: int) -> Refresh:
    return Refresh(match_id, 3.0, ("rare earth",), "…rare earth…", "progress")


def ev(match_id: int, milestone: str, item_id: int, state: str = "new", key: str = "", title: str = "") -> Evidence:
    return Evidence(match_id, milestone, item_id, state, key, title)


def src(match_id: int, item_id: int, milestone: str = "m", state: str = "new", primary: int | None = None) -> Source:
    return Source(match_id, item_id, milestone, state, item_id if primary is None else primary)


@dataclass(frozen=True)
class Case:
    name: str
    batch: list[BatchItem]
    expected: EvidencePlan  # `matched` is filled in: every item of the batch, with its content hash
    evidence: tuple[Evidence, ...] = ()
    sources: tuple[Source, ...] = ()
    scope: tuple[str, ...] = ("m", "n")


EVIDENCE_CASES = [
    Case("empty batch", [], EvidencePlan()),
    Case("an item that matches nothing, with no evidence: only marked matched", [item(1)], EvidencePlan()),
    Case(
        "a new match: new evidence with the item as its source",
        [item(1, "m", key="k", title="t")],
        EvidencePlan(
            new_matches=(new(1, "m", "k", "t"),),
            new_sources=(NewSource(Pending(0), 1),),
            last_evidence=(("m", T1),),
        ),
    ),
    Case(
        "one item, two milestones: two new matches",
        [item(1, "m", "n", key="k")],
        EvidencePlan(
            new_matches=(new(1, "m", "k"), new(1, "n", "k")),
            new_sources=(NewSource(Pending(0), 1), NewSource(Pending(1), 1)),
            last_evidence=(("m", T1), ("n", T1)),
        ),
    ),
    Case(
        "the same item again, unreviewed: refreshed, no second source",
        [item(1, "m", key="k")],
        EvidencePlan(refreshes=(refresh(10),), last_evidence=(("m", T1),)),
        evidence=(ev(10, "m", 1, key="k"),),
        sources=(src(10, 1),),
    ),
    Case(
        "the same item again, its source missing: refreshed and the source added",
        [item(1, "m")],
        EvidencePlan(refreshes=(refresh(10),), new_sources=(NewSource(10, 1),), last_evidence=(("m", T1),)),
        evidence=(ev(10, "m", 1),),
    ),
    Case(
        "the same item again, confirmed: never refreshed",
        [item(1, "m", key="k")],
        EvidencePlan(last_evidence=(("m", T1),)),
        evidence=(ev(10, "m", 1, "confirmed", key="k"),),
        sources=(src(10, 1, state="confirmed"),),
    ),
    Case(
        "the same item again, dismissed: never refreshed",
        [item(1, "m")],
        EvidencePlan(last_evidence=(("m", T1),)),
        evidence=(ev(10, "m", 1, "dismissed"),),
        sources=(src(10, 1, state="dismissed"),),
    ),
    Case(
        "the same story by canonical link from another item: a source of the existing match, not a new match",
        [item(2, "m", key="k", title="other headline")],
        EvidencePlan(new_sources=(NewSource(10, 2),), last_evidence=(("m", T1),)),
        evidence=(ev(10, "m", 1, key="k", title="headline"),),
        sources=(src(10, 1),),
    ),
    Case(
        "the same story by headline from another item",
        [item(2, "m", key="other-link", title="headline")],
        EvidencePlan(new_sources=(NewSource(10, 2),), last_evidence=(("m", T1),)),
        evidence=(ev(10, "m", 1, key="k", title="headline"),),
        sources=(src(10, 1),),
    ),
    Case(
        "the canonical link is asked before the headline",
        [item(3, "m", key="k", title="headline")],
        EvidencePlan(new_sources=(NewSource(11, 3),), last_evidence=(("m", T1),)),
        evidence=(ev(10, "m", 1, key="k1", title="headline"), ev(11, "m", 2, key="k", title="h2")),
    ),
    Case(
        "several stored matches of one story: the first loaded wins",
        [item(3, "m", key="k")],
        EvidencePlan(new_sources=(NewSource(10, 3),), last_evidence=(("m", T1),)),
        evidence=(ev(10, "m", 1, key="k"), ev(11, "m", 2, key="k")),
    ),
    Case(
        "reviewed evidence still gathers the story's other sources",
        [item(2, "m", key="k")],
        EvidencePlan(new_sources=(NewSource(10, 2),), last_evidence=(("m", T1),)),
        evidence=(ev(10, "m", 1, "confirmed", key="k"),),
        sources=(src(10, 1, state="confirmed"),),
    ),
    Case(
        "the same story under another milestone is another match",
        [item(2, "n", key="k")],
        EvidencePlan(
            new_matches=(new(2, "n", "k"),), new_sources=(NewSource(Pending(0), 2),), last_evidence=(("n", T1),)
        ),
        evidence=(ev(10, "m", 1, key="k"),),
    ),
    Case(
        "two items of one batch, one story by link: one new match with two sources",
        [item(1, "m", key="k", title="a"), item(2, "m", key="k", title="b")],
        EvidencePlan(
            new_matches=(new(1, "m", "k", "a"),),
            new_sources=(NewSource(Pending(0), 1), NewSource(Pending(0), 2)),
            last_evidence=(("m", T1),),
        ),
    ),
    Case(
        "two items of one batch, one story by headline",
        [item(1, "m", key="k1", title="t"), item(2, "m", key="k2", title="t")],
        EvidencePlan(
            new_matches=(new(1, "m", "k1", "t"),),
            new_sources=(NewSource(Pending(0), 1), NewSource(Pending(0), 2)),
            last_evidence=(("m", T1),),
        ),
    ),
    Case(
        "an item no longer matching, unreviewed, with other sources: its source dropped",
        [item(1)],
        EvidencePlan(dropped_sources=((10, 1),)),
        sources=(src(10, 5, primary=5), src(10, 1, primary=5)),
    ),
    Case(
        "the match left without sources: deleted",
        [item(1)],
        EvidencePlan(dropped_sources=((10, 1),), deleted_matches=(10,)),
        sources=(src(10, 1),),
    ),
    Case(
        "the primary item left: the lowest remaining source becomes primary",
        [item(1)],
        EvidencePlan(dropped_sources=((10, 1),), repoints=(Repoint(10, 5),)),
        sources=(src(10, 1), src(10, 7, primary=1), src(10, 5, primary=1)),
    ),
    Case(
        "the primary item left as another item of the batch joined: that one becomes primary",
        [item(1), item(2, "m", key="k")],
        EvidencePlan(
            new_sources=(NewSource(10, 2),),
            dropped_sources=((10, 1),),
            repoints=(Repoint(10, 2),),
            last_evidence=(("m", T1),),
        ),
        evidence=(ev(10, "m", 1, key="k"),),
        sources=(src(10, 1),),
    ),
    Case(
        "both sources of a match leave in one batch: deleted once",
        [item(1), item(2)],
        EvidencePlan(dropped_sources=((10, 1), (10, 2)), deleted_matches=(10,)),
        sources=(src(10, 1), src(10, 2, primary=1)),
    ),
    Case(
        "reviewed evidence is never dropped",
        [item(1)],
        EvidencePlan(),
        sources=(src(10, 1, state="confirmed"), src(11, 1, "n", state="dismissed")),
    ),
    Case(
        "milestones outside the scope are untouched",
        [item(1)],
        EvidencePlan(),
        sources=(src(10, 1),),
        scope=("n",),
    ),
    Case(
        "still matching one milestone, no longer the other: refreshed and dropped",
        [item(1, "m")],
        EvidencePlan(
            refreshes=(refresh(10),), dropped_sources=((11, 1),), deleted_matches=(11,), last_evidence=(("m", T1),)
        ),
        evidence=(ev(10, "m", 1),),
        sources=(src(10, 1), src(11, 1, "n")),
    ),
    Case(
        "sources of other items are loaded but never dropped",
        [item(1, "m", key="k")],
        EvidencePlan(last_evidence=(("m", T1),)),
        evidence=(ev(10, "m", 5, "new", key="k"),),
        sources=(src(10, 5), src(10, 1, primary=5)),
    ),
    Case(
        "last evidence: the latest publication of the batch, whatever the order",
        [item(1, "m", key="a", at=T3), item(2, "m", key="b", at=T1), item(3, "n", key="c", at=T2)],
        EvidencePlan(
            new_matches=(new(1, "m", "a"), new(2, "m", "b"), new(3, "n", "c")),
            new_sources=(NewSource(Pending(0), 1), NewSource(Pending(1), 2), NewSource(Pending(2), 3)),
            last_evidence=(("m", T3), ("n", T2)),
        ),
    ),
    Case(
        "last evidence moves for reviewed evidence too (it is when the milestone was last in the news)",
        [item(1, "m", at=T2)],
        EvidencePlan(last_evidence=(("m", T2),)),
        evidence=(ev(10, "m", 1, "confirmed"),),
        sources=(src(10, 1, state="confirmed"),),
    ),
]


@pytest.mark.parametrize("case", EVIDENCE_CASES, ids=[c.name for c in EVIDENCE_CASES])
def test_plan_evidence(case: Case) -> None:
    plan = plan_evidence(case.batch, case.evidence, case.sources, case.scope, NOW)
    matched = tuple((b.item_id, f"hash-{b.item_id}") for b in case.batch)
    assert plan == replace(case.expected, matched=matched)


def test_items_are_marked_matched_with_the_content_that_was_matched() -> None:
    """Storage clears needs_match only where the stored hash is still this one: a rewrite meanwhile stays marked."""
    batch = [BatchItem(7, "abc", T1, (), "", ""), BatchItem(3, "def", T2, (R("m"),), "", "")]
    assert plan_evidence(batch, (), (), ("m",), NOW).matched == ((7, "abc"), (3, "def"))
