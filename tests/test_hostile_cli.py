"""Careless input on the command line: every case is one named `error:` line (or a documented success), never a
traceback, and a refused command leaves the database exactly as it was (issue 11, "CLI and state")."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from monitor.cli import app
from monitor.errors import InputError
from monitor.review import parse_match_id
from tests.conftest import HomeDir, write_feeds
from tests.httpserver import Response, Server

MINISTERIAL = "US and Japan hold critical minerals ministerial"
MINISTERS = "Japan and US ministers meet on critical minerals investment"


def feed(*items: tuple[str, str, str | None, str]) -> bytes:
    """RSS with (guid, title, link or None for no <link>, RFC 822 date) items."""
    entries = "".join(
        f'<item><guid isPermaLink="false">{g}</guid><title>{t}</title>'
        + (f"<link>{link}</link>" if link is not None else "")
        + f"<pubDate>{when}</pubDate><description>{t}.</description></item>"
        for g, t, link, when in items
    )
    return f'<rss version="2.0"><channel><title>t</title>{entries}</channel></rss>'.encode()


def poll(home: HomeDir, server: Server, *items: tuple[str, str, str | None, str]) -> list[dict[str, Any]]:
    server.routes["/feed"] = Response(body=feed(*items))
    write_feeds(home, [{"id": "wire", "type": "rss", "url": server.url("/feed")}])
    r = home.cli("poll")
    assert r.exit_code == 0, r.stderr
    return rows(home, "matches")


def one_match(home: HomeDir, server: Server, link: str | None = "https://news.example.org/m", when: str = "") -> int:
    rows = poll(home, server, ("g1", MINISTERIAL, link, when or "Tue, 10 Mar 2026 09:30:00 GMT"))
    assert [r["milestone"] for r in rows] == ["jp-minerals-ministerial"]
    return int(rows[0]["id"])


def rows(home: HomeDir, *args: str) -> list[dict[str, Any]]:
    doc = home.json(*args)
    assert isinstance(doc, list)
    return doc


def snapshot(home: HomeDir) -> tuple[Any, ...]:
    return home.json("history"), home.json("matches"), home.json("milestones")


def refused(home: HomeDir, args: list[str], message: str, code: int = 2) -> None:
    """The command fails with one `error:` line containing `message` and changes nothing."""
    before = snapshot(home)
    r = home.cli(*args)
    assert r.exit_code == code, (args, r.stdout, r.stderr)
    assert r.stderr.startswith("error: ") and message in r.stderr, r.stderr
    assert r.stderr.count("\n") == 1, r.stderr
    assert snapshot(home) == before


def database_url(home: HomeDir) -> str:
    return home.env.get("MONITOR_DATABASE_URL") or f"sqlite:///{home.path / 'db' / 'monitor.sqlite3'}"


def ministerial(home: HomeDir) -> dict[str, Any]:
    return {m["id"]: m for m in rows(home, "milestones")}["jp-minerals-ministerial"]


# ---------------------------------------------------------------- 1. MATCH_ID


def test_review_huge_match_id_is_unknown(home: HomeDir, server: Server) -> None:
    one_match(home, server)
    refused(home, ["review", "99999999999999999999999", "confirm"], "unknown match '99999999999999999999999'")
    refused(home, ["review", "2147483648", "confirm"], "unknown match '2147483648'")


@pytest.mark.parametrize("digits", ["٣", "３", "²"])
def test_review_non_ascii_digits_are_not_a_match_id(home: HomeDir, server: Server, digits: str) -> None:
    mid = one_match(home, server)
    typed = "".join(
        {"٣": "٠١٢٣٤٥٦٧٨٩", "３": "０１２３４５６７８９", "²": "⁰¹²³⁴⁵⁶⁷⁸⁹"}[digits][int(c)] for c in str(mid)
    )
    refused(home, ["review", typed, "confirm"], f"MATCH_ID must be a whole number such as 42, got {typed!r}")


def test_review_id_with_spaces_zero_and_negative(home: HomeDir, server: Server) -> None:
    mid = one_match(home, server)
    refused(home, ["review", f"{mid} ", "confirm"], f"MATCH_ID must be a whole number such as 42, got '{mid} '")
    refused(home, ["review", f"+{mid}", "confirm"], f"MATCH_ID must be a whole number such as 42, got '+{mid}'")
    refused(home, ["review", "0", "confirm"], "unknown match '0'")
    refused(home, ["review", "--", "-1", "confirm"], "MATCH_ID must be a whole number such as 42, got '-1'")
    before = snapshot(home)
    r = home.cli("review", "-1", "confirm")  # click reads it as an option: its usage error, exit 2
    assert r.exit_code == 2 and "No such option: -1" in r.stderr
    assert snapshot(home) == before


def test_match_id_is_checked_by_the_library() -> None:
    assert parse_match_id("0042") == 42
    assert parse_match_id("2147483647") == 2147483647
    for bad, message in [
        ("٣", "MATCH_ID must be a whole number such as 42, got '٣'"),
        ("3\n", "MATCH_ID must be a whole number such as 42, got '3\\n'"),
        ("", "MATCH_ID must be a whole number such as 42, got ''"),
        ("2147483648", "unknown match '2147483648'"),
    ]:
        with pytest.raises(InputError) as e:
            parse_match_id(bad)
        assert str(e.value) == message


def test_review_verdict_and_complete_mistakes(home: HomeDir, server: Server) -> None:
    mid = one_match(home, server)
    refused(home, ["review", str(mid), "Confirm"], "unknown review verdict 'Confirm' (confirm or dismiss)")
    refused(home, ["review", str(mid), "dismiss", "--complete"], "--complete goes with confirm")
    refused(home, ["review", str(mid), "confirm", "--by", ""], "--by: empty; give a name")
    refused(home, ["review", str(mid), "confirm", "--note", "x" * 10_001], "--note: 10001 characters is too long")


# ---------------------------------------------------------------- 2. review --complete is one transaction


def test_review_complete_without_a_link(home: HomeDir, server: Server) -> None:
    mid = one_match(home, server, link=None)
    r = home.cli("review", str(mid), "confirm", "--complete")
    assert r.exit_code == 0, r.stderr
    assert (
        "jp-minerals-ministerial: pending → complete on 2026-03-10 (the item has no link: the completion has no "
        f"evidence URL; the history row records match {mid})" in r.stdout
    )
    m = ministerial(home)
    assert m["status"] == "complete" and m["evidence_url"] is None
    [h] = rows(home, "history")
    assert h["match_id"] == mid and h["evidence_url"] is None and h["to"] == "complete"
    assert rows(home, "matches")[0]["state"] == "confirmed"


def test_review_complete_with_a_legacy_script_link(home: HomeDir, server: Server) -> None:
    mid = one_match(home, server)
    engine = create_engine(database_url(home))
    with engine.begin() as c:
        c.execute(text("UPDATE items SET link = 'vbscript:msgbox(1)'"))
    engine.dispose()
    r = home.cli("review", str(mid), "confirm", "--complete", "--note", "seen")
    assert r.exit_code == 0, r.stderr
    assert "the item's link 'vbscript:msgbox(1)' is not an http(s) URL: the completion has no evidence URL" in r.stdout
    m = ministerial(home)
    assert (m["status"], m["completed_on"], m["evidence_url"]) == ("complete", "2026-03-10", None)
    [h] = rows(home, "history")
    assert (h["match_id"], h["note"], h["evidence_url"]) == (mid, "seen", None)


def test_review_complete_refused_leaves_the_match_unreviewed(home: HomeDir, server: Server) -> None:
    mid = one_match(home, server, when="Sun, 01 Jun 2025 09:30:00 GMT")  # before the framework was signed
    refused(
        home,
        ["review", str(mid), "confirm", "--complete", "--note", "old news"],
        f"match {mid} is dated 2025-06-01 (its item's publication), which is before agreement "
        "'us-japan-minerals-framework' was signed (2025-10-28); use --force if that is right",
    )
    assert rows(home, "matches")[0]["state"] == "new"
    r = home.cli("review", str(mid), "confirm", "--complete", "--force")
    assert r.exit_code == 0, r.stderr
    assert (ministerial(home)["status"], ministerial(home)["completed_on"]) == ("complete", "2025-06-01")
    assert rows(home, "matches")[0]["state"] == "confirmed"


# ---------------------------------------------------------------- 3. verdicts before signing


def test_verdict_before_signing_needs_force(home: HomeDir) -> None:
    refused(
        home,
        ["complete", "jp-minerals-ministerial", "--on", "0001-01-01"],
        "error: --on 0001-01-01 is before agreement 'us-japan-minerals-framework' was signed (2025-10-28); "
        "use --force if that is right",
    )
    refused(home, ["status", "kr-final-text", "missed", "--on", "2025-10-28"], "was signed (2025-10-29)")
    # the signing day itself is fine, and a non-verdict only has the 1990 floor
    assert home.cli("status", "kr-tariff-15", "partial", "--on", "2025-10-29").exit_code == 0
    assert home.cli("status", "kr-final-text", "in_progress", "--on", "2025-01-01").exit_code == 0
    r = home.cli("complete", "jp-minerals-ministerial", "--on", "2025-10-01", "--force")
    assert r.exit_code == 0, r.stderr
    assert "jp-minerals-ministerial: pending → complete on 2025-10-01" in r.stdout
    assert [h["on"] for h in rows(home, "history")] == ["2025-10-01", "2025-01-01", "2025-10-29"]


def test_agreement_without_signing_date_has_a_1990_floor(home: HomeDir) -> None:
    text_ = home.milestones_yaml.read_text()
    home.milestones_yaml.write_text(text_.replace("parties: [US, KH]\n    signed: 2025-10-26\n", "parties: [US, KH]\n"))
    refused(
        home,
        ["complete", "kh-entry-into-force", "--on", "1989-12-31"],
        "error: --on 1989-12-31 is before 1990-01-01 and agreement 'us-cambodia-art' has no signing date; "
        "use --force if that is right",
    )
    assert home.cli("complete", "kh-entry-into-force", "--on", "1990-01-01").exit_code == 0
    refused(home, ["status", "kr-final-text", "stalled", "--on", "1989-12-31"], "--on 1989-12-31 is before 1990-01-01;")


# ---------------------------------------------------------------- 4. rematch after a rule is deleted


def drop_ministerial_rule(home: HomeDir) -> None:
    lines = home.milestones_yaml.read_text().splitlines(keepends=True)
    start = lines.index("  - id: jp-minerals-ministerial\n")
    end = lines.index("  - id: jp-rapid-response-group\n")
    kept = [ln for ln in lines[start:end] if not ln.startswith(("    match:", "      ", "    signals:"))]
    home.milestones_yaml.write_text("".join(lines[:start] + kept + lines[end:]))
    assert home.cli("check").stdout == "ok\n"


@pytest.mark.parametrize(
    "args", [["rematch", "--json"], ["rematch", "--milestone", "jp-minerals-ministerial", "--json"]]
)
def test_rematch_drops_unreviewed_evidence_of_a_deleted_rule(home: HomeDir, server: Server, args: list[str]) -> None:
    found = poll(
        home,
        server,
        ("g1", MINISTERIAL, "https://news.example.org/1", "Tue, 10 Mar 2026 09:30:00 GMT"),
        ("g2", MINISTERS, "https://news.example.org/2", "Wed, 11 Mar 2026 09:30:00 GMT"),
    )
    assert [r["milestone"] for r in found] == ["jp-minerals-ministerial"] * 2
    kept = found[1]["id"]
    assert home.cli("review", str(kept), "dismiss").exit_code == 0
    drop_ministerial_rule(home)
    r = home.cli(*args)
    assert r.exit_code == 0, r.stderr
    assert '"removed": 1' in r.stdout and '"added": 0' in r.stdout
    assert [(m["id"], m["state"]) for m in rows(home, "matches")] == [(kept, "dismissed")]


# ---------------------------------------------------------------- 5. a database that cannot be created


def test_init_with_an_uncreatable_database_writes_nothing(tmp_path: Path) -> None:
    target = tmp_path / "new-home"
    r = CliRunner().invoke(app, ["init", str(target)], env={"MONITOR_DATABASE_URL": "sqlite:////proc/x/db"})
    assert r.exit_code == 1, r.output
    assert r.stderr == "error: cannot create the database at /proc/x/db: No such file or directory\n"
    assert not target.exists()


def test_every_command_reports_an_uncreatable_database(tmp_path: Path) -> None:
    home = tmp_path / "h"
    assert CliRunner().invoke(app, ["init", str(home)]).exit_code == 0
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monitor_yaml = home / "config" / "monitor.yaml"
    monitor_yaml.write_text(
        monitor_yaml.read_text().replace("database_url: null", "database_url: sqlite:////proc/x/db", 1)
    )
    for args in (["milestones"], ["complete", "kr-final-text"], ["poll"], ["db", "upgrade"], ["init"]):
        r = CliRunner().invoke(app, ["--home", str(home), *args])
        assert r.exit_code == 1, (args, r.output)
        assert r.stderr == "error: cannot create the database at /proc/x/db: No such file or directory\n", args
    url = f"sqlite:///{blocker}/db.sqlite3"  # a file where a directory should be
    r = CliRunner().invoke(app, ["--home", str(home), "matches"], env={"MONITOR_DATABASE_URL": url})
    assert r.exit_code == 1 and r.stderr.startswith(f"error: cannot create the database at {blocker}/db.sqlite3: ")
    assert blocker.read_text() == ""


def test_a_directory_where_the_database_file_should_be(tmp_path: Path) -> None:
    home, where = tmp_path / "h", tmp_path / "db-dir"
    assert CliRunner().invoke(app, ["init", str(home)]).exit_code == 0
    where.mkdir()
    r = CliRunner().invoke(app, ["--home", str(home), "history"], env={"MONITOR_DATABASE_URL": f"sqlite:///{where}"})
    assert r.exit_code == 1
    assert r.stderr == f"error: cannot create the database at {where}: it is a directory\n"
    assert list(where.iterdir()) == []


def test_bad_clock_writes_nothing(home: HomeDir, tmp_path: Path) -> None:
    before = snapshot(home)
    r = home.cli("complete", "kr-final-text", MONITOR_NOW="garbage")
    assert r.exit_code == 2 and r.stderr == "error: MONITOR_NOW: not an ISO 8601 date or time: 'garbage'\n"
    assert snapshot(home) == before
    target = tmp_path / "other"
    result = CliRunner().invoke(app, ["init", str(target)], env={"MONITOR_NOW": "garbage"})
    assert result.exit_code == 2 and "MONITOR_NOW: not an ISO 8601 date or time" in result.stderr
    assert not target.exists()


# ---------------------------------------------------------------- 6. more careless input


@pytest.mark.parametrize(
    "args,message",
    [
        (["complete", "kr-final-text", "--on", "2026-02-30"], "--on: bad date '2026-02-30'"),
        (["complete", "kr-final-text", "--on", ""], "--on: bad date ''"),
        (["history", "--since", "99999-01-01"], "--since: bad date '99999-01-01'"),
        (["matches", "--since", "99999-01-01"], "--since: bad date '99999-01-01'"),
        (["complete", "kr-final-text", "--on", "2026-11-23"], "--on 2026-11-23 is in the future (today is 2026-11-22)"),
    ],
)
def test_bad_dates(home: HomeDir, args: list[str], message: str) -> None:
    refused(home, args, message)


@pytest.mark.parametrize(
    "url,message",
    [
        ("javascript:alert(1)", "--evidence: not an http(s) URL: 'javascript:alert(1)'"),
        ("https://example.org/a b", "--evidence: not an http(s) URL (it contains a space or a control character)"),
        ("https://example.org/\x07", "'https://example.org/\\x07'"),
        ("https://example.org/\u202eevil", "contains a space or a control character"),
        ("http://", "--evidence: not an http(s) URL (no host): 'http://'"),
        ("https://example.org:99999/", "--evidence: not a valid URL"),
        ("https://example.org/" + "a" * 3000, "--evidence: longer than 2048 characters: 'https://example.org/aaa"),
    ],
)
def test_bad_evidence_urls(home: HomeDir, url: str, message: str) -> None:
    refused(home, ["complete", "kr-final-text", "--evidence", url], message)


def test_statuses_are_exact(home: HomeDir) -> None:
    refused(home, ["status", "kr-final-text", "not-a-status"], "unknown status 'not-a-status' (one of: pending,")
    refused(home, ["status", "kr-final-text", "COMPLETE"], "unknown status 'COMPLETE' (did you mean 'complete'?)")
    refused(home, ["status", "kr-final-text", "complete "], "unknown status 'complete ' (did you mean 'complete'?)")


def test_ids_are_exact(home: HomeDir) -> None:
    message = "unknown milestone 'kr-final-text ' (did you mean 'kr-final-text'?)"
    refused(home, ["complete", "kr-final-text "], message)
    refused(home, ["show", "kr-final-text "], message)
    refused(home, ["history", "unknown-id"], "unknown milestone 'unknown-id'")
    refused(home, ["show", "KR-FINAL-TEXT"], "unknown milestone 'KR-FINAL-TEXT'")


def test_notes_and_names(home: HomeDir) -> None:
    refused(home, ["complete", "kr-final-text", "--note", "n" * 1_000_000], "--note: 1000000 characters is too long")
    refused(home, ["complete", "kr-final-text", "--note", "bell\x07"], "--note: contains a control character")
    refused(home, ["complete", "kr-final-text", "--by", ""], "--by: empty; give a name")
    refused(home, ["complete", "kr-final-text", "--by", "   "], "--by: empty; give a name")
    refused(home, ["complete", "kr-final-text", "--by", "b" * 201], "--by: not a name (at most 200 characters")
    note = "line one\nline\ttwo " + "n" * 9_980
    r = home.cli("complete", "kr-final-text", "--note", note, "--by", "b" * 200)
    assert r.exit_code == 0, r.stderr
    [h] = rows(home, "history")
    assert h["note"] == note and h["by"] == "b" * 200


def test_retired_milestone(home: HomeDir) -> None:
    assert home.cli("status", "jp-stockpiling", "in_progress", "--on", "2026-01-05").exit_code == 0
    lines = home.milestones_yaml.read_text().splitlines(keepends=True)
    start = lines.index("  - id: jp-stockpiling\n")
    end = lines.index("  - id: jp-investment-projects\n")
    home.milestones_yaml.write_text("".join(lines[:start] + lines[end:]))
    message = (
        "unknown milestone 'jp-stockpiling' (retired: removed from config/milestones.yaml on 2026-11-22; "
        "its history: monitor history jp-stockpiling)"
    )
    refused(home, ["show", "jp-stockpiling"], message)
    refused(home, ["complete", "jp-stockpiling"], message)
    assert [h["to"] for h in rows(home, "history", "jp-stockpiling")] == ["in_progress"]


def test_check_reports_an_uncreatable_database(tmp_path: Path) -> None:
    home = tmp_path / "h"
    assert CliRunner().invoke(app, ["init", str(home)]).exit_code == 0
    r = CliRunner().invoke(app, ["--home", str(home), "check"], env={"MONITOR_DATABASE_URL": "sqlite:////proc/x/db"})
    assert r.exit_code == 1
    assert r.stderr == "cannot create the database at /proc/x/db: No such file or directory\n"


def test_monitor_now_before_the_first_utc_instant(tmp_path: Path) -> None:
    home = tmp_path / "h"
    assert CliRunner().invoke(app, ["init", str(home)]).exit_code == 0
    r = CliRunner().invoke(app, ["--home", str(home), "milestones"], env={"MONITOR_NOW": "0001-01-01T00:00:00+01:00"})
    assert r.exit_code == 2
    assert r.stderr == "error: MONITOR_NOW: out of range: '0001-01-01T00:00:00+01:00'\n"
