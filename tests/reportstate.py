"""A fixed state for the report's tests: items stored and matched through storage (as a poll stores them, but
without the sources' cleaning, so the report's own escaping is what is tested), reviews, and status changes
recorded on the dates an analyst would have entered them. Today is tests.conftest.TODAY (2026-11-22)."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from pathlib import Path

from monitor import evidence, review, tracking
from monitor.app import App, open_app
from monitor.clock import FixedClock
from monitor.storage import evidence_reads
from monitor.storage.feeds import FeedUpdate, apply_update

NOW = dt.datetime(2026, 11, 22, 12, tzinfo=dt.UTC)

# What a hostile feed can say. The link is stored as given here: the report must not emit it.
SCRIPT_TITLE = '<script>alert("title")</script>US and Japan hold critical minerals ministerial <img src=x onerror=alert(1)>'
SCRIPT_LINK = "javascript:alert(document.domain)"
SCRIPT_TEXT = (
    'Ministers met on mining and minerals. "><svg onload=alert(2)> \x1b[2J and \u202egnp.exe and more metals talk.'
)
FORMULA_TITLE = '=HYPERLINK("https://evil.example/","click") China suspends rare earth export controls'
QUOTE_LINK = 'https://news.example.org/cn?a=1&b="><script>alert(3)</script>'


@dataclass(frozen=True)
class Item:
    key: str
    link: str | None
    title: str
    text: str
    html: str | None
    published: dt.datetime
    published_raw: str | None
    content_hash: str


def item(key: str, title: str, link: str | None, text: str, published: dt.date) -> Item:
    when = dt.datetime.combine(published, dt.time(9, 30), dt.UTC)
    digest = hashlib.sha256(f"{title}\n{text}".encode()).hexdigest()
    return Item(key, link, title, text, None, when, None, digest)


ITEMS = (
    item("cn-1", "China suspends rare earth export controls for one year", "https://wire.example.org/cn-suspends",
         "MOFCOM announced it would suspend the October export control measures on rare earths.", dt.date(2025, 11, 5)),
    item("cn-2", FORMULA_TITLE, QUOTE_LINK, "Beijing suspended the rare earth export controls.", dt.date(2025, 11, 9)),
    item("th-1", "Trump suspends trade talks with Thailand", "https://news.example.org/thai",
         "Washington paused negotiations on the reciprocal trade agreement.", dt.date(2026, 1, 19)),
    item("jp-1", SCRIPT_TITLE, SCRIPT_LINK, SCRIPT_TEXT, dt.date(2026, 3, 10)),
    item("jp-2", "US and Japan hold critical minerals ministerial in Tokyo", "https://news.example.org/jp-ministerial",
         "The ministerial on mining, minerals and metals investment was held in Tokyo.", dt.date(2026, 3, 18)),
    item("th-2", "Thailand trade talks with US stall again", "https://news.example.org/thai-2",
         "Negotiations on the reciprocal trade agreement stalled.", dt.date(2026, 11, 18)),
)


@dataclass(frozen=True)
class Change:
    at: dt.datetime  # when it was recorded
    milestone: str
    status: str
    on: dt.date
    evidence: str | None = None
    note: str | None = None


def at(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(15), dt.UTC)


CHANGES = (
    Change(at(dt.date(2025, 11, 12)), "cn-rare-earth-controls", "complete", dt.date(2025, 11, 10),
           "https://www.mofcom.gov.cn/announcement-70-2025"),
    Change(at(dt.date(2026, 1, 20)), "th-full-agreement", "stalled", dt.date(2026, 1, 19), None,
           'talks paused <b>after</b> the border clashes & "more"'),
    Change(at(dt.date(2026, 2, 1)), "jp-minerals-ministerial", "in_progress", dt.date(2026, 2, 1)),
    Change(at(dt.date(2026, 2, 11)), "vn-full-agreement", "complete", dt.date(2026, 2, 10),
           "https://ustr.example.gov/vietnam-agreement"),
    Change(at(dt.date(2026, 2, 20)), "my-notifications", "in_progress", dt.date(2026, 2, 20)),
    # entered a week late, dated when it happened: the trend counts it from 2026-03-18
    Change(at(dt.date(2026, 3, 25)), "jp-minerals-ministerial", "complete", dt.date(2026, 3, 18),
           "https://news.example.org/jp-ministerial"),
    Change(at(dt.date(2026, 7, 1)), "kr-fund-payments", "missed", dt.date(2026, 6, 30), None, "no legislation passed"),
)


# What the same feeds would say on a quiet day: for the README's screenshot (docs/screenshot.py).
BENIGN = {
    "cn-2": item("cn-2", "Beijing confirms one-year suspension of rare earth export controls",
                 "https://news.example.org/cn-confirms", "Beijing suspended the rare earth export controls.",
                 dt.date(2025, 11, 9)),
    "jp-1": item("jp-1", "Japan and US set date for critical minerals ministerial",
                 "https://news.example.org/jp-date", "Ministers will meet on mining and minerals investment.",
                 dt.date(2026, 3, 10)),
}


def build(home: Path, hostile: bool = True) -> None:
    """Store the items, match them, dismiss one piece of evidence, confirm another, record the changes.
    `hostile=False` tells the same story without the hostile titles and links."""
    items = ITEMS if hostile else tuple(BENIGN.get(i.key, i) for i in ITEMS)
    app: App = open_app(home, FixedClock(dt.datetime(2025, 11, 10, tzinfo=dt.UTC)))
    try:
        for day, batch in ((dt.date(2025, 11, 10), items[:2]), (dt.date(2026, 11, 20), items[2:])):
            app.clock = FixedClock(at(day))
            apply_update(
                app.db,
                FeedUpdate("wh-fact-sheets", at(day), True, 200, None, None, None, None, None, batch),
            )
            evidence.match_pending(app)
        found = {m.item_title: m for m in evidence_reads.matches(app.db)}
        app.clock = FixedClock(at(dt.date(2026, 11, 21)))
        review.review(app, found["Thailand trade talks with US stall again"].id, "dismiss", by="analyst")
        review.review(app, found["Trump suspends trade talks with Thailand"].id, "confirm", by="analyst")
        for c in CHANGES:
            app.clock = FixedClock(c.at)
            tracking.set_status(app, c.milestone, c.status, on=c.on, evidence_url=c.evidence, note=c.note,
                                by="analyst <a@example.org>")
    finally:
        app.close()
