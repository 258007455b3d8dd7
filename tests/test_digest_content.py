"""The digest's content and the delivery planner: pure functions, tables of cases, no database or server."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest

from monitor.digest.content import Digest, FeedState, Recipient, RecordedEvidence, build_digest
from monitor.plan.deliveries import (
    STALE_CLAIM,
    Deliveries,
    DeliveryRow,
    Here,
    Send,
    Skip,
    Window,
    plan_delivery,
)
from tests import digest_sample as s


def digest(recipient: Recipient = s.EVERYTHING, window: Window = s.WINDOW, state: s.DigestState = s.STATE) -> Digest:
    return build_digest(recipient, window, state, s.OPTIONS)


def milestone_ids(d: Digest) -> set[str]:
    """Every milestone the digest mentions, in any section."""
    return (
        {c.milestone.id for c in d.changes}
        | {g.milestone.id for a in d.evidence for g in a.milestones}
        | {m.id for m in (*d.due_soon, *d.overdue, *d.quiet)}
    )


def evidence_ids(d: Digest) -> list[int]:
    return [e.id for a in d.evidence for g in a.milestones for e in g.items]


# ---------------------------------------------------------------- filters


@pytest.mark.parametrize(
    ("recipient", "expected"),
    [
        (
            s.EVERYTHING,
            {
                "jp-minerals-ministerial",
                "jp-projects-financed",
                "jp-stockpiling",
                "kr-final-text",
                "kr-tariff-15",
                "th-full-agreement",
            },
        ),
        (
            Recipient("j@x.org", countries=("JP",)),
            {"jp-minerals-ministerial", "jp-projects-financed", "jp-stockpiling"},
        ),
        (Recipient("k@x.org", agreements=("us-korea-deal",)), {"kr-final-text", "kr-tariff-15"}),
        (Recipient("m@x.org", milestones=("th-full-agreement",)), {"th-full-agreement"}),
        # filters add up: Japan, and one Korean milestone
        (
            Recipient("u@x.org", countries=("JP",), milestones=("kr-tariff-15",)),
            {"jp-minerals-ministerial", "jp-projects-financed", "jp-stockpiling", "kr-tariff-15"},
        ),
        # every agreement has the US as a party
        (
            Recipient("us@x.org", countries=("US",)),
            {
                "jp-minerals-ministerial",
                "jp-projects-financed",
                "jp-stockpiling",
                "kr-final-text",
                "kr-tariff-15",
                "th-full-agreement",
            },
        ),
        (Recipient("v@x.org", countries=("VN",)), set()),
    ],
    ids=["everything", "japan", "korea-deal", "one-milestone", "japan-plus-one", "us", "vietnam"],
)
def test_filters(recipient: Recipient, expected: set[str]) -> None:
    assert milestone_ids(digest(recipient)) == expected


def test_a_subscriber_following_japan_gets_nothing_about_korea() -> None:
    d = digest(s.JAPAN_ONLY)
    assert evidence_ids(d) == [11]
    assert [c.milestone.id for c in d.changes] == []  # both changes are Korea's and Thailand's
    assert [f.id for f in d.failing_sources] == ["wh-fact-sheets"]  # a US source bears on Japan; Korea.net does not
    assert [a.id for a in d.evidence] == ["us-japan-minerals-framework"]


# ---------------------------------------------------------------- sections


def test_every_section_of_the_sample() -> None:
    d = digest()
    assert [(c.milestone.id, c.to_status) for c in d.changes] == [
        ("kr-final-text", "complete"),
        ("th-full-agreement", "stalled"),
    ]
    assert [(a.id, [g.milestone.id for g in a.milestones]) for a in d.evidence] == [
        ("us-japan-minerals-framework", ["jp-minerals-ministerial"]),
        ("us-korea-deal", ["kr-final-text"]),
    ]
    ministerial = d.evidence[0].milestones[0].items[0]
    assert [src.feed for src in ministerial.sources] == ["METI — news releases (English)", "White House — fact sheets"]
    assert ministerial.published == dt.date(2026, 11, 20)
    assert [(m.id, m.days, m.new) for m in d.due_soon] == [("kr-tariff-15", "18 days left", False)]
    # most overdue first; jp-projects-financed became overdue on 21 Nov, inside the window
    assert [(m.id, m.days, m.new) for m in d.overdue] == [
        ("th-full-agreement", "326 days overdue", False),
        ("jp-minerals-ministerial", "210 days overdue", False),
        ("jp-projects-financed", "2 days overdue", True),
    ]
    # quiet milestones already listed as overdue are not repeated
    assert [(m.id, m.quiet_days, m.last_evidence) for m in d.quiet] == [("jp-stockpiling", 390, None)]
    assert [(f.id, f.failures) for f in d.failing_sources] == [("korea-net", 4), ("wh-fact-sheets", 3)]
    assert d.counts.phrases() == (
        "2 status changes",
        "2 new pieces of evidence",
        "1 due soon",
        "3 overdue",
        "1 quiet",
        "2 failing sources",
    )
    assert d.report_url == "https://monitor.example.org/status/index.html"
    assert d.overdue[0].url == "https://monitor.example.org/status/milestones/th-full-agreement.html"
    assert d.unsubscribe_url == "https://monitor.example.org/status/unsubscribe?token=tok-ana-0123456789"
    assert d.unsubscribe_subject == "unsubscribe tok-ana-0123456789"
    assert not d.is_empty


def test_no_base_url_no_links() -> None:
    d = build_digest(s.EVERYTHING, s.WINDOW, s.STATE, replace(s.OPTIONS, base_url=None))
    assert d.report_url is None and d.unsubscribe_url is None
    assert {m.url for m in (*d.overdue, *d.due_soon)} == {None}
    assert d.unsubscribe_subject == "unsubscribe tok-ana-0123456789"  # the mailto still works


def evidence_at(recorded: dt.datetime, state: str = "new", match_id: int = 90) -> RecordedEvidence:
    m = s.match(
        match_id,
        "jp-stockpiling",
        "Stockpiling talks",
        "https://news.example.org/s",
        recorded,
        "meti-news",
        state=state,
    )
    return RecordedEvidence(recorded, m)


@pytest.mark.parametrize(
    ("recorded", "state", "shown"),
    [
        (s.START, "new", False),  # the window is (start, end]: the previous digest had it
        (s.START + dt.timedelta(seconds=1), "new", True),
        (s.END, "new", True),
        (s.END + dt.timedelta(seconds=1), "new", False),  # the next digest's
        (s.END - dt.timedelta(hours=1), "confirmed", True),
        (s.END - dt.timedelta(hours=1), "dismissed", False),  # a reviewer said it is not evidence
    ],
)
def test_evidence_is_windowed_by_when_it_was_recorded(recorded: dt.datetime, state: str, shown: bool) -> None:
    d = digest(state=s.with_evidence(s.STATE, evidence_at(recorded, state)))
    assert (90 in evidence_ids(d)) is shown


def quiet_state() -> s.DigestState:
    """Nothing happened: no changes, no evidence, deadlines far away or long passed."""
    return replace(s.STATE, changes=(), evidence=(), milestones=(s.MINISTERIAL, s.STOCKPILING, s.TH_FULL))


@pytest.mark.parametrize(
    ("state", "empty"),
    [
        (quiet_state(), True),
        (s.with_evidence(quiet_state(), evidence_at(s.END - dt.timedelta(days=1))), False),
        (replace(quiet_state(), changes=s.CHANGES[1:]), False),
        (replace(quiet_state(), milestones=(s.FINANCED,)), False),  # became overdue during the window
        # became due soon (within 30 days) during the window: due 20 Dec, due soon from 20 Nov
        (replace(quiet_state(), milestones=(replace(s.KR_TARIFF, due=dt.date(2026, 12, 20), days_left=28),)), False),
        (replace(quiet_state(), milestones=(s.KR_TARIFF,)), True),  # due soon since 10 Nov, before the window
    ],
    ids=["nothing", "evidence", "change", "newly-overdue", "newly-due-soon", "due-soon-before"],
)
def test_empty_means_nothing_happened_in_the_window(state: s.DigestState, empty: bool) -> None:
    assert digest(state=state).is_empty is empty


def test_failing_sources() -> None:
    feeds = (
        FeedState("a", "A", ("JP",), True, 2, "HTTP 500", None),  # below the threshold
        FeedState("b", "B", (), True, 3, "HTTP 500", None),  # no country: bears on everything
        FeedState("c", "C", ("KR",), True, 7, "HTTP 500", None),
        FeedState("d", "D", ("JP",), False, 7, "HTTP 500", None),  # disabled: not watched
    )
    state = replace(s.STATE, feeds=feeds)
    assert [f.id for f in digest(s.EVERYTHING, state=state).failing_sources] == ["c", "b"]
    assert [f.id for f in digest(s.JAPAN_ONLY, state=state).failing_sources] == ["b"]


def test_same_inputs_same_digest() -> None:
    assert digest() == digest()


# ---------------------------------------------------------------- the delivery planner

NOW = dt.datetime(2026, 11, 22, 8, tzinfo=dt.UTC)
HERE = Here(host="box", pid=100, live_pids={200})


def row(state: str, start: dt.datetime, end: dt.datetime, **claim: object) -> DeliveryRow:
    values: dict[str, object] = dict(
        id=7,
        subscriber_id=1,
        frequency="weekly",
        window_start=start,
        window_end=end,
        state=state,
        message_id="<m@x>",
        attempts=1,
        claimed_at=None,
        claimed_pid=None,
        claimed_host=None,
        sent_at=None,
        error=None,
    )
    values.update(claim)
    return DeliveryRow(**values)  # type: ignore[arg-type]


WEEK = dt.timedelta(days=7)
SENT = row("sent", NOW - 2 * WEEK, NOW - WEEK, sent_at=NOW - WEEK)
RECENT = row("sent", NOW - WEEK - dt.timedelta(days=3), NOW - dt.timedelta(days=3))
FAILED = row("failed", NOW - WEEK, NOW - dt.timedelta(hours=2), error="cannot connect")


def claimed(pid: int | None, host: str | None, ago: dt.timedelta) -> DeliveryRow:
    return row("sending", NOW - WEEK, NOW - ago, claimed_at=NOW - ago, claimed_pid=pid, claimed_host=host)


@pytest.mark.parametrize(
    ("deliveries", "frequency", "here", "expected"),
    [
        (Deliveries(), "weekly", HERE, Send(Window(NOW - WEEK, NOW, first=True), None, None)),
        (Deliveries(), "daily", HERE, Send(Window(NOW - dt.timedelta(days=1), NOW, first=True), None, None)),
        (Deliveries(SENT, None, 7), "weekly", HERE, Send(Window(NOW - WEEK, NOW), None, 7)),
        # late by a day (the daemon was down), still sent; the next run is on schedule again
        (
            Deliveries(replace(SENT, window_end=NOW - WEEK - dt.timedelta(days=1)), None, 7),
            "weekly",
            HERE,
            Send(Window(NOW - WEEK - dt.timedelta(days=1), NOW), None, 7),
        ),
        (Deliveries(RECENT, None, 7), "weekly", HERE, Skip("")),  # a second run 3 days later: not due
        (Deliveries(RECENT, None, 7), "daily", HERE, Send(Window(RECENT.window_end, NOW), None, 7)),
        # failed: the same start, the end moved to now, the row (and its Message-ID) reused
        (Deliveries(SENT, FAILED, 7), "weekly", HERE, Send(Window(FAILED.window_start, NOW), FAILED, None)),
        (Deliveries(None, FAILED, 7), "weekly", HERE, Send(Window(FAILED.window_start, NOW, first=True), FAILED, None)),
    ],
    ids=["first-weekly", "first-daily", "due", "late", "not-due", "daily-due", "retry", "retry-first"],
)
def test_plan(deliveries: Deliveries, frequency: str, here: Here, expected: Send | Skip) -> None:
    got = plan_delivery(deliveries, frequency, NOW, here)
    if isinstance(expected, Skip):
        assert isinstance(got, Skip) and "less than half a week ago" in got.reason
    else:
        assert got == expected


@pytest.mark.parametrize(
    ("claim", "sending", "retried"),
    [
        (claimed(200, "box", dt.timedelta(minutes=5)), (), False),  # its process is alive: it is being sent
        (claimed(300, "box", dt.timedelta(minutes=5)), (), True),  # its process is gone
        (claimed(100, "box", dt.timedelta(minutes=5)), (), True),  # this process's, from an earlier run
        (claimed(100, "box", dt.timedelta(minutes=5)), (7,), False),  # this process is sending it now
        (claimed(300, "other", dt.timedelta(minutes=5)), (), False),  # another host: cannot tell, so wait
        (claimed(300, "other", STALE_CLAIM), (), True),  # ... until the claim is an hour old
        (claimed(None, None, dt.timedelta(minutes=1)), (), True),  # no process recorded to ask
    ],
    ids=["live", "dead", "mine-earlier", "mine-now", "other-host", "other-host-stale", "no-process"],
)
def test_an_interrupted_claim_is_retried(claim: DeliveryRow, sending: tuple[int, ...], retried: bool) -> None:
    got = plan_delivery(Deliveries(SENT, claim, 7), "weekly", NOW, replace(HERE, sending=sending))
    if retried:
        assert got == Send(Window(claim.window_start, NOW), claim, None)
    else:
        assert isinstance(got, Skip) and got.reason.startswith("being sent by process")
