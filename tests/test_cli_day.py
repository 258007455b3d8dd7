"""An analyst's day through the real CLI (in-process, on a real SQLite file or PostgreSQL): the overview first,
tables that fit the terminal, filters people try, and corrections that never lie in the history. The pure parts
(undo plans, urgency, quiet, table fitting) are tables of cases without fixtures."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import pytest
from rich.cells import cell_len
from typer.testing import CliRunner

from monitor import deadlines, evidence, tracking
from monitor.cli import app, options
from monitor.cli.tables import Column, Layout, drop, swap, table_width
from monitor.corrections import Record, plan_undo, standing
from monitor.definitions import AgreementDef, FeedDef
from monitor.views import HistoryRow, MilestoneView
from tests.conftest import HomeDir, write_feeds
from tests.httpserver import Response, Server

CHINA = ("cn-1", "China suspends rare earth export controls for one year", "https://news.example.org/china")
THAI = ("th-1", "Trump suspends trade talks with Thailand", "https://news.example.org/thai")
KOREA = ("kr-1", "Korea and US release joint fact sheet on tariffs and investment", "https://news.example.org/kr")
OVERDUE = [
    "th-full-agreement",
    "vn-full-agreement",
    "jp-minerals-ministerial",
    "jp-rapid-response-group",
    "jp-projects-financed",
    "cn-pause-end",
]


def rss(*items: tuple[str, str, str]) -> bytes:
    entries = "".join(
        f"<item><guid>{g}</guid><title>{t}</title><link>{link}</link>"
        f"<pubDate>Tue, 10 Mar 2026 09:30:00 GMT</pubDate><description>{t}.</description></item>"
        for g, t, link in items
    )
    return f'<rss version="2.0"><channel><title>t</title>{entries}</channel></rss>'.encode()


def ok(home: HomeDir, *args: str, **env: str) -> str:
    r = home.cli(*args, **env)
    assert r.exit_code == 0, (args, r.stderr)
    return r.stdout


def refused(home: HomeDir, *args: str, message: str) -> None:
    """Exit 2, one `error:` line starting with `message`; a command that writes wrote nothing."""
    writes = args[0] not in ("milestones", "matches")
    before = home.json("history") if writes else None
    r = home.cli(*args)
    assert (r.exit_code, r.stderr.count("\n")) == (2, 1), r.stderr
    assert r.stderr.startswith(f"error: {message}"), r.stderr
    if writes:
        assert home.json("history") == before


def ids(rows: Any) -> list[str]:
    return [r["id"] for r in rows]


def polled(home: HomeDir, server: Server) -> dict[str, int]:
    """A polled home: evidence for China, Thailand and Korea awaiting review; one source failing. Match ids by
    milestone."""
    server.routes["/a"] = Response(body=rss(CHINA, THAI, KOREA))
    server.routes["/down"] = Response(status=503, body=b"down")
    write_feeds(
        home,
        [
            {"id": "wire", "type": "rss", "url": server.url("/a")},
            {"id": "ministry-feed", "type": "rss", "url": server.url("/down"), "countries": ["TH"]},
        ],
    )
    ok(home, "poll")
    return {m["milestone"]: m["id"] for m in home.json("matches")}


# ---------------------------------------------------------------- the overview


def test_monitor_alone_in_a_fresh_home_is_the_summary(home: HomeDir) -> None:
    out = ok(home)  # `monitor --home h` and nothing else
    assert out == ok(home, "summary")
    assert out.startswith("Overview, today 2026-11-22\n10 agreements, 24 milestones; no source checked yet")
    assert "overdue: 6 milestones" in out and "326 days overdue" in out and "-326" not in out
    assert "evidence awaiting review: none" in out and "failing sources: none" in out
    s = home.json("summary")
    assert ids(s["overdue"]) == OVERDUE  # most overdue first; the two soft targets of 2025-12-31 in config order
    assert s["due_soon"] == [] and s["quiet"] == [] and s["new_evidence"] == []  # never polled: nothing is quiet
    assert (s["today"], s["due_soon_days"], s["new_matches"], s["sources_checked"]) == ("2026-11-22", 30, 0, None)
    thai_mou = {a["id"]: a for a in s["agreements"]}["us-thailand-minerals-mou"]
    assert (thai_mou["milestones"], thai_mou["open"], sum(thai_mou["deadline_states"].values())) == (1, 1, 1)
    assert set(thai_mou["deadline_states"]) == set(deadlines.DEADLINE_STATES)


def test_summary_due_soon_window(home: HomeDir) -> None:
    april = "2026-04-10T12:00:00+00:00"  # ministerial and group due 2026-04-26 (16 days), financing 04-28 (18)
    s = json.loads(ok(home, "summary", "--json", MONITOR_NOW=april))
    assert ids(s["due_soon"]) == ["jp-minerals-ministerial", "jp-rapid-response-group", "jp-projects-financed"]
    s = json.loads(ok(home, "summary", "--json", "--days", "17", MONITOR_NOW=april))
    assert (ids(s["due_soon"]), s["due_soon_days"]) == (["jp-minerals-ministerial", "jp-rapid-response-group"], 17)
    out = ok(home, "summary", "--days", "1", MONITOR_NOW="2026-04-25T12:00:00+00:00")
    assert "due in the next 1 day: 2 milestones" in out and "1 day left" in out
    r = home.cli("summary", "--days", "-1")
    assert r.exit_code == 2


def test_summary_with_evidence_and_a_failing_source(home: HomeDir, server: Server) -> None:
    polled(home, server)
    s = home.json("summary")
    assert s["new_matches"] == 3
    assert {e["milestone"]: e["matches"] for e in s["new_evidence"]} == {
        "cn-rare-earth-controls": 1,
        "th-full-agreement": 1,
        "kr-final-text": 1,
    }
    [down] = s["failing_sources"]
    assert (down["id"], down["consecutive_failures"], down["last_error"]) == ("ministry-feed", 1, "HTTP 503")
    assert s["sources_checked"] == "2026-11-22T12:00:00+00:00"
    out = ok(home, "summary")
    assert "evidence awaiting review: 3 matches for 3 milestones\n" in out
    assert "to review them: monitor matches --state new\n" in out
    assert "failing sources: 1 (monitor feeds)" in out and "HTTP 503" in out
    one = ok(home, "review", str(home.json("matches", "--milestone", "th-full-agreement")[0]["id"]), "dismiss")  # type: ignore[index]
    assert "new → dismissed" in one
    assert home.json("summary")["new_matches"] == 2


def test_agreements_lists_every_agreement_with_counts(home: HomeDir) -> None:
    rows = {a["id"]: a for a in home.json("agreements")}
    assert len(rows) == 10
    japan = rows["us-japan-minerals-framework"]
    assert (japan["milestones"], japan["open"], japan["signed"], japan["parties"]) == (6, 6, "2025-10-28", ["US", "JP"])
    assert japan["deadline_states"]["overdue"] == 3 and japan["deadline_states"]["none"] == 3
    assert rows["us-malaysia-minerals-mou"]["milestones"] == 1
    out = ok(home, "agreements")
    assert "10 agreements" in out and "3 overdue" in out and "1 waiting" in out


def test_monitor_alone_outside_a_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    r = CliRunner().invoke(app, [])
    assert r.exit_code == 0 and r.stdout.startswith("Usage: monitor")
    assert f"{tmp_path} is not a monitor home: create one with 'monitor init PATH', then run monitor there" in r.stdout
    named = tmp_path / "nowhere"
    for args, env in (["--home", str(named)], {}), ([], {"MONITOR_HOME": str(named)}):
        r = CliRunner().invoke(app, args, env=env)
        assert (r.exit_code, r.stderr) == (2, f"error: no monitor home at {named} (run 'monitor init {named}')\n")
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------- tables that fit


def day_in_the_life(home: HomeDir, server: Server) -> None:
    matches = polled(home, server)
    ok(home, "review", str(matches["cn-rare-earth-controls"]), "confirm", "--complete", "--note", "MOFCOM notice")
    ok(home, "complete", "my-notifications", "--on", "2026-03-01", "--evidence", "https://example.org/notice")
    ok(home, "amend", "my-notifications", "--on", "2026-03-04", "--note", "the notice was dated the 4th")
    ok(home, "status", "jp-investment-projects", "in_progress", "--on", "2026-02-01")
    ok(home, "undo", "jp-investment-projects")


def test_tables_fit_and_never_split_an_id_or_a_date(home: HomeDir, server: Server) -> None:
    day_in_the_life(home, server)
    milestones = home.json("milestones")
    wanted: dict[tuple[str, ...], set[str]] = {
        ("milestones",): {*ids(milestones), *(m["due"] for m in milestones if m["due"])},  # type: ignore[index]
        ("matches",): {str(m["id"]) for m in home.json("matches")} | {m["milestone"] for m in home.json("matches")},  # type: ignore[index]
        ("history",): {h["milestone"] for h in home.json("history")} | {h["on"] for h in home.json("history")},  # type: ignore[index]
        ("show", "cn-rare-earth-controls"): {"cn-rare-earth-controls", "2026-03-10", str(matches_of(home)[0])},
        ("show", "my-notifications"): {"my-entry-into-force", "2026-03-04", "2026-03-01"},
        ("summary",): {*OVERDUE, "ministry-feed", "th-full-agreement", "kr-final-text"},
        ("agreements",): {a["id"] for a in home.json("agreements")},  # type: ignore[index]
    }
    for (args, tokens), width in ((case, width) for case in wanted.items() for width in (80, 120)):
        out = ok(home, *args, COLUMNS=str(width))
        lines = out.splitlines()
        too_wide = [line for line in lines if cell_len(line.rstrip()) > width]
        assert too_wide == [], (args, width, too_wide)
        words = {w for line in lines for w in re.split(r"[\s│┃,():]+", line)}
        assert tokens - words == set(), (args, width, tokens - words)


def matches_of(home: HomeDir) -> list[int]:
    return [m["id"] for m in home.json("matches", "--milestone", "cn-rare-earth-controls")]  # type: ignore[index]


def test_narrow_tables_drop_low_value_columns_first(home: HomeDir) -> None:
    header = lambda out: next(line for line in out.splitlines() if "┃" in line)  # noqa: E731
    wide = header(ok(home, "milestones"))
    assert all(c in wide for c in ("agreement", "status", "days", "last evidence"))
    at_120 = header(ok(home, "milestones", COLUMNS="120"))
    assert "agreement" not in at_120 and "last evidence" not in at_120 and "days" in at_120
    at_80 = header(ok(home, "milestones", COLUMNS="80"))
    assert [c.strip() for c in at_80.split("┃")[1:-1]] == ["id", "title", "due", "deadline"]


def test_counts_read_as_english(home: HomeDir) -> None:
    assert ok(home, "milestones", "--agreement", "us-thailand-framework").startswith("1 milestone, today 2026-11-22")
    out = ok(home, "milestones", "--deadline", "overdue")
    assert "6 milestones, today" in out and "326 days overdue" in out and "210 days overdue" in out
    assert not re.search(r"-\d+", out.replace("2025-12-31", "").replace("2026-04-2", "").replace("2026-11-22", "").replace("2026-11-10", ""))
    ok(home, "status", "kr-final-text", "in_progress")
    assert ok(home, "history").startswith("1 change\n")
    assert "(1 day left)" in ok(home, "show", "jp-minerals-ministerial", MONITOR_NOW="2026-04-25T12:00:00+00:00")


def test_milestones_sort_by_urgency_by_default(home: HomeDir) -> None:
    ok(home, "complete", "kr-final-text", "--on", "2025-11-14")
    urgent = ids(home.json("milestones"))
    assert urgent[:8] == [*OVERDUE, "my-entry-into-force", "kh-entry-into-force"]  # overdue, most first; waiting
    assert urgent[-1] == "kr-final-text"  # a verdict: last
    assert ids(home.json("milestones", "--sort", "id")) == sorted(urgent)
    by_due = home.json("milestones", "--sort", "due")
    assert [m["due"] for m in by_due][:5] == ["2025-12-31", "2025-12-31", "2026-04-26", "2026-04-26", "2026-04-28"]  # type: ignore[index]
    by_agreement = ids(home.json("milestones", "--sort", "agreement"))
    assert by_agreement[:3] == ["jp-minerals-ministerial", "jp-rapid-response-group", "jp-projects-financed"]  # Japan first, urgent within
    assert by_agreement[-1] == "cn-rare-earth-controls"
    refused(home, "milestones", "--sort", "fun", message="unknown sort 'fun' (one of: urgency, due, id, agreement)")


# ---------------------------------------------------------------- filters people try


def test_repeated_filters_combine(home: HomeDir) -> None:
    ok(home, "status", "kr-tariff-15", "complete", "--on", "2025-12-01")
    ok(home, "status", "kr-final-text", "stalled")
    assert set(ids(home.json("milestones", "--deadline", "overdue", "--deadline", "waiting"))) == {
        *OVERDUE,
        "my-entry-into-force",
        "kh-entry-into-force",
    }
    assert ids(home.json("milestones", "--deadline", "overdue,waiting")) == ids(
        home.json("milestones", "--deadline", "overdue", "--deadline", "waiting")
    )
    assert set(ids(home.json("milestones", "--status", "complete", "--status", "stalled"))) == {
        "kr-tariff-15",
        "kr-final-text",
    }
    assert len(home.json("milestones", "--country", "jp", "--country", "KR")) == 12
    assert len(home.json("milestones", "--agreement", "us-korea-deal", "--agreement", "us-china-truce")) == 7
    # different filters must all hold
    assert ids(home.json("milestones", "--country", "KR", "--status", "stalled", "--status", "pending")) == [
        "kr-final-text",
        "kr-investment-mou",
        "kr-fund-payments",
        "kr-shipbuilding-investment",
    ]
    refused(home, "milestones", "--deadline", "overdue", "--deadline", "soon", message="unknown deadline state 'soon'")
    refused(home, "milestones", "--agreement", "us-korea-deal,us-japan", message="unknown agreement 'us-japan'")


def test_due_within(home: HomeDir) -> None:
    april = "2026-04-10T12:00:00+00:00"
    within = lambda days: ids(json.loads(ok(home, "milestones", "--json", "--due-within", days, MONITOR_NOW=april)))  # noqa: E731
    assert within("16") == ["jp-minerals-ministerial", "jp-rapid-response-group"]
    assert within("30") == ["jp-minerals-ministerial", "jp-rapid-response-group", "jp-projects-financed"]  # th/vn: overdue
    assert within("0") == []
    ok(home, "complete", "jp-minerals-ministerial", "--on", "2026-04-01", MONITOR_NOW=april)
    assert within("30") == ["jp-rapid-response-group", "jp-projects-financed"]  # open ones only
    r = home.cli("milestones", "--due-within", "-3")
    assert r.exit_code == 2


def test_matches_filters_combine(home: HomeDir, server: Server) -> None:
    found = polled(home, server)
    ok(home, "review", str(found["th-full-agreement"]), "dismiss")
    states = lambda *a: {m["milestone"] for m in home.json("matches", *a)}  # type: ignore[index]  # noqa: E731
    assert states("--state", "new", "--state", "dismissed") == set(found)
    assert states("--state", "dismissed") == {"th-full-agreement"}
    assert states("--milestone", "kr-final-text", "--milestone", "th-full-agreement") == {"kr-final-text", "th-full-agreement"}
    assert states("--milestone", "kr-final-text,th-full-agreement", "--state", "new") == {"kr-final-text"}
    assert states("--signal", "delay", "--signal", "completion") >= {"th-full-agreement", "cn-rare-earth-controls"}
    refused(home, "matches", "--state", "new", "--state", "open", message="unknown match state 'open'")
    refused(home, "matches", "--milestone", "kr-final", message="unknown milestone 'kr-final' (did you mean")


def test_home_after_the_command(home: HomeDir, tmp_path: Path) -> None:
    run = lambda *args: CliRunner().invoke(app, list(args), env=home.env)  # noqa: E731
    r = run("milestones", "--home", str(home.path), "--json")
    assert r.exit_code == 0 and len(json.loads(r.stdout)) == 24
    r = run("--home", str(tmp_path / "elsewhere"), "show", "kr-final-text", f"--home={home.path}")
    assert r.exit_code == 0 and "kr-final-text" in r.stdout  # the later one wins
    r = run("db", "upgrade", "--home", str(home.path))
    assert r.exit_code == 0 and "already at revision" in r.stdout
    r = run("milestones", "--home", str(tmp_path / "elsewhere"))
    assert r.exit_code == 2 and r.stderr.startswith("error: no monitor home at")
    # a value that looks like the option is the value of the option before it
    r = run("status", "kr-final-text", "stalled", "--note", "--home", "--home", str(home.path))
    assert r.exit_code == 0, r.stderr
    assert home.json("history")[0]["note"] == "--home"  # type: ignore[index]


def test_shell_completion(home: HomeDir, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def complete(words: str) -> list[str]:
        env = {"_MONITOR_COMPLETE": "complete_bash", "COMP_WORDS": words, "COMP_CWORD": str(len(words.split()) - 1)}
        r = CliRunner().invoke(app, [], env={**home.env, **env}, prog_name="monitor")
        assert r.exit_code == 0, r.output
        return r.stdout.split()

    assert complete("monitor summ") == ["summary"]
    assert complete(f"monitor --home {home.path} show jp-m") == ["jp-minerals-ministerial"]
    assert complete(f"monitor undo --home {home.path} my-") == [
        "my-minerals-cooperation",
        "my-notifications",
        "my-entry-into-force",
        "my-investment-screening",
    ]
    assert complete("monitor milestones --deadline o") == ["overdue"]
    assert complete("monitor milestones --sort a") == ["agreement"]
    assert complete("monitor show --home /no/such/home jp-m") == []
    # typer finds the shell from the parent process: the test says it is bash, whatever shell started pytest
    import typer._completion_shared
    import typer.completion

    monkeypatch.setattr(typer.completion, "_get_shell_name", lambda: "bash")
    monkeypatch.setattr(typer._completion_shared, "_get_shell_name", lambda: "bash")
    r = CliRunner().invoke(app, ["--show-completion", "bash"], prog_name="monitor")
    assert r.exit_code == 0 and "_MONITOR_COMPLETE=complete_bash" in r.stdout
    r = CliRunner().invoke(app, ["--install-completion", "bash"], env={"HOME": str(tmp_path)}, prog_name="monitor")
    assert r.exit_code == 0, r.output
    assert (tmp_path / ".bash_completions" / "monitor.sh").is_file()
    assert "monitor.sh" in (tmp_path / ".bashrc").read_text()


def test_completion_words_are_the_librarys() -> None:
    assert options.STATUSES == deadlines.STATUSES
    assert options.DEADLINE_STATES == deadlines.DEADLINE_STATES
    assert (options.MATCH_STATES, options.SIGNALS) == (evidence.MATCH_STATES, evidence.SIGNALS)
    assert options.SORTS == tracking.SORTS


def test_review_several_at_once_all_or_nothing(home: HomeDir, server: Server) -> None:
    found = polled(home, server)
    china, thai, korea = (str(found[m]) for m in ("cn-rare-earth-controls", "th-full-agreement", "kr-final-text"))
    before = home.json("matches")
    refused(home, "review", thai, "99999", korea, "dismiss", message="unknown match '99999'")
    refused(home, "review", thai, "x3", "dismiss", message="MATCH_ID must be a whole number such as 42, got 'x3'")
    refused(home, "review", thai, "dismissed", message="unknown review verdict 'dismissed'")
    r = home.cli("review", "dismiss")
    assert r.exit_code == 2 and "Missing argument 'MATCH_ID" in r.stderr
    assert home.json("matches") == before
    out = ok(home, "review", thai, korea, thai, "dismiss", "--note", "not about the deal")
    assert out.splitlines() == [
        f"match {thai} (th-full-agreement): new → dismissed",
        f"match {korea} (kr-final-text): new → dismissed",
    ]
    states = {m["milestone"]: (m["state"], m["note"]) for m in home.json("matches")}  # type: ignore[index]
    assert states["th-full-agreement"] == states["kr-final-text"] == ("dismissed", "not about the deal")
    assert states["cn-rare-earth-controls"] == ("new", None)
    out = ok(home, "review", china, korea, "confirm", "--complete")
    assert "cn-rare-earth-controls: pending → complete on 2026-03-10" in out
    assert "kr-final-text: pending → complete on 2026-03-10" in out


# ---------------------------------------------------------------- corrections without lies


def test_amend_corrects_the_date_and_dependants_follow(home: HomeDir) -> None:
    ok(home, "complete", "my-notifications", "--on", "2026-03-01", "--evidence", "https://example.org/notice")
    out = ok(home, "amend", "my-notifications", "--on", "2026-03-04", "--note", "dated the 4th", "--by", "ana")
    assert out.splitlines() == [
        "my-notifications: corrected #1: complete on 2026-03-01 → complete on 2026-03-04",
        "  my-entry-into-force: due 2026-05-03 (overdue)",
    ]
    [fix, first] = home.json("history", "my-notifications")  # type: ignore[misc]
    assert (first["kind"], first["refers_to"], fix["kind"], fix["refers_to"]) == ("change", None, "correction", first["id"])
    assert (fix["from"], fix["to"], fix["on"], fix["by"], fix["note"]) == ("complete", "complete", "2026-03-04", "ana", "dated the 4th")
    assert fix["evidence_url"] == "https://example.org/notice"  # not given: kept
    m = {v["id"]: v for v in home.json("milestones")}  # type: ignore[index]
    assert m["my-notifications"]["completed_on"] == "2026-03-04" and m["my-entry-into-force"]["due"] == "2026-05-03"
    ok(home, "amend", "my-notifications", "--evidence", "https://example.org/gazette")
    m = {v["id"]: v for v in home.json("milestones")}  # type: ignore[index]
    assert (m["my-notifications"]["completed_on"], m["my-notifications"]["evidence_url"]) == (
        "2026-03-04",
        "https://example.org/gazette",
    )
    assert "nothing changed" in ok(home, "amend", "my-notifications", "--on", "2026-03-04")
    assert len(home.json("history")) == 3
    history = ok(home, "history")
    assert "3 history rows" in history and "correction of #1" in history and "correction of #2" in history


def test_corrections_are_checked_like_changes(home: HomeDir) -> None:
    refused(home, "amend", "kr-final-text", "--on", "2025-11-14", message="kr-final-text has no recorded status change to correct")
    ok(home, "complete", "kr-final-text", "--on", "2025-11-14")
    refused(home, "amend", "kr-final-text", message="amend: nothing to correct; give --on DATE or --evidence URL")
    refused(
        home, "amend", "kr-final-text", "--on", "2025-10-01",
        message="--on 2025-10-01 is before agreement 'us-korea-deal' was signed (2025-10-29); use --force",
    )
    refused(home, "amend", "kr-final-text", "--on", "2026-12-01", message="--on 2026-12-01 is in the future")
    refused(home, "amend", "kr-final-text", "--evidence", "ftp://x", message="--evidence: not an http(s) URL")
    refused(home, "amend", "kr-final-tex", "--on", "2025-11-15", message="unknown milestone 'kr-final-tex' (did you mean")
    ok(home, "amend", "kr-final-text", "--on", "2025-10-01", "--force")
    assert home.json("history")[0]["on"] == "2025-10-01"  # type: ignore[index]


def test_status_correct_changes_the_record_not_the_world(home: HomeDir) -> None:
    ok(home, "status", "th-full-agreement", "stalled", "--on", "2025-11-11", "--note", "talks paused")
    out = ok(home, "status", "th-full-agreement", "in_progress", "--correct", "--note", "they were only slowed")
    assert out.strip() == "th-full-agreement: corrected #1: stalled → in_progress"
    fix = home.json("history")[0]  # type: ignore[index]
    assert (fix["kind"], fix["from"], fix["to"], fix["on"]) == ("correction", "stalled", "in_progress", "2025-11-11")
    # a verdict recorded as the wrong one: complete, not partial; its date kept
    ok(home, "status", "kr-tariff-15", "partial", "--on", "2025-12-01")
    ok(home, "complete", "kr-tariff-15", "--correct")
    m = {v["id"]: v for v in home.json("milestones")}["kr-tariff-15"]  # type: ignore[index]
    assert (m["status"], m["completed_on"]) == ("complete", "2025-12-01")
    assert "nothing changed" in ok(home, "status", "kr-tariff-15", "complete", "--correct")
    refused(home, "status", "kr-tariff-15", "done", "--correct", message="unknown status 'done'")


def test_undo_walks_back_and_restores_what_was_there(home: HomeDir) -> None:
    ok(home, "status", "my-notifications", "in_progress", "--on", "2026-01-10", "--evidence", "https://example.org/a")
    ok(home, "complete", "my-notifications", "--on", "2026-03-01", "--evidence", "https://example.org/b")
    ok(home, "amend", "my-notifications", "--on", "2026-03-04")
    state = lambda: {v["id"]: v for v in home.json("milestones")}  # type: ignore[index]  # noqa: E731
    out = ok(home, "undo", "my-notifications", "--note", "the 1st was right")
    assert out.splitlines() == [
        "my-notifications: undid #3 (correction complete → complete on 2026-03-04); now complete on 2026-03-01",
        "  my-entry-into-force: due 2026-04-30 (overdue)",
    ]
    assert state()["my-notifications"]["completed_on"] == "2026-03-01"
    out = ok(home, "undo", "my-notifications")
    assert out.splitlines()[0] == "my-notifications: undid #2 (change in_progress → complete on 2026-03-01); now in_progress"
    m = state()
    assert (m["my-notifications"]["status"], m["my-notifications"]["evidence_url"]) == ("in_progress", "https://example.org/a")
    assert m["my-entry-into-force"]["deadline_state"] == "waiting"
    ok(home, "undo", "my-notifications")
    assert (state()["my-notifications"]["status"], state()["my-notifications"]["evidence_url"]) == ("pending", None)
    refused(home, "undo", "my-notifications", message="my-notifications has no status change to undo (it is pending)")
    rows = home.json("history", "my-notifications")
    assert [(r["kind"], r["refers_to"]) for r in rows] == [  # type: ignore[index]
        ("undo", 1), ("undo", 2), ("undo", 3), ("correction", 2), ("change", None), ("change", None),
    ]
    assert [r["on"] for r in rows[:3]] == ["2026-11-22", "2026-11-22", "2026-03-01"]  # type: ignore[index]
    # a new change after undos stands on its own, and is what the next undo takes back
    ok(home, "status", "my-notifications", "stalled")
    ok(home, "undo", "my-notifications")
    assert state()["my-notifications"]["status"] == "pending"
    shown = ok(home, "show", "my-notifications")
    assert "undo of #7" in shown and "correction of #2" in shown


def test_undo_of_a_review_completion_keeps_the_review(home: HomeDir, server: Server) -> None:
    found = polled(home, server)
    ok(home, "review", str(found["cn-rare-earth-controls"]), "confirm", "--complete")
    ok(home, "undo", "cn-rare-earth-controls")
    assert {v["id"]: v for v in home.json("milestones")}["cn-rare-earth-controls"]["status"] == "pending"  # type: ignore[index]
    assert home.json("matches", "--milestone", "cn-rare-earth-controls")[0]["state"] == "confirmed"  # type: ignore[index]


# ---------------------------------------------------------------- pure


def row(id_: int, kind: str, before: str, after: str, on: str, refers_to: int | None = None, url: str | None = None) -> HistoryRow:
    return HistoryRow(
        milestone="m", from_status=before, to_status=after, on=dt.date.fromisoformat(on),
        recorded_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC), by="t", note=None, evidence_url=url, match_id=None,
        kind=kind, refers_to=refers_to, id=id_,
    )  # fmt: skip


A = row(1, "change", "pending", "in_progress", "2026-01-01", url="https://a")
B = row(2, "change", "in_progress", "complete", "2026-02-01", url="https://b")
K = row(3, "correction", "complete", "complete", "2026-02-03", refers_to=2, url="https://b")
U3 = row(4, "undo", "complete", "complete", "2026-02-01", refers_to=3, url="https://b")
U2 = row(5, "undo", "complete", "in_progress", "2026-03-01", refers_to=2, url="https://a")


@pytest.mark.parametrize(
    ("rows", "reverts", "restores"),
    [
        ([], None, None),
        ([A], 1, Record("pending", None, None)),
        ([A, B], 2, Record("in_progress", None, "https://a")),
        ([A, B, K], 3, Record("complete", dt.date(2026, 2, 1), "https://b")),
        ([A, B, K, U3], 2, Record("in_progress", None, "https://a")),
        ([A, B, K, U3, U2], 1, Record("pending", None, None)),
    ],
)
def test_plan_undo(rows: list[HistoryRow], reverts: int | None, restores: Record | None) -> None:
    plan = plan_undo(rows)
    assert (plan.reverts.id, plan.restores) == (reverts, restores) if plan else (reverts, restores) == (None, None)
    assert [r.id for r in standing([A, B, K, U3])] == [1, 2]


def view(id_: str, status: str, due: str | None, state: str) -> MilestoneView:
    d = dt.date.fromisoformat(due) if due else None
    return MilestoneView(
        id=id_, agreement="a", agreement_title="A", title=id_, status=status, status_on=None, due=d, due_rule=None,
        soft=False, deadline_state=state, days_left=(d - dt.date(2026, 5, 1)).days if d else None,
        evidence_url=None, last_evidence=None, quiet=False, countries=("US",),
    )  # fmt: skip


def test_urgency_order() -> None:
    views = [
        view("done-early", "complete", "2026-01-01", "met"),
        view("no-date", "pending", None, "none"),
        view("waits", "pending", None, "waiting"),
        view("soon", "in_progress", "2026-05-10", "due_soon"),
        view("late", "stalled", "2026-02-01", "overdue"),
        view("later", "pending", "2027-01-01", "upcoming"),
        view("latest", "pending", "2025-12-01", "overdue"),
    ]
    assert [v.id for v in tracking.sort_views(views, "urgency")] == [
        "latest", "late", "soon", "later", "waits", "no-date", "done-early",
    ]  # fmt: skip
    assert [v.id for v in tracking.sort_views(views, "due")][-2:] == ["no-date", "waits"]


@pytest.mark.parametrize(
    ("status", "last", "watched", "quiet"),
    [
        ("pending", None, None, False),  # never polled
        ("pending", None, "2026-01-01", True),
        ("pending", None, "2026-04-01", False),
        ("pending", "2026-04-15", "2026-01-01", False),  # recent evidence
        ("pending", "2025-06-01", "2026-04-01", False),  # old evidence, found when first read: watched since then
        ("stalled", "2025-06-01", None, True),
        ("complete", None, "2026-01-01", False),
    ],
)
def test_is_quiet(status: str, last: str | None, watched: str | None, quiet: bool) -> None:
    day = lambda s: dt.date.fromisoformat(s) if s else None  # noqa: E731
    assert deadlines.is_quiet(status, day(last), day(watched), dt.date(2026, 5, 1), 60) is quiet


def test_watched_since_is_the_later_of_signing_and_the_first_read_of_its_sources() -> None:
    deal = AgreementDef("a", "A", "framework", ("US", "JP"), dt.date(2025, 10, 28), False)
    feed = lambda i, *cc: FeedDef(i, i, "rss", "https://x", "news", cc, True)  # noqa: E731
    feeds = (feed("jp", "JP"), feed("kr", "KR"), feed("any"))
    assert tracking.watched_since(deal, feeds, {}) is None
    assert tracking.watched_since(deal, feeds, {"kr": dt.date(2025, 1, 1)}) is None  # not one of its sources
    assert tracking.watched_since(deal, feeds, {"any": dt.date(2025, 1, 1)}) == dt.date(2025, 10, 28)
    assert tracking.watched_since(deal, feeds, {"jp": dt.date(2026, 2, 1), "any": dt.date(2026, 3, 1)}) == dt.date(2026, 2, 1)


def test_a_layout_takes_as_few_steps_as_fit() -> None:
    cols = [
        Column("id", ["jp-minerals-ministerial"]),
        Column("title", ["Bilateral Mining, Minerals and Metals Investment Ministerial held"], wrap=True, min_width=20),
        Column("agreement", ["us-japan-minerals-framework"]),
        Column("status", ["in_progress"]),
    ]
    layout = Layout(cols, [drop("agreement"), swap("status", lambda: Column("st", ["ip"], name="status")), drop("id")])
    assert table_width(cols) == 23 + 20 + 27 + 11 + 13
    assert [c.header for c in layout.fit(200)] == ["id", "title", "agreement", "status"]
    assert [c.header for c in layout.fit(80)] == ["id", "title", "status"]
    assert [c.header for c in layout.fit(56)] == ["id", "title", "st"]
    assert [c.header for c in layout.fit(10)] == ["title", "st"]  # everything tried


def test_migration_marks_existing_history_as_changes(tmp_path: Path, database_url: str | None) -> None:
    """0005 on a database with history: every row recorded before is a change, pointing at nothing."""
    from sqlalchemy import text

    from monitor.storage import migrate
    from monitor.storage.engine import open_database
    from tests.test_startup import to_revision

    db = open_database(database_url or f"sqlite:///{tmp_path / 'old.sqlite3'}")
    try:
        to_revision(db, "0003")
        with db.engine.begin() as c:
            c.execute(text("INSERT INTO agreements (id, title, kind, parties) VALUES ('a', 'A', 'mou', '[]')"))
            c.execute(
                text(
                    "INSERT INTO milestones (id, agreement_id, title, status, created_at) "
                    "VALUES ('m', 'a', 'M', 'complete', '2026-01-01 00:00:00')"
                )
            )
            c.execute(
                text(
                    'INSERT INTO status_history (milestone_id, from_status, to_status, "on", recorded_at, by) '
                    "VALUES ('m', 'pending', 'complete', '2026-01-02', '2026-01-02 10:00:00', 'ana')"
                )
            )
        assert migrate.upgrade(db) == ("0003", migrate.head())
        with db.engine.connect() as c:
            assert c.execute(text("SELECT kind, refers_to FROM status_history")).all() == [("change", None)]
    finally:
        db.dispose()
