"""The shipped sources against stored copies of what they serve.

Each enabled entry of config/feeds.yaml was checked against a stored copy of its document (or, where said, of a
sibling document of the same site and template); a trimmed copy is kept in tests/data/sources/ with where it came
from. Here each copy is parsed through the real parser with the shipped entry's own type, URL and selectors, and
must give items with titles, absolute links and the document's own dates. An entry enabled without a copy, or
disabled without a reason, fails."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from monitor.definitions.models import FeedIn
from monitor.resources import default_config_dir
from monitor.sources.parse import parse_body
from monitor.sources.select import SelectDef

DATA = Path(__file__).resolve().parent / "data" / "sources"
FETCHED = dt.datetime(2026, 10, 2, 12, tzinfo=dt.UTC)  # after every copy was taken: dates must come from the documents
FEEDS_YAML = default_config_dir() / "feeds.yaml"

# feed id -> (stored copy, the response headers the probe recorded with it, items in the copy)
COPIES: dict[str, tuple[str, dict[str, str], int]] = {
    "wh-presidential-actions": ("wh-presidential-actions.xml", {"Content-Type": "application/rss+xml; charset=UTF-8"}, 2),
    "ustr-press-releases": ("ustr-press-releases.html", {"Content-Type": "text/html; charset=UTF-8"}, 6),
    "fr-presidential-documents": ("fr-presidential-documents.json", {"Content-Type": "application/json; charset=utf-8"}, 3),
}
# enabled feeds checked through a sibling's copy: same site, same template, another category or query
SIBLINGS = {
    "wh-fact-sheets": "wh-presidential-actions",
    "wh-briefings-statements": "wh-presidential-actions",
    "fr-ustr": "fr-presidential-documents",
    "fr-commerce": "fr-presidential-documents",
}
GOOGLE_NEWS = ("google-news-search.xml", {"Content-Type": "application/xml; charset=utf-8"}, 2)


def shipped() -> dict[str, FeedIn]:
    raw = yaml.safe_load(FEEDS_YAML.read_text(encoding="utf-8"))["feeds"]
    return {f["id"]: FeedIn.model_validate(f) for f in raw}


SHIPPED = shipped()


def copy_for(feed_id: str) -> tuple[str, dict[str, str], int]:
    if feed_id in COPIES:
        return COPIES[feed_id]
    if feed_id in SIBLINGS:
        return COPIES[SIBLINGS[feed_id]]
    if SHIPPED[feed_id].url.startswith("https://news.google.com/rss/search?"):
        return GOOGLE_NEWS
    raise KeyError(feed_id)


def select_of(feed: FeedIn) -> SelectDef | None:
    return SelectDef(**feed.select.model_dump()) if feed.select else None


ENABLED = sorted(i for i, f in SHIPPED.items() if f.enabled)


@pytest.mark.parametrize("feed_id", ENABLED)
def test_every_enabled_source_parses_its_stored_copy(feed_id: str) -> None:
    feed = SHIPPED[feed_id]
    name, headers, expected = copy_for(feed_id)
    parsed = parse_body(feed.type, (DATA / name).read_bytes(), headers, feed.url, FETCHED, select_of(feed))
    assert parsed.error is None
    assert len(parsed.items) == expected
    for item in parsed.items:
        assert item.title.strip() and "\ufffd" not in item.title and "â€" not in item.title, item.title
        assert item.link and re.match(r"https://[a-z0-9.-]+\.(gov|com)/", item.link), item.link
        assert item.published_raw, f"{item.link}: no date in the document"
        assert dt.datetime(2026, 1, 1, tzinfo=dt.UTC) < item.published < FETCHED, item.published


def test_the_listing_page_gives_each_row_its_own_link_and_date() -> None:
    """USTR's rows are "2026-09-30 <br><a href=...>Title</a>": the date is the row's own text, links are relative
    (both /about/ and /about-us/ prefixes, and /node/N) and resolve against the page."""
    feed = SHIPPED["ustr-press-releases"]
    name, headers, _ = COPIES["ustr-press-releases"]
    items = parse_body(feed.type, (DATA / name).read_bytes(), headers, feed.url, FETCHED, select_of(feed)).items
    assert [(i.published.date().isoformat(), i.title) for i in items[:2]] == [
        ("2026-09-30", "Ambassador Greer Delivers Opening Remarks at the 2026 G20 Trade Ministerial"),
        ("2026-09-30", "Ambassador Greer Issues Statement Following the Ministerial Meeting of the Global Forum on Steel Excess Capacity"),
    ]
    assert items[4].link == "https://ustr.gov/node/14439"
    assert items[5].title == "Ambassador Greer Issues Statement Welcoming S&P Global’s Release of Critical Minerals Pricing Benchmarks"
    assert "Juárez México" in items[2].title  # decoded as the server's UTF-8, not as Latin-1


def test_the_white_house_feed_keeps_its_stable_ids_and_readable_text() -> None:
    feed = SHIPPED["wh-presidential-actions"]
    name, headers, _ = COPIES["wh-presidential-actions"]
    items = parse_body(feed.type, (DATA / name).read_bytes(), headers, feed.url, FETCHED).items
    assert [i.key for i in items] == ["https://www.whitehouse.gov/?p=51617", "https://www.whitehouse.gov/?p=51615"]
    assert items[0].text.startswith("By the authority vested in me as President")
    assert "<p>" not in items[0].text


def test_every_copy_says_where_it_came_from() -> None:
    for path in sorted(DATA.iterdir()):
        text = path.read_text(encoding="utf-8")
        assert re.search(r"(stored|fetched|Copy of).{0,400}(repository|find_string)", text, re.S), path.name


def test_every_copy_is_used() -> None:
    used = {c[0] for c in COPIES.values()} | {GOOGLE_NEWS[0]}
    assert used == {p.name for p in DATA.iterdir()}


def disabled_lines() -> list[tuple[int, str]]:
    return [(n, line) for n, line in enumerate(FEEDS_YAML.read_text(encoding="utf-8").splitlines(), 1) if re.match(r"\s*enabled:\s*false\b", line)]


def test_a_disabled_source_says_why() -> None:
    lines = disabled_lines()
    assert len(lines) == sum(1 for f in SHIPPED.values() if not f.enabled)
    for n, line in lines:
        reason = line.partition("#")[2].strip()
        assert len(reason) > 20, f"config/feeds.yaml:{n}: a disabled feed needs its reason in a comment"


def test_the_shipped_list_covers_the_partners_officially_or_says_it_cannot() -> None:
    """Every partner government has an official entry (disabled, with its reason) or a comment naming why none
    exists; the US has enabled official sources."""
    text = FEEDS_YAML.read_text(encoding="utf-8")
    official: dict[str, list[Any]] = {}
    for f in SHIPPED.values():
        if f.tier == "official":
            for c in f.countries:
                official.setdefault(c, []).append(f)
    assert any(f.enabled for f in official["US"])
    for country, named in {"TH": "Thailand", "KH": "Cambodia", "CN": "MOFCOM"}.items():
        assert country in official or named in text
    for country in ("JP", "KR", "MY", "VN"):
        assert country in official
