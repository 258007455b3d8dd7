"""Pure item rules: ids, links, times, sanitising. No fixtures."""

from __future__ import annotations

import datetime as dt

import pytest

from monitor.sources.items import make_item, published_time, resolve_link
from monitor.sources.parse import parse_body

NOW = dt.datetime(2026, 11, 22, 12, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    "parsed,expected",
    [
        (None, NOW),
        (dt.datetime(2026, 3, 1, 9, tzinfo=dt.UTC), dt.datetime(2026, 3, 1, 9, tzinfo=dt.UTC)),
        (
            dt.datetime(2026, 3, 1, 18, tzinfo=dt.timezone(dt.timedelta(hours=9))),
            dt.datetime(2026, 3, 1, 9, tzinfo=dt.UTC),
        ),
        (dt.datetime(1970, 1, 1, tzinfo=dt.UTC), NOW),  # absurd: before 1990
        (dt.datetime(2099, 1, 1, tzinfo=dt.UTC), NOW),  # absurd: in the future
        (dt.datetime(2026, 3, 1, 9), dt.datetime(2026, 3, 1, 9, tzinfo=dt.UTC)),  # naive is UTC
    ],
)
def test_published_time(parsed: dt.datetime | None, expected: dt.datetime) -> None:
    assert published_time(parsed, NOW) == expected


@pytest.mark.parametrize(
    "link,expected",
    [
        ("/news/1", "https://example.org/news/1"),
        ("https://other.org/x", "https://other.org/x"),
        ("javascript:alert(1)", None),
        ("  ", None),
        (None, None),
    ],
)
def test_resolve_link(link: str | None, expected: str | None) -> None:
    assert resolve_link(link, "https://example.org/feed.xml") == expected


def test_item_key_fallbacks_and_sanitising() -> None:
    common = dict(
        body_html='<p onclick="x()">Hi <script>alert(1)</script><b>there</b>\x00</p>',
        published=None,
        published_raw="garbage",
        fetched_at=NOW,
        base_url="https://example.org/",
    )
    with_guid = make_item(guid="g-1", link="/a", title="T", **common)  # type: ignore[arg-type]
    no_guid = make_item(guid=None, link="/a", title="T", **common)  # type: ignore[arg-type]
    nothing = make_item(guid=None, link=None, title="Only a title", **common)  # type: ignore[arg-type]
    assert with_guid and no_guid and nothing
    assert with_guid.key == "g-1" and no_guid.key == "https://example.org/a"
    assert len(nothing.key) == 64
    assert with_guid.html == "<p>Hi <b>there</b></p>"
    assert with_guid.text == "Hi there"
    assert with_guid.published == NOW and with_guid.published_raw == "garbage"


@pytest.mark.parametrize(
    "body,headers,error",
    [
        (b"", {}, "empty body"),
        (b"   \n", {}, "empty body"),
        (b"<html><body>Access denied</body></html>", {"content-type": "text/html"}, "not a feed (text/html)"),
        (
            b'{"version": "https://jsonfeed.org/version/1"}',
            {"content-type": "application/json"},
            "not a feed (application/json)",
        ),
    ],
)
def test_not_a_feed(body: bytes, headers: dict[str, str], error: str) -> None:
    assert parse_body("rss", body, headers, "https://example.org/feed", NOW).error == error


def test_duplicate_guids_kept_once() -> None:
    body = b"""<rss version="2.0"><channel><title>t</title>
    <item><guid>same</guid><title>first</title></item><item><guid>same</guid><title>second</title></item>
    </channel></rss>"""
    parsed = parse_body("rss", body, {}, "https://example.org/feed", NOW)
    assert [i.title for i in parsed.items] == ["first"]


@pytest.mark.parametrize("coding", ["gzip", "deflate", "deflate-raw", "br", ""])
def test_inflater_round_trip_and_cap(coding: str) -> None:
    import gzip
    import zlib

    import brotli

    from monitor.sources.fetch import Inflater, _Failed

    data = b"<rss>" + b"minerals " * 20_000 + b"</rss>"
    packed = {
        "gzip": gzip.compress,
        "deflate": zlib.compress,
        "br": brotli.compress,
        "": lambda d: d,
        "deflate-raw": lambda d: zlib.compress(d)[2:-4],
    }[coding](data)
    header = "deflate" if coding == "deflate-raw" else coding

    def run(limit: int) -> bytes:
        inf = Inflater(header, limit)
        return b"".join(inf.feed(packed[i : i + 4096]) for i in range(0, len(packed), 4096)) + inf.flush()

    assert run(len(data)) == data
    with pytest.raises(_Failed, match="body over"):
        run(len(data) - 1)


def test_inflater_rejects_garbage_and_unknown_codings() -> None:
    from monitor.sources.fetch import Inflater, _Failed

    with pytest.raises(_Failed, match="cannot decode the gzip body"):
        Inflater("gzip", 10_000).feed(b"this is not gzip at all")
    with pytest.raises(_Failed, match="unsupported Content-Encoding: zstd"):
        Inflater("zstd", 10_000)
