"""State reads and writes in storage/ (milestones, history, evidence) on a real database, SQLite file or
PostgreSQL; and the one --json serialiser, monitor.views.to_json."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import ClassVar

import pytest

from monitor.app import App, open_app
from monitor.clock import FixedClock
from monitor.deadlines import Progress
from monitor.storage import evidence_reads
from monitor.storage import milestones as store
from monitor.storage import subscribers as subscriber_store
from monitor.storage.milestones import StatusWrite
from monitor.storage.subscribers import SubscriberIn
from monitor.views import (
    HIDDEN,
    Extra,
    HistoryRow,
    MatchView,
    MilestoneDetail,
    MilestoneView,
    Source,
    json_key,
    to_json,
)
from tests.conftest import HomeDir

NOW = dt.datetime(2026, 11, 22, 12, tzinfo=dt.UTC)


@pytest.fixture
def app(home: HomeDir) -> Iterator[App]:
    opened = open_app(home.path, FixedClock(NOW))
    yield opened
    opened.close()


def change(milestone: str, before: str, after: str, on: dt.date, minutes: int, note: str | None = None) -> StatusWrite:
    """A status change recorded `minutes` after NOW, dated `on`."""
    verdict = after in ("complete", "partial", "missed")
    return StatusWrite(
        milestone_id=milestone,
        from_status=before,
        to_status=after,
        on=on,
        status_on=on if verdict else None,
        evidence_url=f"https://example.org/{milestone}/{after}",
        recorded_at=NOW + dt.timedelta(minutes=minutes),
        by="tester",
        note=note,
    )


def record(app: App, *changes: StatusWrite) -> None:
    """Each change in its own transaction, as `monitor status` writes them."""
    for c in changes:
        with app.db.write() as tx:
            assert store.lock(tx, c.milestone_id).status == c.from_status
            store.write_status(tx, c)


def row_of(c: StatusWrite, row_id: int) -> HistoryRow:
    """The history row `c` writes, as the `row_id`-th row of a fresh database."""
    return HistoryRow(
        milestone=c.milestone_id,
        from_status=c.from_status,
        to_status=c.to_status,
        on=c.on,
        recorded_at=c.recorded_at,
        by=c.by,
        note=c.note,
        evidence_url=c.evidence_url,
        match_id=c.match_id,
        kind=c.kind,
        refers_to=c.refers_to,
        id=row_id,
    )


# ---------------------------------------------------------------- storage.milestones


def test_a_fresh_database_has_every_milestone_pending(app: App) -> None:
    ids = [m.id for m in app.definitions.milestones]
    assert store.ids(app.db) == sorted(ids)
    assert store.progress(app.db) == {i: Progress("pending", None) for i in ids}
    rows = store.rows(app.db)
    assert set(rows) == set(ids)
    assert store.progress_of(rows) == store.progress(app.db)
    kr = rows["kr-final-text"]
    assert (kr.status, kr.status_on, kr.evidence_url, kr.last_evidence_at, kr.retired_at) == (
        "pending",
        None,
        None,
        None,
        None,
    )
    assert store.row(app.db, "kr-final-text") == kr
    assert store.row(app.db, "no-such-milestone") is None
    assert store.history(app.db) == []
    assert store.with_status(app.db, ("complete", "partial", "missed")) == set()


def test_a_status_change_writes_exactly_one_history_row(app: App) -> None:
    before = store.rows(app.db)
    c = change("kr-final-text", "pending", "complete", dt.date(2025, 11, 14), 0, note="signed text")
    record(app, c)
    assert store.history(app.db) == [row_of(c, 1)]
    after = store.rows(app.db)
    kr = after["kr-final-text"]
    assert (kr.status, kr.status_on, kr.evidence_url) == ("complete", dt.date(2025, 11, 14), c.evidence_url)
    assert {k: v for k, v in after.items() if k != "kr-final-text"} == {
        k: v for k, v in before.items() if k != "kr-final-text"
    }
    assert store.progress(app.db)["kr-final-text"] == Progress("complete", dt.date(2025, 11, 14))
    assert store.with_status(app.db, ("complete",)) == {"kr-final-text"}
    # an open status clears the verdict date; the evidence is the latest change's
    reopened = change("kr-final-text", "complete", "in_progress", dt.date(2025, 12, 1), 1)
    record(app, reopened)
    kr = store.rows(app.db)["kr-final-text"]
    assert (kr.status, kr.status_on, kr.evidence_url) == ("in_progress", None, reopened.evidence_url)
    assert len(store.history(app.db)) == 2


def test_a_rolled_back_transaction_writes_nothing(app: App) -> None:
    c = change("th-full-agreement", "pending", "stalled", dt.date(2025, 11, 5), 0)
    with pytest.raises(RuntimeError, match="refused later in the transaction"), app.db.write() as tx:
        store.write_status(tx, c)
        assert store.row(app.db, "th-full-agreement", tx) is not None
        raise RuntimeError("refused later in the transaction")
    assert store.history(app.db) == []
    assert store.progress(app.db)["th-full-agreement"] == Progress("pending", None)


def test_history_filters(app: App) -> None:
    first = change("th-full-agreement", "pending", "stalled", dt.date(2025, 11, 5), 0)
    second = change("kr-final-text", "pending", "complete", dt.date(2025, 11, 14), 1)
    third = change("th-full-agreement", "stalled", "in_progress", dt.date(2026, 1, 10), 2)
    # recorded later but dated earlier: the order is by recording, the filter by date
    fourth = change("cn-rare-earth-controls", "pending", "partial", dt.date(2025, 11, 1), 3)
    record(app, first, second, third, fourth)
    one, two, three, four = (row_of(c, i) for i, c in enumerate((first, second, third, fourth), 1))
    assert store.history(app.db) == [four, three, two, one]
    assert store.history(app.db, "th-full-agreement") == [three, one]
    assert store.history(app.db, since=dt.date(2025, 11, 14)) == [three, two]
    assert store.history(app.db, since=dt.date(2025, 11, 15)) == [three]
    assert store.history(app.db, "th-full-agreement", dt.date(2025, 11, 6)) == [three]
    assert store.history(app.db, "kr-final-text", dt.date(2026, 1, 1)) == []
    assert store.history(app.db, "jp-stockpiling") == []
    assert store.progress(app.db)["cn-rare-earth-controls"] == Progress("partial", dt.date(2025, 11, 1))
    assert store.with_status(app.db, ("complete", "partial")) == {"kr-final-text", "cn-rare-earth-controls"}


def test_active_subscriber_count(app: App) -> None:
    assert subscriber_store.active_count(app.db) == 0
    for n in ("a", "b"):
        subscriber_store.upsert(app.db, SubscriberIn(f"{n}@example.org", None, "weekly"), NOW)
    assert subscriber_store.active_count(app.db) == 2
    subscriber_store.set_active(app.db, subscriber_store.listing(app.db)[0].id, False)
    assert subscriber_store.active_count(app.db) == 1


def test_evidence_reads_without_evidence(app: App) -> None:
    assert evidence_reads.matches(app.db) == []
    assert evidence_reads.matches(app.db, milestone="kr-final-text", limit=10) == []
    with app.db.write() as tx:
        assert evidence_reads.lock_for_review(tx, 1) is None
        assert evidence_reads.recent_ids(tx) == []


# ---------------------------------------------------------------- views.to_json


def milestone_view(status: str = "complete", status_on: dt.date | None = dt.date(2025, 11, 14)) -> MilestoneView:
    return MilestoneView(
        id="kr-final-text",
        agreement="us-korea-deal",
        agreement_title="US–Korea deal",
        title="Final text",
        status=status,
        status_on=status_on,
        due=dt.date(2025, 12, 1),
        due_rule="60 days after signed",
        soft=True,
        deadline_state="met",
        days_left=None,
        evidence_url="https://example.org/kr",
        last_evidence=dt.datetime(2025, 11, 14, 9, 30, tzinfo=dt.UTC),
        quiet=False,
        countries=("US", "KR"),
    )


MILESTONE_DOC = {
    "id": "kr-final-text",
    "agreement": "us-korea-deal",
    "title": "Final text",
    "status": "complete",
    "status_on": "2025-11-14",
    "due": "2025-12-01",
    "due_rule": "60 days after signed",
    "soft_deadline": True,
    "deadline_state": "met",
    "days_left": None,
    "completed_on": "2025-11-14",
    "evidence_url": "https://example.org/kr",
    "last_evidence": "2025-11-14T09:30:00+00:00",
    "quiet": False,
    "countries": ["US", "KR"],
}


def test_to_json_milestone_view_renames_hides_and_computes_in_order() -> None:
    doc = to_json(milestone_view())
    assert list(doc.items()) == list(MILESTONE_DOC.items())  # keys in the documented order
    assert to_json(milestone_view("in_progress", None))["completed_on"] is None


def test_to_json_nested_detail_with_history_and_evidence() -> None:
    history = HistoryRow(
        milestone="kr-final-text",
        from_status="pending",
        to_status="complete",
        on=dt.date(2025, 11, 14),
        recorded_at=NOW,
        by="tester",
        note=None,
        evidence_url=None,
        match_id=7,
        kind="correction",
        refers_to=3,
        id=4,
    )
    match = MatchView(
        id=7,
        milestone="kr-final-text",
        item_title="Text agreed",
        item_url=None,
        published=dt.datetime(2025, 11, 14, 9, 30, tzinfo=dt.UTC),
        feed="wh",
        score=8.0,
        signal="completion",
        state="confirmed",
        snippet="agreed",
        terms=("text",),
        sources=(Source("wh", None, "Text agreed"), Source("fr", "https://fr.example/1", "Text")),
        note="ok",
        reviewed_at=None,
    )
    detail = MilestoneDetail(
        view=milestone_view(),
        description="what counts",
        depends_on=None,
        dependants=("kr-tariff-15",),
        history=(history,),
        matches=(match,),
    )
    doc = to_json(detail)
    assert list(doc) == [
        *MILESTONE_DOC,
        "agreement_title",
        "description",
        "depends_on",
        "dependants",
        "history",
        "matches",
    ]
    assert {k: doc[k] for k in MILESTONE_DOC} == MILESTONE_DOC
    assert doc["agreement_title"] == "US–Korea deal"
    assert doc["dependants"] == ["kr-tariff-15"]
    assert doc["history"] == [
        {
            "milestone": "kr-final-text",
            "from": "pending",
            "to": "complete",
            "on": "2025-11-14",
            "recorded_at": "2026-11-22T12:00:00+00:00",
            "by": "tester",
            "note": None,
            "evidence_url": None,
            "match_id": 7,
            "kind": "correction",
            "refers_to": 3,
            "id": 4,
        }
    ]
    assert doc["matches"] == [
        {
            "id": 7,
            "milestone": "kr-final-text",
            "item_title": "Text agreed",
            "item_url": None,
            "published": "2025-11-14T09:30:00+00:00",
            "feed": "wh",
            "score": 8.0,
            "signal": "completion",
            "state": "confirmed",
            "snippet": "agreed",
            "terms": ["text"],
            "sources": [
                {"feed": "wh", "url": None, "title": "Text agreed"},
                {"feed": "fr", "url": "https://fr.example/1", "title": "Text"},
            ],
            "note": "ok",
            "reviewed_at": None,
            "explanation": None,
        }
    ]


@dataclass(frozen=True)
class Report:
    json_extras: ClassVar[tuple[Extra, ...]] = (Extra("total"), Extra("first", after="started"))

    started: dt.date
    parts: tuple[int, ...]
    secret: str = field(default="x", metadata=HIDDEN)
    label: str = field(default="", metadata=json_key("name"))

    @property
    def total(self) -> int:
        return sum(self.parts)

    @property
    def first(self) -> int | None:
        return self.parts[0] if self.parts else None


@dataclass(frozen=True)
class BadExtra:
    json_extras: ClassVar[tuple[Extra, ...]] = (Extra("x", after="nothing"),)

    a: int

    @property
    def x(self) -> int:
        return 1


def test_to_json_extras_plain_values_and_refusals() -> None:
    doc = to_json(Report(dt.date(2026, 1, 2), (1, 2), label="r"))
    assert list(doc.items()) == [
        ("started", "2026-01-02"),
        ("first", 1),
        ("parts", [1, 2]),
        ("name", "r"),
        ("total", 3),
    ]
    assert to_json([{"a": (dt.date(2026, 1, 2),)}, None, 1.5, True]) == [{"a": ["2026-01-02"]}, None, 1.5, True]
    with pytest.raises(TypeError, match="cannot serialise set"):
        to_json({"a": {1}})
    with pytest.raises(TypeError, match="a mapping key must be a string, got int"):
        to_json({1: "a"})
    with pytest.raises(TypeError, match="BadExtra: 'x' follows no field 'nothing'"):
        to_json(BadExtra(1))
