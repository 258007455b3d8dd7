"""The published report, the exports and the change feed, rendered from a fixed state (tests/reportstate.py) on a
real database; the pure parts (charts, text, cells) as tables of cases. The browser checks are in
test_report_browser.py."""

from __future__ import annotations

import base64
import csv
import datetime as dt
import hashlib
import io
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import feedparser
import icalendar
import pytest

from monitor.definitions import AgreementDef, DueRule, MilestoneDef
from monitor.report import charts, content, exports
from monitor.report.state import ReportState, trend_window, week_start
from monitor.report.text import safe_url, shorten, shown
from monitor.views import HistoryRow, MilestoneView
from tests.conftest import HomeDir
from tests.reportstate import FORMULA_TITLE, build

ALL_FILES = {"index.html", "changes.xml", "calendar.ics", "milestones.csv", "milestones.json"}
SPEC_KEYS = {"id", "agreement", "title", "status", "due", "deadline_state", "completed_on", "evidence_url"}


@pytest.fixture
def fixed(home: HomeDir) -> HomeDir:
    build(home.path)
    return home


def report(home: HomeDir, out: Path, **env: str) -> str:
    r = home.cli("report", "--out", str(out), **env)
    assert r.exit_code == 0, r.stderr
    return r.stdout


class Tags(HTMLParser):
    """Every start tag with its attributes, and the text of <script> and <style>."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.inline: dict[str, list[str]] = {"script": [], "style": []}
        self._in: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._in = tag if tag in self.inline else None

    def handle_endtag(self, tag: str) -> None:
        self._in = None

    def handle_data(self, data: str) -> None:
        if self._in:
            self.inline[self._in].append(data)


def parsed(path: Path) -> Tags:
    p = Tags()
    p.feed(path.read_text(encoding="utf-8"))
    return p


def sha(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


# ---------------------------------------------------------------- the site


def test_the_site_from_a_fixed_state(fixed: HomeDir, tmp_path: Path) -> None:
    out = tmp_path / "site"
    said = report(fixed, out)
    ids = [m["id"] for m in fixed.json("milestones")]  # type: ignore[index, union-attr]
    pages = len(ids)
    assert said.startswith(f"wrote {pages + 5} files to {out}: index.html, {pages} milestone pages, changes.xml (7 changes)")
    names = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    assert names == ALL_FILES | {f"milestones/{i}.html" for i in ids} | {".monitor-report"}

    index = (out / "index.html").read_text(encoding="utf-8")
    for i in ids:
        assert f'href="milestones/{i}.html"' in index
    assert "208 days overdue" in index and "326 days overdue" in index  # wording.days_phrase
    assert "overdue (soft)" in index and "waiting" in index and "for my-notifications" in index
    # the newest evidence not dismissed, with its link; the dismissed story is nowhere
    assert 'href="https://news.example.org/jp-ministerial"' in index
    assert "Thailand trade talks with US stall again" not in index
    assert "Trump suspends trade talks with Thailand" in index

    # self-contained: no external script, style, font or image; every link relative or http(s); a CSP that
    # allows exactly the inline stylesheet and script
    for page in [out / "index.html", *sorted((out / "milestones").glob("*.html"))]:
        tags = parsed(page)
        for tag, attrs in tags.tags:
            assert tag not in ("img", "iframe", "object", "embed", "base"), (page, tag)
            assert "src" not in attrs and "style" not in attrs, (page, tag, attrs)
            assert not any(k.startswith("on") for k in attrs), (page, tag, attrs)
            if tag == "link":
                assert attrs["href"] in ("data:,", "changes.xml", "../changes.xml"), attrs
            href = attrs.get("href")
            if tag == "a" and href:
                assert re.match(r"^(https?://|[a-z0-9#.][^:]*$)", href), (page, href)
        csp = next(a["content"] for t, a in tags.tags if t == "meta" and a.get("http-equiv") == "Content-Security-Policy")
        assert csp is not None and csp.startswith("default-src 'none'; ")
        assert f"script-src {sha(''.join(tags.inline['script']))}" in csp if tags.inline["script"] else True
        assert f"style-src {sha(''.join(tags.inline['style']))}" in csp

    page = (out / "milestones" / "jp-minerals-ministerial.html").read_text(encoding="utf-8")
    assert "signing + 180 days" in page and "in progress → <strong>complete</strong>" in page
    assert "2026-03-25 15:00 UTC" in page  # when the backdated completion was recorded
    assert "Complete on the day the US and Japan hold the bilateral ministerial" in page  # the definition
    assert "2 pieces of evidence found" in page

    # the same run again writes the same bytes (the clock is pinned), and finds nothing to remove
    before = {n: (out / n).read_bytes() for n in names}
    report(fixed, out)
    assert {n: (out / n).read_bytes() for n in names} == before


def test_anything_from_a_feed_is_escaped_and_no_javascript_link_is_emitted(fixed: HomeDir, tmp_path: Path) -> None:
    out = tmp_path / "site"
    report(fixed, out)
    fixed.cli("export", "--format", "json", "--out", str(tmp_path / "m.json"))
    texts = {p.name: p.read_text(encoding="utf-8") for p in [*out.rglob("*.*"), tmp_path / "m.json"]}
    for name, text in texts.items():
        assert "javascript:" not in text.lower(), name
        if name.endswith((".html", ".xml")):  # markup; CSV and JSON are data, where a title is what it says
            assert "<script>alert" not in text and "<img src=x" not in text and "<svg onload" not in text, name
        assert "\x1b" not in text and "\u202e" not in text, name
    page = texts["jp-minerals-ministerial.html"]
    assert "&lt;script&gt;alert(&#34;title&#34;)&lt;/script&gt;US and Japan" in page
    assert "&#34;&gt;&lt;svg onload=alert(2)&gt; \\x1b[2J and \\u202egnp.exe" in page  # the snippet, as text
    assert re.search(r"<h3>&lt;script&gt;[^<]*</h3>", page)  # a javascript: link is shown as no link at all
    # a link with quotes and brackets is percent-encoded, as a browser would before following it
    index = texts["index.html"]
    assert 'href="https://news.example.org/cn?a=1&amp;b=%22%3E%3Cscript%3Ealert(3)%3C/script%3E"' in index
    assert '"last_evidence_url": "https://news.example.org/cn?a=1&b=%22%3E%3Cscript%3Ealert(3)%3C/script%3E"' in (
        texts["m.json"]
    )
    # notes and names from the command line are text too
    th = texts["th-full-agreement.html"]
    assert "talks paused &lt;b&gt;after&lt;/b&gt; the border clashes &amp; &#34;more&#34;" in th
    assert "analyst &lt;a@example.org&gt;" in th


def test_stale_pages_go_and_nothing_else_is_touched(fixed: HomeDir, tmp_path: Path) -> None:
    out = tmp_path / "site"
    report(fixed, out)
    (out / "notes.txt").write_text("mine")
    (out / "milestones" / "hand-written.html").write_text("mine")
    text = fixed.milestones_yaml.read_text()
    start = text.index("  - id: kh-entry-into-force")
    end = text.index("  - id: cn-rare-earth-controls")
    fixed.milestones_yaml.write_text(text[:start] + text[end:])
    said = report(fixed, out)
    assert "removed milestones/kh-entry-into-force.html (no longer tracked)" in said
    assert not (out / "milestones" / "kh-entry-into-force.html").exists()
    assert (out / "notes.txt").read_text() == "mine" and (out / "milestones" / "hand-written.html").exists()
    assert not [p for p in out.iterdir() if p.name.startswith(".monitor-report-")]  # no staging folder left


def test_published_files_are_readable_by_the_web_server(fixed: HomeDir, tmp_path: Path) -> None:
    """A web server runs as another user: files get 0666 less the umask, as a plain open() gives, never the
    0600 of a temporary file."""
    import os
    import stat

    old = os.umask(0o022)
    try:
        report(fixed, tmp_path / "site")
        fixed.cli("export", "--format", "ics", "--out", str(tmp_path / "d.ics"))
    finally:
        os.umask(old)
    for p in [*(tmp_path / "site").rglob("*"), tmp_path / "d.ics"]:
        assert stat.S_IMODE(p.stat().st_mode) == (0o755 if p.is_dir() else 0o644), p


def test_report_out_from_config_and_errors(fixed: HomeDir, tmp_path: Path) -> None:
    r = fixed.cli("report")
    assert r.exit_code == 2 and "report.out is not set" in r.stderr
    r = fixed.cli("report", "--out", str(tmp_path / "given"), MONITOR_REPORT__OUT="public")
    assert r.exit_code == 0 and (tmp_path / "given" / "index.html").is_file()  # --out wins
    r = fixed.cli("report", MONITOR_REPORT__OUT="public")
    assert r.exit_code == 0, r.stderr
    assert (fixed.path / "public" / "index.html").is_file()  # relative to the home
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    r = fixed.cli("report", "--out", str(blocker / "site"))
    assert r.exit_code == 1 and r.stderr.startswith(f"error: cannot write the report to {blocker / 'site'}")
    broken = fixed.path / "templates" / "report"
    broken.mkdir(parents=True)
    (broken / "index.html").write_text("{% if %}")
    r = fixed.cli("report", "--out", str(tmp_path / "x"))
    assert r.exit_code == 2 and "index.html: line 1: template syntax error" in r.stderr
    (broken / "index.html").write_text("{{ no_such_thing }}")
    r = fixed.cli("report", "--out", str(tmp_path / "x"))
    assert r.exit_code == 2 and "'no_such_thing' is undefined" in r.stderr


# ---------------------------------------------------------------- exports


def test_csv_and_json_exports(fixed: HomeDir, tmp_path: Path) -> None:
    r = fixed.cli("export", "--format", "csv")
    assert r.exit_code == 0, r.stderr
    rows = list(csv.DictReader(io.StringIO(r.stdout, newline="")))
    assert len(rows) == len(fixed.json("milestones")) and r.stdout.startswith("id,agreement,agreement_title,title,status,")  # type: ignore[arg-type]
    by_id = {row["id"]: row for row in rows}
    assert SPEC_KEYS | {"agreement_title", "countries", "last_evidence", "last_evidence_title"} <= set(rows[0])
    cn = by_id["cn-rare-earth-controls"]
    assert cn["last_evidence_title"] == "'" + FORMULA_TITLE  # shown as text by spreadsheets, never a formula
    assert cn["countries"] == "US CN" and cn["status"] == "complete" and cn["completed_on"] == "2025-11-10"
    assert by_id["jp-projects-financed"]["days_left"] == "-208"  # a number stays a number
    assert by_id["jp-minerals-ministerial"]["last_evidence_url"] == "https://news.example.org/jp-ministerial"
    # the newest evidence not dismissed: the confirmed story, not the newer one a reviewer dismissed
    assert by_id["th-full-agreement"]["last_evidence_title"] == "Trump suspends trade talks with Thailand"
    for row in rows:
        assert not any(v.startswith(("=", "+", "-", "@")) for k, v in row.items() if k != "days_left")

    docs = json.loads(fixed.cli("export", "--format", "json").stdout)
    assert [d["id"] for d in docs] == [row["id"] for row in rows]
    listed = fixed.json("milestones")
    assert all(set(d) >= SPEC_KEYS for d in docs)
    by_id = {m["id"]: m for m in listed}  # type: ignore[index, union-attr]
    assert set(by_id) == {d["id"] for d in docs}
    for d in docs:
        m = by_id[d["id"]]
        assert {k: d[k] for k in m} == m  # the `milestones --json` record, with more keys
    cn_doc = next(d for d in docs if d["id"] == "cn-rare-earth-controls")
    assert cn_doc["last_evidence_title"] == FORMULA_TITLE  # JSON keeps the value exactly
    assert cn_doc["agreement_title"] == "United States–China trade truce (Busan)" and cn_doc["countries"] == ["US", "CN"]
    jp = next(d for d in docs if d["id"] == "jp-minerals-ministerial")
    assert jp["last_evidence_title"] == "US and Japan hold critical minerals ministerial in Tokyo"

    target = tmp_path / "out" / "m.csv"
    r = fixed.cli("export", "--format", "csv", "--out", str(target))
    assert r.exit_code == 0 and r.stdout == f"wrote {target}\n"
    assert target.read_bytes().startswith(b"id,agreement,") and b"\r\n" in target.read_bytes()  # RFC 4180 line ends
    assert target.read_bytes().decode().replace("\r\n", "\n") == fixed.cli("export", "--format", "csv").stdout
    r = fixed.cli("export", "--format", "xlsx")
    assert r.exit_code == 2 and r.stderr == "error: --format: unknown format 'xlsx' (one of: csv, json, ics)\n"


def events(data: str | bytes) -> dict[str, icalendar.Event]:
    cal = icalendar.Calendar.from_ical(data)
    return {str(e["uid"]): e for e in cal.walk("VEVENT")}


def test_the_calendar_has_stable_uids_and_updates_on_reimport(fixed: HomeDir) -> None:
    first = events(fixed.cli("export", "--format", "ics").stdout)
    assert set(first) == {
        "jp-minerals-ministerial@monitor",
        "jp-rapid-response-group@monitor",
        "jp-projects-financed@monitor",
        "th-full-agreement@monitor",
        "vn-full-agreement@monitor",
        "cn-pause-end@monitor",
    }
    jp = first["jp-projects-financed@monitor"]
    assert jp.decoded("dtstart") == dt.date(2026, 4, 28) and jp.decoded("dtend") == dt.date(2026, 4, 29)
    assert str(jp["summary"]).endswith("[overdue]")
    assert jp.decoded("dtstamp") == dt.datetime(2026, 11, 22, 12, tzinfo=dt.UTC)  # the app clock
    done = first["jp-minerals-ministerial@monitor"]
    assert str(done["summary"]).endswith("[complete on 2026-03-18, met]")
    assert "Evidence: https://news.example.org/jp-ministerial" in str(done["description"])
    assert str(first["th-full-agreement@monitor"]["summary"]).endswith("[overdue (soft), stalled]")

    # later, my-notifications completes: my-entry-into-force gets its due date (a new event), the others keep
    # their UIDs; an event whose milestone changed has a higher SEQUENCE, so clients replace it
    r = fixed.cli("complete", "my-notifications", "--on", "2026-11-20", MONITOR_NOW="2026-11-23T09:00:00+00:00")
    assert r.exit_code == 0, r.stderr
    fixed.cli("status", "jp-projects-financed", "in_progress", MONITOR_NOW="2026-11-23T10:00:00+00:00")
    second = events(fixed.cli("export", "--format", "ics", MONITOR_NOW="2026-11-24T08:00:00+00:00").stdout)
    assert set(second) == set(first) | {"my-entry-into-force@monitor"}
    assert second["my-entry-into-force@monitor"].decoded("dtstart") == dt.date(2027, 1, 19)
    assert int(second["my-entry-into-force@monitor"]["sequence"]) == 2  # its upstream's two changes
    assert int(second["jp-projects-financed@monitor"]["sequence"]) == int(jp["sequence"]) + 1
    assert str(second["jp-projects-financed@monitor"]["summary"]).endswith("[overdue, in progress]")
    for uid in first:
        assert int(second[uid]["sequence"]) >= int(first[uid]["sequence"])
        assert second[uid].decoded("dtstamp") > first[uid].decoded("dtstamp")


# ---------------------------------------------------------------- the change feed


def test_the_change_feed_is_valid_atom(fixed: HomeDir, tmp_path: Path) -> None:
    out = tmp_path / "site"
    report(fixed, out)
    body = (out / "changes.xml").read_bytes()
    feed = feedparser.parse(body)
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.version == "atom10"
    assert feed.feed.id == "tag:monitor,2025:changes" and feed.feed.title and feed.feed.author
    assert feed.feed.updated == "2026-07-01T15:00:00Z"  # the newest change
    entries = feed.entries
    assert len(entries) == 7
    updated = [e.updated for e in entries]
    assert updated == sorted(updated, reverse=True)  # newest first
    first = entries[0]
    newest = fixed.json("history")[0]  # type: ignore[index]
    assert first.id == f"tag:monitor,2025:kr-fund-payments/change/{newest['id']}"  # type: ignore[index]
    assert len({e.id for e in entries}) == len(entries)  # one id per history row
    assert first.title.endswith(": pending → missed") and first.author == "analyst <a@example.org>"
    assert first.link == "milestones/kr-fund-payments.html"
    assert all(e.id.startswith("tag:monitor,2025:") and e.title and e.updated and e.link for e in entries)
    assert all((out / e.link).is_file() for e in entries)
    jp = next(e for e in entries if e.id.startswith("tag:monitor,2025:jp-minerals-ministerial/change/"))
    assert {link.href for link in jp.links} == {"milestones/jp-minerals-ministerial.html",
                                                "https://news.example.org/jp-ministerial"}

    # with the report's address configured, links are absolute; ids do not change
    report(fixed, out, MONITOR_DIGEST__BASE_URL="https://reports.example.org/monitor/")
    again = feedparser.parse((out / "changes.xml").read_bytes())
    assert not again.bozo
    assert [e.id for e in again.entries] == [e.id for e in entries]
    assert again.entries[0].link == "https://reports.example.org/monitor/milestones/kr-fund-payments.html"
    index = (out / "index.html").read_text(encoding="utf-8")
    assert 'href="webcal://reports.example.org/monitor/calendar.ics"' in index
    ics = events((out / "calendar.ics").read_bytes())
    assert str(ics["jp-projects-financed@monitor"]["url"]) == (
        "https://reports.example.org/monitor/milestones/jp-projects-financed.html"
    )


# ---------------------------------------------------------------- pure parts

SIGNED = dt.date(2025, 10, 28)
A = AgreementDef("a", "Agreement A", "framework", ("US", "JP"), SIGNED, False)
M1 = MilestoneDef("m1", "a", "First", "", DueRule("after", after="signed", days=100), None)
M2 = MilestoneDef("m2", "a", "Second", "", DueRule("after", after="m1", days=30), None)


def change(m: str, to: str, on: dt.date, recorded: dt.date, before: str = "pending") -> HistoryRow:
    when = dt.datetime.combine(recorded, dt.time(12), dt.UTC)
    return HistoryRow(m, before, to, on, when, "x", None, None, None, "change", None, 0)


def pure_state(history: tuple[HistoryRow, ...], today: dt.date) -> ReportState:
    def view(m: MilestoneDef) -> MilestoneView:
        return MilestoneView(m.id, "a", A.title, m.title, "pending", None, None, None, False, "none", None, None,
                             None, False, A.parties)

    return ReportState(
        now=dt.datetime.combine(today, dt.time(12), dt.UTC), today=today, timezone="UTC", due_soon_days=30,
        base_url=None, agreements=(A,), milestones=(M1, M2), views=(view(M1), view(M2)), history=history,
        evidence={}, evidence_total={}, found=(), trend_start=trend_window((A,), today), feeds=(),
    )


def test_status_over_time_counts_from_the_dates_changes_carry() -> None:
    # m1 (due 2026-02-05) completed 2026-02-20, recorded a month later; so late from 2026-02-20 on, and m2
    # (due 30 days after m1) overdue from 2026-03-23; before that m1 was overdue from 2026-02-06
    history = (
        change("m1", "complete", dt.date(2026, 2, 20), dt.date(2026, 3, 20), before="stalled"),
        change("m1", "stalled", dt.date(2026, 1, 10), dt.date(2026, 1, 10)),
    )
    state = pure_state(history, dt.date(2026, 4, 1))
    by = {"m1": list(history)}
    assert charts.progress_on(history, dt.date(2026, 1, 9)).status == "pending"
    assert charts.progress_on(history, dt.date(2026, 2, 1)).status == "stalled"
    assert charts.progress_on(history, dt.date(2026, 2, 20)).status == "complete"
    assert charts.states_on(state, dt.date(2026, 2, 10), by) == {"overdue": 1, "waiting": 1}
    assert charts.states_on(state, dt.date(2026, 3, 1), by) == {"late": 1, "due_soon": 1}
    assert charts.states_on(state, dt.date(2026, 3, 30), by) == {"late": 1, "overdue": 1}
    chart = charts.status_chart(state)
    assert chart.samples[0].day == dt.date(2025, 11, 2)  # the Sunday ending the week of the signing
    assert chart.samples[-1].day == dt.date(2026, 4, 1)  # this week ends today
    assert [(s.met, s.late, s.overdue) for s in chart.samples if s.day == dt.date(2026, 2, 15)] == [(0, 0, 1)]
    assert chart.series[1].last == 1 and chart.series[2].last == 1
    # two labels with the same value never overlap
    assert abs(chart.series[1].label_y - chart.series[2].label_y) >= 14


def test_a_later_change_dated_earlier_wins_only_from_its_date() -> None:
    history = (
        change("m1", "complete", dt.date(2026, 1, 5), dt.date(2026, 1, 20), before="stalled"),  # entered late
        change("m1", "stalled", dt.date(2026, 1, 10), dt.date(2026, 1, 10)),
    )
    assert charts.progress_on(history, dt.date(2026, 1, 6)).status == "complete"
    assert charts.progress_on(history, dt.date(2026, 1, 15)).status == "complete"  # recorded last wins
    assert charts.progress_on(history, dt.date(2026, 1, 4)).status == "pending"


def test_evidence_per_week_counts_items_once_per_agreement() -> None:
    from monitor.storage.trends import Found

    def at(day: dt.date) -> dt.datetime:
        return dt.datetime.combine(day, dt.time(23, 30), dt.UTC)

    state = pure_state((), dt.date(2026, 1, 14))
    found = (
        Found("m1", 1, at(dt.date(2026, 1, 5))),
        Found("m2", 1, at(dt.date(2026, 1, 5))),  # the same item, evidence for two milestones of one agreement
        Found("m2", 2, at(dt.date(2026, 1, 11))),  # Sunday 23:30 UTC: still that week in UTC
        Found("m1", 3, at(dt.date(2026, 1, 13))),
        Found("gone", 4, at(dt.date(2026, 1, 13))),  # a milestone no longer in config
    )
    state = ReportState(**{**state.__dict__, "found": found})
    chart = charts.evidence_chart(state)
    (row,) = chart.rows
    assert [(b.week, b.count) for b in row.bars] == [(dt.date(2026, 1, 5), 2), (dt.date(2026, 1, 12), 1)]
    assert row.total == 3 and row.this_week == 1 and chart.max_count == 2 and chart.weeks == 12
    tokyo = charts.evidence_chart(ReportState(**{**state.__dict__, "timezone": "Asia/Tokyo"}))
    assert [(b.week, b.count) for b in tokyo.rows[0].bars] == [(dt.date(2026, 1, 5), 1), (dt.date(2026, 1, 12), 2)]


def test_scales_and_windows() -> None:
    s = charts.Scale(dt.date(2026, 1, 1), dt.date(2026, 12, 31), 100, 464)
    assert s(dt.date(2026, 1, 1)) == 100 and s(dt.date(2026, 12, 31)) == 464
    assert s(dt.date(2020, 1, 1)) == 100 and s(dt.date.max) == 464  # clamped, never off the picture
    assert [t.label for t in s.months()][:3] == ["Jan 2026", "", "Mar"]
    assert week_start(dt.date(2026, 11, 22)) == dt.date(2026, 11, 16)
    assert trend_window((A,), dt.date(2030, 1, 1)) == dt.date(2028, 1, 10)  # at most 104 weeks
    assert trend_window((A,), dt.date(2026, 1, 7)) == dt.date(2025, 10, 27)  # the week of the signing
    assert trend_window((), dt.date(2026, 1, 7)) == dt.date(2024, 1, 15)


@pytest.mark.parametrize(
    ("url", "kept"),
    [
        ("https://example.org/a?b=1", True),
        ("https://example.org/a%20b?q=x&r=[1]#f", True),
        ("http://example.org", True),
        ("javascript:alert(1)", False),
        ("JaVaScRiPt:alert(1)", False),
        (" javascript:alert(1)", False),
        ("data:text/html,<script>", False),
        ("vbscript:x", False),
        ("//evil.example/x", False),
        ("/relative", False),
        ("https://exa mple.org", False),
        ("https://example.org/\x1b", False),
        ("", False),
        (None, False),
    ],
)
def test_only_http_links(url: str | None, kept: bool) -> None:
    assert (safe_url(url) == url) if kept else safe_url(url) is None


def test_links_are_percent_encoded_where_a_url_may_not_hold_a_character() -> None:
    assert safe_url('https://x.org/a"b<c>`{|}^\\é') == "https://x.org/a%22b%3Cc%3E%60%7B%7C%7D%5E%5C%C3%A9"


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("a = b", "a = b"),
        (-208, -208),
        (True, "true"),
        (None, ""),
        (["US", "JP"], "US JP"),
        ("\x1b[2J", "\\x1b[2J"),
    ],
)
def test_csv_cells_are_safe_for_spreadsheets(value: object, cell: object) -> None:
    assert exports.cell(value) == cell


def test_text_made_visible_and_shortened() -> None:
    assert shown("a\x1bb\u202ec\r\nd\te\x00\ud800\uffff") == "a\\x1bb\\u202ec\nd\te\\x00\\ud800\\uffff"
    assert shorten("one two three four", 12) == "one two…"
    assert shorten("short", 12) == "short"


def test_status_phrases() -> None:
    base = pure_state((), dt.date(2026, 1, 1)).views[0]

    def v(**k: object) -> MilestoneView:
        return MilestoneView(**{**base.__dict__, **k})  # type: ignore[arg-type]

    assert content.status_phrase(v(deadline_state="overdue")) == "overdue"
    assert content.status_phrase(v(deadline_state="overdue", soft=True, status="stalled")) == "overdue (soft), stalled"
    assert content.status_phrase(v(status="complete", status_on=dt.date(2026, 1, 2), deadline_state="late")) == (
        "complete on 2026-01-02, late"
    )
    assert content.status_phrase(v(status="missed", status_on=dt.date(2026, 1, 2), deadline_state="late")) == (
        "missed on 2026-01-02"
    )


def test_corrections_and_undos_are_shown_as_such(home: HomeDir, tmp_path: Path) -> None:
    """The report and the digest read the history as the CLI does: an amended date is a correction, not news."""
    assert home.cli("complete", "kr-final-text", "--on", "2025-11-13").exit_code == 0
    assert home.cli("amend", "kr-final-text", "--on", "2025-11-14").exit_code == 0
    out = tmp_path / "site"
    assert home.cli("report", "--out", str(out)).exit_code == 0
    page = (out / "milestones" / "kr-final-text.html").read_text(encoding="utf-8")
    assert "<em>correction of #1:</em>" in page
    feed = feedparser.parse((out / "changes.xml").read_bytes())
    assert [e.title.split(": ", 1)[1] for e in feed.entries] == ["correction of #1: complete → complete", "pending → complete"]
    preview = tmp_path / "digest"
    assert home.cli("digest", "--preview", str(preview), "--to", "analyst@example.org").exit_code == 0
    (text,) = [p.read_text(encoding="utf-8") for p in preview.iterdir() if p.suffix == ".txt"]
    assert "correction of #1: complete → complete on 14 Nov 2025" in " ".join(text.split())
