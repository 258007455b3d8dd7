"""The milestone CLI through the real typer app on a real database (SQLite file, or PostgreSQL)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from monitor.cli import app
from tests.conftest import HomeDir

MILESTONE_KEYS = {"id", "agreement", "title", "status", "due", "deadline_state", "completed_on", "evidence_url"}
HISTORY_KEYS = {"milestone", "from", "to", "on", "recorded_at", "by", "note", "evidence_url"}
SHIPPED_IDS = [
    "jp-minerals-ministerial",
    "jp-rapid-response-group",
    "jp-projects-financed",
    "jp-price-floor",
    "jp-asset-sale-screening",
    "jp-stockpiling",
    "jp-investment-projects",
    "kr-final-text",
    "kr-tariff-15",
    "kr-investment-mou",
    "kr-fund-payments",
    "th-full-agreement",
    "vn-full-agreement",
    "vn-annex3-zero-tariff",
    "my-notifications",
    "my-entry-into-force",
    "my-investment-screening",
    "kh-entry-into-force",
    "cn-rare-earth-controls",
]


def by_id(rows: Any) -> dict[str, dict[str, Any]]:
    return {r["id"]: r for r in rows}


def test_milestones_lists_every_shipped_milestone(home: HomeDir) -> None:
    r = home.cli("milestones")
    assert r.exit_code == 0, r.stderr
    for id_ in SHIPPED_IDS:
        assert id_ in r.stdout
    rows = by_id(home.json("milestones"))
    assert set(SHIPPED_IDS) <= set(rows)
    for row in rows.values():
        assert set(row) >= MILESTONE_KEYS


def test_acceptance_dates_and_dependency(home: HomeDir) -> None:
    rows = by_id(home.json("milestones"))
    assert rows["jp-minerals-ministerial"]["due"] == "2026-04-26"
    assert rows["jp-minerals-ministerial"]["deadline_state"] == "overdue"
    assert rows["jp-projects-financed"]["due"] == "2026-04-28"
    assert rows["my-entry-into-force"]["deadline_state"] == "waiting"
    assert rows["my-entry-into-force"]["due"] is None
    assert rows["th-full-agreement"]["deadline_state"] == "overdue" and rows["th-full-agreement"]["soft_deadline"]

    r = home.cli("complete", "my-notifications", "--on", "2026-03-01")
    assert r.exit_code == 0, r.stderr
    assert "my-entry-into-force: due 2026-04-30" in r.stdout
    rows = by_id(home.json("milestones"))
    assert rows["my-entry-into-force"]["due"] == "2026-04-30"
    assert rows["my-entry-into-force"]["deadline_state"] == "overdue"
    assert rows["my-notifications"]["completed_on"] == "2026-03-01"


def test_complete_twice_is_a_noop(home: HomeDir) -> None:
    assert home.cli("complete", "kr-final-text", "--on", "2025-11-14").exit_code == 0
    r = home.cli("complete", "kr-final-text", "--on", "2025-11-20")
    assert r.exit_code == 0
    assert "already complete on 2025-11-14" in r.stdout
    assert len(home.json("history", "kr-final-text")) == 1


def test_status_history_and_show(home: HomeDir) -> None:
    assert (
        home.cli("status", "th-full-agreement", "in_progress", "--on", "2025-11-01", "--note", "talks").exit_code == 0
    )
    assert (
        home.cli(
            "status",
            "th-full-agreement",
            "stalled",
            "--on",
            "2025-11-11",
            "--by",
            "ana",
            "--evidence",
            "https://example.org/suspended",
        ).exit_code
        == 0
    )
    rows = home.json("history")
    assert [(h["from"], h["to"]) for h in rows] == [("in_progress", "stalled"), ("pending", "in_progress")]
    assert all(set(h) >= HISTORY_KEYS for h in rows)
    assert rows[0]["by"] == "ana" and rows[1]["by"] == "tester" and rows[1]["note"] == "talks"
    assert home.json("history", "--since", "2025-11-05")[0]["to"] == "stalled"
    assert home.json("history", "jp-stockpiling") == []

    detail = home.json("show", "th-full-agreement")
    assert detail["status"] == "stalled" and detail["evidence_url"] == "https://example.org/suspended"
    assert detail["due_rule"] == "expected 2025-12-31 (soft target)"
    assert len(detail["history"]) == 2
    r = home.cli("show", "my-notifications")
    assert r.exit_code == 0 and "dependants  my-entry-into-force" in r.stdout


def test_verdicts_met_and_late(home: HomeDir) -> None:
    home.cli("complete", "jp-minerals-ministerial", "--on", "2026-04-20")
    home.cli("status", "jp-projects-financed", "partial", "--on", "2026-05-01")
    rows = by_id(home.json("milestones", "--agreement", "us-japan-minerals-framework"))
    assert rows["jp-minerals-ministerial"]["deadline_state"] == "met"
    assert rows["jp-projects-financed"]["deadline_state"] == "late"
    assert rows["jp-projects-financed"]["completed_on"] == "2026-05-01"
    reopened = home.cli("status", "jp-minerals-ministerial", "in_progress")
    assert reopened.exit_code == 0
    assert by_id(home.json("milestones"))["jp-minerals-ministerial"]["completed_on"] is None


def test_filters(home: HomeDir) -> None:
    assert {r["id"] for r in home.json("milestones", "--country", "my")} == {
        "my-notifications",
        "my-entry-into-force",
        "my-investment-screening",
        "my-minerals-cooperation",
    }
    assert {r["id"] for r in home.json("milestones", "--deadline", "waiting")} == {
        "my-entry-into-force",
        "kh-entry-into-force",
    }
    home.cli("status", "kr-tariff-15", "complete", "--on", "2025-12-01")
    assert [r["id"] for r in home.json("milestones", "--status", "complete")] == ["kr-tariff-15"]
    assert len(home.json("milestones", "--agreement", "us-korea-deal")) == 5


@pytest.mark.parametrize(
    "args,message",
    [
        (
            ["complete", "my-notifcations"],
            "error: unknown milestone 'my-notifcations' (did you mean 'my-notifications',",
        ),
        (["show", "jp-ministerial"], "error: unknown milestone 'jp-ministerial' (did you mean"),
        (["history", "nope-nope"], "error: unknown milestone 'nope-nope'"),
        (["complete", "kr-final-text", "--on", "2026-02-30"], "error: --on: bad date '2026-02-30'"),
        (["complete", "kr-final-text", "--on", "yesterday"], "error: --on: bad date 'yesterday'"),
        (["complete", "kr-final-text", "--on", "2027-01-01"], "error: --on 2027-01-01 is in the future"),
        (["status", "kr-final-text", "done"], "error: unknown status 'done' (one of: pending, in_progress"),
        (["status", "kr-final-text", "complete", "--evidence", "not a url"], "error: --evidence: not an http(s) URL"),
        (["milestones", "--agreement", "us-japan"], "error: unknown agreement 'us-japan' (did you mean"),
        (["milestones", "--status", "finished"], "error: unknown status 'finished'"),
        (["milestones", "--deadline", "soon"], "error: unknown deadline state 'soon'"),
        (["milestones", "--country", "FR"], "error: unknown country 'FR'"),
        (["history", "--since", "2026-13-01"], "error: --since: bad date '2026-13-01'"),
    ],
)
def test_bad_input_exits_2_with_one_line(home: HomeDir, args: list[str], message: str) -> None:
    before = home.json("history")
    r = home.cli(*args)
    assert r.exit_code == 2
    assert r.stderr.startswith(message), r.stderr
    assert r.stderr.count("\n") == 1
    assert home.json("history") == before


def test_not_a_home(tmp_path: Path) -> None:
    for args in (["milestones"], ["complete", "x"], ["check"], ["db", "upgrade"]):
        r = CliRunner().invoke(app, ["--home", str(tmp_path), *args])
        assert r.exit_code == 2
        assert r.stderr == f"error: no monitor home at {tmp_path} (run 'monitor init {tmp_path}')\n"
    assert list(tmp_path.iterdir()) == []


def test_home_from_environment(home: HomeDir, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    r = CliRunner().invoke(app, ["milestones"], env={**home.env, "MONITOR_HOME": str(home.path)})
    assert r.exit_code == 0 and "jp-stockpiling" in r.stdout
    monkeypatch.chdir(home.path)
    r = CliRunner().invoke(app, ["milestones", "--json"], env=home.env)
    assert r.exit_code == 0 and "jp-stockpiling" in r.stdout


def test_broken_config_exits_2_and_writes_nothing(home: HomeDir) -> None:
    home.cli("status", "kr-final-text", "in_progress")
    text = home.milestones_yaml.read_text()
    home.milestones_yaml.write_text(
        text.replace("due: {after: my-notifications, days: 60}", "due: {after: my-notify, days: 60}")
    )
    r = home.cli("complete", "kr-final-text")
    assert r.exit_code == 2
    assert r.stderr.startswith("error: config/milestones.yaml: milestones[18].due.after: unknown milestone 'my-notify'")
    check = home.cli("check")
    assert check.exit_code == 2 and "unknown milestone 'my-notify'" in check.stderr
    home.milestones_yaml.write_text(text)
    assert [h["to"] for h in home.json("history")] == ["in_progress"]
    assert home.cli("check").stdout == "ok\n"


def test_config_changes_never_reset_status_and_retire(home: HomeDir) -> None:
    home.cli("complete", "cn-rare-earth-controls", "--on", "2025-11-09")
    data = yaml.safe_load(home.milestones_yaml.read_text())
    original = home.milestones_yaml.read_text()
    for m in data["milestones"]:
        if m["id"] == "cn-rare-earth-controls":
            m["title"] = "China suspends rare-earth export controls (renamed)"
    data["milestones"] = [m for m in data["milestones"] if m["id"] != "jp-stockpiling"]
    home.milestones_yaml.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
    rows = by_id(home.json("milestones"))
    assert "jp-stockpiling" not in rows
    assert rows["cn-rare-earth-controls"]["status"] == "complete"
    assert rows["cn-rare-earth-controls"]["title"].endswith("(renamed)")
    r = home.cli("complete", "jp-stockpiling")
    assert r.exit_code == 2 and "unknown milestone 'jp-stockpiling'" in r.stderr
    home.milestones_yaml.write_text(original)
    assert "jp-stockpiling" in by_id(home.json("milestones"))
    assert len(home.json("history", "cn-rare-earth-controls")) == 1


def test_init_never_overwrites(tmp_path: Path) -> None:
    target = tmp_path / "h"
    (target / "config").mkdir(parents=True)
    (target / "config" / "feeds.yaml").write_text("feeds: []\n")
    r = CliRunner().invoke(app, ["init", str(target)])
    assert r.exit_code == 0, r.stderr
    assert "kept existing config/feeds.yaml" in r.stdout
    assert "created config/milestones.yaml" in r.stdout
    assert (target / "config" / "feeds.yaml").read_text() == "feeds: []\n"
    again = CliRunner().invoke(app, ["init", str(target)])
    assert again.exit_code == 0 and again.stdout.count("kept existing") == 3


def test_db_upgrade_and_check(home: HomeDir) -> None:
    r = home.cli("db", "upgrade")
    assert r.exit_code == 0 and "already at revision" in r.stdout
    assert home.cli("check").stdout == "ok\n"


def test_help_has_examples() -> None:
    for cmd in ("init", "check", "milestones", "show", "complete", "status", "history"):
        r = CliRunner().invoke(app, [cmd, "--help"])
        assert r.exit_code == 0 and "Example: monitor" in r.stdout, cmd


def test_database_down_exits_1(home: HomeDir) -> None:
    down = "postgresql+psycopg://postgres@127.0.0.1:9/test"
    for args in (["milestones"], ["poll"], ["complete", "kr-final-text"]):
        r = home.cli(*args, MONITOR_DATABASE_URL=down)
        assert r.exit_code == 1, (args, r.stderr)
        assert r.stderr.startswith("error: database postgresql+psycopg://postgres@127.0.0.1:9/test: ")
        assert r.stderr.count("\n") == 1
