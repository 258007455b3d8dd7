"""Rendering digests: the plain text of a fixed state against a golden file, hostile feed text in both parts and in
the headers, a home's templates overriding the shipped ones, and the HTML in headless Chromium at phone and desktop
widths. No database or SMTP server: the state is tests/digest_sample.py."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import os
import shutil
import struct
import subprocess
import zlib
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path

import pytest

from monitor.digest.content import Recipient, RecordedEvidence, build_digest
from monitor.digest.message import build_message, list_unsubscribe
from monitor.digest.render import RenderedDigest, render
from monitor.errors import ConfigError
from monitor.resources import default_templates_dir
from monitor.views import HistoryRow, Source
from tests import digest_sample as s
from tests.conftest import REPO

GOLDEN = REPO / "tests" / "data" / "digest" / "weekly.txt"
SHIPPED = default_templates_dir()


def rendered(recipient: Recipient = s.EVERYTHING, state: s.DigestState = s.STATE, home: Path | None = None):  # noqa: ANN201
    return render(build_digest(recipient, s.WINDOW, state, s.OPTIONS), home, SHIPPED)


def test_plain_text_matches_the_golden_file() -> None:
    """The whole plain-text part of a fixed state. After a deliberate change of the template, rewrite the file with
    UPDATE_GOLDEN=1 and read the diff."""
    text = rendered().text
    if os.environ.get("UPDATE_GOLDEN"):
        GOLDEN.write_text(text, encoding="utf-8")
    assert text == GOLDEN.read_text(encoding="utf-8")


def test_subject_and_both_parts_say_the_same() -> None:
    r = rendered()
    assert r.subject == "Weekly digest, 22 Nov 2026: 2 status changes, 2 new pieces of evidence, 1 now overdue"
    for needle in (
        "Japan and US ministers meet in Tokyo",
        "210 days overdue",
        "18 days left",
        "Korea.net",
        "https://monitor.example.org/status/milestones/kr-tariff-15.html",
        "https://monitor.example.org/status/index.html",
        "https://www.whitehouse.gov/fact-sheets/2026/11/us-japan-ministerial/",
    ):
        assert needle in r.text and needle in r.html, needle
    empty = rendered(state=replace(s.STATE, changes=(), evidence=(), milestones=(s.STOCKPILING,)))
    assert empty.subject == "Weekly digest, 22 Nov 2026: nothing new"
    assert "Nothing new since 15 Nov 2026" in empty.text


# ---------------------------------------------------------------- hostile feed text

SCRIPT = '<script>alert("digest")</script>Japan ministerial'
ONERROR = '<img src=x onerror="alert(1)"> minerals " onmouseover="alert(2)'
HEADERS = "Japan deal\r\nBcc: evil@example.net\r\nSubject: injected\r\n\r\n<b>fake body</b>"
LONG = "A" * 5000
BIDI = "price \u202efloor\u202c agreed \x1b[31mred\x1b[0m"


def hostile_state() -> s.DigestState:
    def ev(i: int, title: str, url: str | None, snippet: str, feed: str = "meti-news") -> RecordedEvidence:
        m = s.match(
            i,
            "jp-minerals-ministerial",
            title,
            url,
            s.END - dt.timedelta(hours=i),
            feed,
            snippet=snippet,
            also=(Source("evil-feed", "javascript:alert(3)", HEADERS),),
        )
        return RecordedEvidence(s.END - dt.timedelta(hours=i), m)

    evidence = (
        ev(1, SCRIPT, 'https://news.example.org/a?x="><script>alert(4)</script>', ONERROR),
        ev(2, ONERROR, "javascript:alert(5)", SCRIPT),
        ev(3, HEADERS, "https://news.example.org/c", HEADERS),
        ev(4, LONG, "https://news.example.org/" + "b" * 3000, LONG),
        ev(5, BIDI, None, BIDI),
    )
    change = HistoryRow(
        "jp-minerals-ministerial",
        "pending",
        "stalled",
        dt.date(2026, 11, 20),
        s.END,
        "ana",
        HEADERS,
        "https://news.example.org/c",
        None,
        "change",
        None,
        1,
    )
    return replace(
        s.STATE,
        evidence=evidence,
        changes=(change,),
        feed_titles={**s.STATE.feed_titles, "evil-feed": HEADERS, "meti-news": SCRIPT},
    )


class Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attributes: list[tuple[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attributes.extend(attrs)


def test_hostile_text_renders_as_text_and_adds_no_header_or_recipient() -> None:
    recipient = Recipient("ana@example.org", "Ana\r\nBcc: evil@example.net", "weekly", token="tok")
    digest = build_digest(recipient, s.WINDOW, hostile_state(), s.OPTIONS)
    r = render(digest, None, SHIPPED)
    message = build_message(
        r,
        from_setting="Implementation Monitor <monitor@example.org>",
        to_email="ana@example.org",
        to_name=recipient.name,
        message_id="<m1@example.org>",
        date=s.END,
        unsubscribe=list_unsubscribe("monitor@example.org", "tok", digest.unsubscribe_url),
    )
    parsed = email.message_from_bytes(bytes(message), policy=email.policy.default)
    assert sorted(parsed.keys()) == sorted(
        [
            "From",
            "To",
            "Subject",
            "Date",
            "Message-ID",
            "List-Unsubscribe",
            "Auto-Submitted",
            "MIME-Version",
            "Content-Type",
        ]
    )
    assert parsed["To"].addresses[0].addr_spec == "ana@example.org" and len(parsed["To"].addresses) == 1
    assert parsed.get_content_type() == "multipart/alternative"
    text = parsed.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    html = parsed.get_body(("html",)).get_content()  # type: ignore[union-attr]

    # plain text: every value on its own line, no control characters, nothing that starts a header-like line
    assert not any(line.startswith(("Bcc:", "Subject:")) for line in text.splitlines())
    assert "\r" not in text and "\x1b" not in text and "\u202e" not in text
    assert "Japan deal Bcc: evil@example.net Subject: injected <b>fake body</b>" in text
    # lines are wrapped at 76; a URL is never broken, so a line may be longer when it ends with one
    long_lines = [line for line in text.splitlines() if len(line) > 78 and not line.split()[-1].startswith("https://")]
    assert long_lines == []
    assert LONG not in text and "A" * 299 + "…" not in text  # clipped at 300 characters, then wrapped
    assert "javascript:" not in text

    # HTML: markup from feeds is text; no script, no event handler, only http(s) and mailto links
    tags = Tags()
    tags.feed(html)
    assert "script" not in tags.tags and "img" not in tags.tags and "b" not in tags.tags
    assert [name for name, _ in tags.attributes if name.startswith("on")] == []
    hrefs = [v or "" for name, v in tags.attributes if name == "href"]
    assert hrefs and all(h.startswith(("https://", "http://", "mailto:")) for h in hrefs), hrefs
    assert "&lt;script&gt;alert(&#34;digest&#34;)&lt;/script&gt;" in html or "&lt;script&gt;" in html
    assert "Bcc: evil@example.net" in html  # shown as text, on one line
    assert LONG not in html and "\u202e" not in html and "\x1b" not in html
    assert "overflow-wrap: anywhere" in html  # long unbroken strings wrap in the reader's window


def test_a_homes_template_overrides_the_shipped_one(tmp_path: Path) -> None:
    (tmp_path / "digest").mkdir()
    (tmp_path / "digest" / "subject.txt").write_text("Our own digest: {{ counts.evidence }} new {{ digest.frequency }}")
    r = rendered(home=tmp_path)
    assert r.subject == "Our own digest: 2 new weekly"
    assert r.text == rendered().text  # the other templates are still the shipped ones
    (tmp_path / "digest" / "digest.txt").write_text("{{ digest.no_such_thing }}")
    with pytest.raises(ConfigError, match=r"templates/digest/digest.txt: .*no_such_thing"):
        rendered(home=tmp_path)
    (tmp_path / "digest" / "digest.txt").write_text("{% if %}")
    with pytest.raises(ConfigError, match=r"templates/digest/digest.txt: line 1: template syntax error"):
        rendered(home=tmp_path)


# ---------------------------------------------------------------- as a reader sees it

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def png_facts(path: Path) -> tuple[int, int, int]:
    """(width, height, distinct byte values of the first rows): a blank page has one or two."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    width, height = struct.unpack(">II", data[16:24])
    chunks, pos = b"", 8
    while pos < len(data):
        length = struct.unpack(">I", data[pos : pos + 4])[0]
        kind = data[pos + 4 : pos + 8]
        if kind == b"IDAT":
            chunks += data[pos + 8 : pos + 8 + length]
        pos += 12 + length
    pixels = zlib.decompressobj().decompress(chunks, 4 * width * 400)
    return width, height, len(set(pixels))


@pytest.mark.skipif(CHROMIUM is None, reason="headless Chromium is not installed (apt-get install chromium)")
def test_the_html_reads_at_phone_and_desktop_widths(tmp_path: Path) -> None:
    """Renders the sample digest in headless Chromium at 390 px (a phone) and 1200 px (a desktop) to PNGs in
    tmp_path, and checks that the page loaded (its DOM has the digest) and that the pictures are not blank. To look
    at them: KEEP_SCREENSHOTS=DIR."""
    page = tmp_path / "digest.html"
    page.write_text(rendered().html, encoding="utf-8")
    keep = os.environ.get("KEEP_SCREENSHOTS")
    for width in (390, 1200):
        png = tmp_path / f"digest-{width}.png"
        done = subprocess.run(
            [
                str(CHROMIUM),
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                f"--user-data-dir={tmp_path / f'profile-{width}'}",
                "--hide-scrollbars",
                f"--window-size={width},2400",
                f"--screenshot={png}",
                "--dump-dom",
                page.as_uri(),
            ],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr[-2000:]
        assert "Weekly digest" in done.stdout and "Japan and US ministers meet in Tokyo" in done.stdout
        w, h, colours = png_facts(png)
        assert (w, h) == (width, 2400)
        assert colours > 20, "the screenshot is blank"
        if keep:
            Path(keep).mkdir(parents=True, exist_ok=True)
            shutil.copy(png, Path(keep) / png.name)


def test_rendering_is_a_value() -> None:
    assert isinstance(rendered(), RenderedDigest) and rendered() == rendered()
