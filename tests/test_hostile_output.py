"""Nothing from data reaches the terminal as markup or control characters: feed titles, snippets, stored errors,
notes and command-line values are shown as text, with control characters as visible escapes."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from rich.text import Text
from sqlalchemy import create_engine, text

from monitor.cli.output import console, fail
from monitor.cli.safe import json_visible, safe_text, visible
from tests.conftest import HomeDir, write_feeds
from tests.httpserver import Response, Server, rss

MATCHING = "US and Japan hold critical minerals ministerial"  # matches jp-minerals-ministerial
ESCAPES = "\x1b[2J \x1b]0;title\x07 \x1b[31m"
SHOWN_ESCAPES = "\\x1b[2J \\x1b]0;title\\x07 \\x1b[31m"
C1_BIDI = "\x9b6n \u202egnp.exe"
SHOWN_C1_BIDI = "\\x9b6n \\u202egnp.exe"
# Sequences from the data that rich's own output on a terminal never contains (it does write red, \x1b[31m).
HOSTILE_BYTES = ("\x1b[2J", "\x1b]", "\x07", "\x9b", "\u202e")
TERMINAL = {"TTY_COMPATIBLE": "1", "COLUMNS": "300", "TERM": "xterm-256color"}


def no_escape(*outputs: str) -> None:
    for out in outputs:
        assert "\x1b" not in out and "\x07" not in out and "\x9b" not in out and "\u202e" not in out


def serve_rss(home: HomeDir, server: Server, *items: tuple[str, str]) -> None:
    server.routes["/feed"] = Response(body=rss(*items))
    write_feeds(home, [{"id": "news", "type": "rss", "url": server.url("/feed")}])


def serve_fr(home: HomeDir, server: Server, doc: dict[str, Any]) -> None:
    server.routes["/fr.json"] = Response(body=json.dumps(doc).encode(), headers={"Content-Type": "application/json"})
    write_feeds(home, [{"id": "fr", "type": "federal_register", "url": server.url("/fr.json")}])


def poll_ok(home: HomeDir, **env: str) -> str:
    r = home.cli("poll", **env)
    assert r.exit_code == 0, r.stderr
    assert r.stderr == ""
    return r.stdout


def lines_with(out: str, part: str) -> list[str]:
    return [line for line in out.splitlines() if part in line]


def cells(line: str) -> list[str]:
    return [c.strip() for c in line.split("│")[1:-1]]


def sql(home: HomeDir, statement: str, **params: str) -> None:
    """Write a row as an older version (or another writer) may have left it: straight into the database."""
    url = home.env.get("MONITOR_DATABASE_URL") or f"sqlite:///{home.path}/db/monitor.sqlite3"
    engine = create_engine(url)
    with engine.begin() as c:
        c.execute(text(statement), params)
    engine.dispose()


# ---------------------------------------------------------------- pure


def test_visible_escapes_controls_and_keeps_text() -> None:
    assert visible("Japan [/x] [word] [link=https://evil.example]click[/link]") == (
        "Japan [/x] [word] [link=https://evil.example]click[/link]"
    )
    assert visible(ESCAPES) == SHOWN_ESCAPES
    assert visible("a\x00b\x7fc\x85d\x9fe") == "a\\x00b\\x7fc\\x85d\\x9fe"
    assert visible("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069") == (
        "\\u202a\\u202b\\u202c\\u202d\\u202e\\u2066\\u2067\\u2068\\u2069"
    )
    assert visible("line one\nline two\r\nthree\tfour\rfive") == "line one line two three four five"
    assert visible("Ünïcödé — 日本 العربية ›") == "Ünïcödé — 日本 العربية ›"


def test_json_visible_escapes_c1_and_bidi_but_parses_back() -> None:
    value = {"t": "a\x9b[2J b\u202ec d\x7f e\x1b[31m [/x] 日本"}
    doc = json_visible(json.dumps(value, ensure_ascii=False))
    assert doc == '{"t": "a\\u009b[2J b\\u202ec d\\u007f e\\u001b[31m [/x] 日本"}'
    assert json.loads(doc) == value


def test_safe_text_keeps_styles_on_their_pieces() -> None:
    t = Text.assemble("due ", ("over\x1bdue", "bold red"), " x\u202e")
    s = safe_text(t)
    assert s.plain == "due over\\x1bdue x\\u202e"
    assert [(s.plain[sp.start : sp.end], str(sp.style)) for sp in s.spans] == [("over\\x1bdue", "bold red")]
    plain = Text("nothing to do", style="bold")
    assert safe_text(plain) is plain


def test_terminal_console_prints_data_as_text() -> None:
    buf = io.StringIO()
    out = console(force_terminal=True, file=buf, width=120, color_system="standard")
    assert out.is_terminal
    out.print("[link=https://evil.example]click[/link] [word] :smile: [/x] " + ESCAPES + " " + C1_BIDI)
    out.print(Text("title [/b] \x1b[2J", style="bold"))
    written = buf.getvalue()
    assert written == (
        "[link=https://evil.example]click[/link] [word] :smile: [/x] " + SHOWN_ESCAPES + " " + SHOWN_C1_BIDI + "\n"
        "\x1b[1mtitle [/b] \\x1b[2J\x1b[0m\n"
    )


def test_fail_shows_the_message_as_one_visible_line(capsys: pytest.CaptureFixture[str]) -> None:
    exit_ = fail("unknown thing \x1b[2J\n[/x] \u202e", 2)
    assert exit_.exit_code == 2
    assert capsys.readouterr().err == "error: unknown thing \\x1b[2J [/x] \\u202e\n"


# ---------------------------------------------------------------- feed items


HOSTILE_TITLES = [
    f"{MATCHING}: Japan [/x]",
    f"{MATCHING} [link=https://evil.example]click[/link]",
    f"{MATCHING} [word] [bold]b[/bold]",
]


def test_markup_in_titles_is_shown_as_text(home: HomeDir, server: Server) -> None:
    serve_rss(home, server, *((t, "Ministers met in Tokyo.") for t in HOSTILE_TITLES))
    out = poll_ok(home)
    assert [cells(line) for line in lines_with(out, "news")] == [["news", "new", "3", "0", "3", "200", ""]]
    matches = home.cli("matches")
    show = home.cli("show", "jp-minerals-ministerial")
    for r in (matches, show):
        assert r.exit_code == 0 and r.stderr == ""
        for title in HOSTILE_TITLES:
            assert len(lines_with(r.stdout, title)) == 1, (title, r.stdout)
        no_escape(r.stdout)
    assert "3 matches" in matches.stdout


def test_markup_on_a_terminal_is_not_applied(home: HomeDir, server: Server, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    serve_rss(home, server, *((t, "Ministers met in Tokyo.") for t in HOSTILE_TITLES))
    poll_ok(home, **TERMINAL)
    for args in (["matches"], ["show", "jp-minerals-ministerial"]):
        r = home.cli(*args, **TERMINAL)
        assert r.exit_code == 0 and r.stderr == ""
        assert "\x1b[1m" in r.stdout  # the styled path: rich writes its own bold headers
        assert "\x1b]8;" not in r.stdout  # no OSC 8 hyperlink
        for title in HOSTILE_TITLES:
            assert len(lines_with(r.stdout, title)) == 1, (title, r.stdout)


def test_control_sequences_in_titles_and_snippets_are_visible(home: HomeDir, server: Server) -> None:
    title = f"{MATCHING} {ESCAPES}"
    serve_rss(home, server, (title, f"Ministers met in Tokyo {ESCAPES} [word]."))
    poll_ok(home)
    for args in (["matches"], ["show", "jp-minerals-ministerial"]):
        r = home.cli(*args)
        assert r.exit_code == 0 and r.stderr == ""
        assert len(lines_with(r.stdout, f"{MATCHING} {SHOWN_ESCAPES}")) == 1, r.stdout
        no_escape(r.stdout)
    raw = home.cli("matches", "--json")
    assert raw.exit_code == 0
    no_escape(raw.stdout)
    [m] = json.loads(raw.stdout)
    assert m["item_title"] == title
    assert m["snippet"] == f"Ministers met in Tokyo {ESCAPES} [word]."


def test_control_sequences_on_a_terminal_are_visible(
    home: HomeDir, server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    serve_rss(home, server, (f"{MATCHING} {ESCAPES}", "Ministers met in Tokyo."))
    poll_ok(home, **TERMINAL)
    for args in (["matches"], ["show", "jp-minerals-ministerial"]):
        r = home.cli(*args, **TERMINAL)
        assert r.exit_code == 0 and r.stderr == ""
        assert "\x1b[1m" in r.stdout
        assert len(lines_with(r.stdout, f"{MATCHING} {SHOWN_ESCAPES}")) == 1, r.stdout
        for seq in HOSTILE_BYTES:
            assert seq not in r.stdout, seq


def test_c1_and_bidi_controls_are_visible_and_json_stays_exact(home: HomeDir, server: Server) -> None:
    title = f"{MATCHING} {C1_BIDI}"
    abstract = f"Ministers met in Tokyo {C1_BIDI} {ESCAPES}"
    doc = {
        "results": [
            {
                "document_number": "2025-1",
                "title": title,
                "abstract": abstract,
                "html_url": "https://www.federalregister.gov/d/2025-1",
                "publication_date": "2025-12-01",
            }
        ]
    }
    serve_fr(home, server, doc)
    poll_ok(home)
    for args in (["matches"], ["show", "jp-minerals-ministerial"]):
        r = home.cli(*args)
        assert r.exit_code == 0 and r.stderr == ""
        assert len(lines_with(r.stdout, f"{MATCHING} {SHOWN_C1_BIDI}")) == 1, r.stdout
        no_escape(r.stdout)
    raw = home.cli("matches", "--json")
    assert raw.exit_code == 0
    no_escape(raw.stdout)
    assert "\\u009b6n \\u202egnp.exe" in raw.stdout
    [m] = json.loads(raw.stdout)
    assert m["item_title"] == title and m["sources"][0]["title"] == title
    assert m["snippet"] == f"Ministers met in Tokyo {C1_BIDI} {ESCAPES}"


# ---------------------------------------------------------------- stored feed errors


def stored_errors(home: HomeDir) -> dict[str, str]:
    """The stored error of each feed, and a check that it still carries the markup-like text from the server."""
    errors = {f["id"]: f["last_error"] for f in home.json("feeds")}  # type: ignore[union-attr]
    assert errors["odd"] == "not a feed (text/[/x])"
    assert errors["fr"].startswith("Federal Register API error: ") and "[/x]" in errors["fr"]
    return errors


def serve_broken(home: HomeDir, server: Server) -> None:
    server.routes["/odd"] = Response(body=b"hello", headers={"Content-Type": "text/[/x]"})
    server.routes["/fr.json"] = Response(
        body=b'{"errors": {"conditions": ["[/x] \\u001b[2J"]}}', headers={"Content-Type": "application/json"}
    )
    write_feeds(
        home,
        [
            {"id": "odd", "type": "rss", "url": server.url("/odd")},
            {"id": "fr", "type": "federal_register", "url": server.url("/fr.json")},
        ],
    )


def test_feed_errors_are_shown_as_text(home: HomeDir, server: Server) -> None:
    serve_broken(home, server)
    out = poll_ok(home)
    assert [cells(line) for line in lines_with(out, "odd")] == [
        ["odd", "error", "0", "0", "0", "200", "not a feed (text/[/x])"]
    ]
    fr_error = visible(stored_errors(home)["fr"])
    assert len(lines_with(out, f"│ {fr_error} ")) == 1, out
    no_escape(out)
    r = home.cli("feeds")
    assert r.exit_code == 0 and r.stderr == ""
    assert len(lines_with(r.stdout, "│ not a feed (text/[/x])")) == 1, r.stdout
    assert len(lines_with(r.stdout, f"│ {fr_error} ")) == 1, r.stdout
    no_escape(r.stdout)
    sql(home, "UPDATE feeds SET last_error = :e WHERE id = 'odd'", e=f"old error {ESCAPES} {C1_BIDI}")
    r = home.cli("feeds")
    assert r.exit_code == 0 and r.stderr == ""
    assert len(lines_with(r.stdout, f"│ old error {SHOWN_ESCAPES} {SHOWN_C1_BIDI}")) == 1, r.stdout
    no_escape(r.stdout)


def test_feed_errors_on_a_terminal(home: HomeDir, server: Server, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    serve_broken(home, server)
    out = poll_ok(home, **TERMINAL)  # with the progress bar
    fr_error = visible(stored_errors(home)["fr"])
    assert len(lines_with(out, "│ not a feed (text/[/x])")) == 1, out
    assert len(lines_with(out, f"│ {fr_error} ")) == 1, out
    r = home.cli("feeds", **TERMINAL)
    assert r.exit_code == 0 and r.stderr == ""
    assert "\x1b[1m" in r.stdout
    assert len(lines_with(r.stdout, "│ not a feed (text/[/x])")) == 1, r.stdout
    assert len(lines_with(r.stdout, f"│ {fr_error} ")) == 1, r.stdout
    for seq in HOSTILE_BYTES:
        assert seq not in r.stdout, seq


# ---------------------------------------------------------------- notes, names, command-line values


def test_notes_and_names_are_shown_as_text(home: HomeDir) -> None:
    note = "[/b] [link=https://evil.example]x[/link] [word]"
    r = home.cli("status", "jp-minerals-ministerial", "in_progress", "--note", note, "--by", "[/b]")
    assert r.exit_code == 0, r.stderr
    views = (["history"], ["history", "jp-minerals-ministerial"], ["show", "jp-minerals-ministerial"])
    for args in views:
        r = home.cli(*args)
        assert r.exit_code == 0 and r.stderr == "", (args, r.stderr)
        [line] = lines_with(r.stdout, note)
        assert "│ [/b] " in line
        no_escape(r.stdout)
    # Control characters are refused on input now; a row stored before (or by another writer) still shows safely.
    sql(home, "UPDATE status_history SET note = :n, by = :b", n="[/b] \x1b[2J \u202e\nsecond line", b="[/b]\x1b[31m")
    for args in views:
        r = home.cli(*args)
        assert r.exit_code == 0 and r.stderr == "", (args, r.stderr)
        [line] = lines_with(r.stdout, "[/b] \\x1b[2J \\u202e second line")
        assert "│ [/b]\\x1b[31m " in line
        no_escape(r.stdout)
    [change] = home.json("history")  # type: ignore[misc]
    assert change["note"] == "[/b] \x1b[2J \u202e\nsecond line" and change["by"] == "[/b]\x1b[31m"


def test_unknown_id_with_escapes_is_one_visible_error_line(home: HomeDir) -> None:
    r = home.cli("show", "jp\x1b[2J\u202e")
    assert r.exit_code == 2
    assert r.stdout == ""
    assert r.stderr == "error: unknown milestone 'jp\\x1b[2J\\u202e'\n"


def test_command_line_path_in_error_is_visible(tmp_path: Path) -> None:
    where = tmp_path / "no\x1b[2J[/x]\u202e"
    r = HomeDir(where, {}).cli("milestones")
    assert r.exit_code == 2
    shown = str(where).replace("\x1b", "\\x1b").replace("\u202e", "\\u202e")
    assert r.stderr == f"error: no monitor home at {shown} (run 'monitor init {shown}')\n"
