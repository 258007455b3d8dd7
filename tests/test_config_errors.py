"""A table of broken configs, each with the one line a user should see."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from monitor import config
from monitor.home import Home
from monitor.resources import default_config_dir

SHIPPED_FEEDS = len(yaml.safe_load((default_config_dir() / "feeds.yaml").read_text(encoding="utf-8"))["feeds"])  # a feed appended gets this index

Data = dict[str, Any]


def _ms(data: Data) -> list[Data]:
    return data["milestones"]


def _by_id(data: Data, id_: str) -> Data:
    return next(m for m in data["milestones"] if m["id"] == id_)


# (name, file, mutation of the parsed YAML, expected message)
CASES: list[tuple[str, str, Callable[[Data], None], str]] = [
    (
        "a title: term in a signal vocabulary",
        "milestones.yaml",
        lambda d: d["signals"]["completion"].append("title:signed"),
        "config/milestones.yaml: signals.completion: 'title:signed': a signal term is a word, phrase, prefix* or "
        "/regex/, not 'title:'",
    ),
    (
        "near in a milestone's own signals",
        "milestones.yaml",
        lambda d: _by_id(d, "kr-final-text")["signals"]["completion"].append("fact near released"),
        "signals.completion: 'fact near released': a signal term is a word, phrase, prefix* or /regex/, not 'near'",
    ),
    (
        "an alias holding 'near' in a milestone's own signals",
        "milestones.yaml",
        lambda d: (
            d["aliases"].update(released_near=["fact near released"]),
            _by_id(d, "kr-final-text")["signals"]["completion"].append("@released_near"),
        ),
        "signals.completion: '@released_near' holds 'fact near released': a signal term is a word, phrase, prefix* "
        "or /regex/, not 'near'",
    ),
    (
        "an unknown alias in the global signals",
        "milestones.yaml",
        lambda d: d["signals"]["delay"].append("@delay_wrods"),
        "config/milestones.yaml: signals.delay: unknown alias '@delay_wrods'",
    ),
    (
        "a bad match.since",
        "milestones.yaml",
        lambda d: _by_id(d, "cn-pause-end")["match"].update(since="2025-10-32"),
        "match.since: not a valid date (YYYY-MM-DD): '2025-10-32'",
    ),
    (
        "a match.since not after the agreement's own floor",
        "milestones.yaml",
        lambda d: _by_id(d, "kr-tariff-15")["match"].update(since="2024-10-29"),
        "match.since: 2024-10-29 is not after the agreement's own floor (2024-10-29, a year before its signing)",
    ),
    (
        "a bad match.completed_on",
        "milestones.yaml",
        lambda d: _by_id(d, "kr-final-text")["match"].update(completed_on="2025-11-31"),
        "match.completed_on: not a valid date (YYYY-MM-DD): '2025-11-31'",
    ),
    (
        "a match.completed_on before the rule's own since",
        "milestones.yaml",
        lambda d: _by_id(d, "cn-rare-earth-controls")["match"].update(completed_on="2025-10-08"),
        "match.completed_on: 2025-10-08 is before match.since (2025-10-09): no item could report the completion",
    ),
    (
        "a match.completed_on before the agreement's own floor",
        "milestones.yaml",
        lambda d: _by_id(d, "kr-final-text")["match"].update(completed_on="2024-01-01"),
        "match.completed_on: 2024-01-01 is before the agreement's own floor (2024-10-29): no item could report the "
        "completion",
    ),
    (
        "unknown due.after",
        "milestones.yaml",
        lambda d: _by_id(d, "my-entry-into-force")["due"].update(after="my-notify"),
        "config/milestones.yaml: milestones[18].due.after: unknown milestone 'my-notify' (did you mean 'my-notifications'?)",
    ),
    (
        "unknown agreement",
        "milestones.yaml",
        lambda d: _ms(d)[0].update(agreement="us-japan"),
        "config/milestones.yaml: milestones[0].agreement: unknown agreement 'us-japan'",
    ),
    (
        "duplicate milestone id",
        "milestones.yaml",
        lambda d: _ms(d)[1].update(id="jp-minerals-ministerial"),
        "config/milestones.yaml: milestones[1].id: duplicate id 'jp-minerals-ministerial' (first at milestones[0])",
    ),
    (
        "bad id",
        "milestones.yaml",
        lambda d: _ms(d)[0].update(id="JP Ministerial"),
        "config/milestones.yaml: milestones[0].id: String should match pattern",
    ),
    (
        "unknown key",
        "milestones.yaml",
        lambda d: _ms(d)[2].update(deu={"days": 3}),
        "config/milestones.yaml: milestones[2].deu: unknown key",
    ),
    (
        "impossible date",
        "milestones.yaml",
        lambda d: _ms(d)[0].update(due="2026-02-30"),
        "config/milestones.yaml: milestones[0].due: not a valid date (YYYY-MM-DD): '2026-02-30'",
    ),
    (
        "bad due shape",
        "milestones.yaml",
        lambda d: _ms(d)[0].update(due={"after": "signed"}),
        "config/milestones.yaml: milestones[0].due: expected a date",
    ),
    (
        "dependency cycle",
        "milestones.yaml",
        lambda d: _by_id(d, "my-notifications").update(due={"after": "my-entry-into-force", "days": 1}),
        "dependency cycle my-notifications -> my-entry-into-force -> my-notifications",
    ),
    (
        "self dependency",
        "milestones.yaml",
        lambda d: _ms(d)[0].update(due={"after": "jp-minerals-ministerial", "days": 1}),
        "config/milestones.yaml: milestones[0].due.after: a milestone cannot depend on itself",
    ),
    (
        "unknown alias",
        "milestones.yaml",
        lambda d: _ms(d)[0]["match"].update(all=["@japn", "ministerial"]),
        "config/milestones.yaml: milestones[0].match.all[0]: unknown alias '@japn' (did you mean '@japan'?)",
    ),
    (
        "broken regex",
        "milestones.yaml",
        lambda d: _ms(d)[0]["match"].update(any=["/minist(er/"]),
        "config/milestones.yaml: milestones[0].match.any: bad regular expression '/minist(er/'",
    ),
    (
        "empty all",
        "milestones.yaml",
        lambda d: _ms(d)[0]["match"].update(all=[]),
        "config/milestones.yaml: milestones[0].match.all: 'all' is empty",
    ),
    (
        "match without all or any",
        "milestones.yaml",
        lambda d: _ms(d)[0].update(match={"none": ["x"]}),
        "config/milestones.yaml: milestones[0].match: give 'all' or 'any'",
    ),
    (
        "bad agreement kind",
        "milestones.yaml",
        lambda d: d["agreements"][0].update(kind="treaty"),
        "config/milestones.yaml: agreements[0].kind: Input should be",
    ),
    (
        "bad party",
        "milestones.yaml",
        lambda d: d["agreements"][0].update(parties=["USA"]),
        "config/milestones.yaml: agreements[0].parties: not a two-letter country code: 'USA'",
    ),
    (
        "unknown signal kind",
        "milestones.yaml",
        lambda d: d["signals"].update(victory=["won"]),
        "config/milestones.yaml: signals.victory",
    ),
    (
        "alias names alias",
        "milestones.yaml",
        lambda d: d["aliases"].update(x=["@japan"]),
        "config/milestones.yaml: aliases: alias 'x': aliases cannot refer to other aliases",
    ),
    (
        "signed needed",
        "milestones.yaml",
        lambda d: d["agreements"][0].pop("signed"),
        "config/milestones.yaml: milestones[0].due.after: agreement 'us-japan-minerals-framework' has no 'signed' date",
    ),
    (
        "feed bad type",
        "feeds.yaml",
        lambda d: d["feeds"][0].update(type="atom"),
        "config/feeds.yaml: feeds[0].type: Input should be 'rss', 'federal_register' or 'html'",
    ),
    (
        "feed duplicate id",
        "feeds.yaml",
        lambda d: d["feeds"][1].update(id=d["feeds"][0]["id"]),
        "config/feeds.yaml: feeds[1].id: duplicate id 'wh-presidential-actions'",
    ),
    (
        "html feed without select",
        "feeds.yaml",
        lambda d: d["feeds"].append({"id": "x", "type": "html", "url": "https://example.org/"}),
        f"config/feeds.yaml: feeds[{SHIPPED_FEEDS}].select: required for an html feed",
    ),
    (
        "bad css selector",
        "feeds.yaml",
        lambda d: d["feeds"].append(
            {
                "id": "x",
                "type": "html",
                "url": "https://example.org/",
                "select": {"item": "li[", "title": "a", "link": "a@href"},
            }
        ),
        f"config/feeds.yaml: feeds[{SHIPPED_FEEDS}].select.item: bad CSS selector 'li['",
    ),
    (
        "bad cron",
        "monitor.yaml",
        lambda d: d["schedule"].update(poll="0 25 * * *"),
        "config/monitor.yaml: schedule.poll: not a crontab expression '0 25 * * *'",
    ),
    (
        "bad timezone",
        "monitor.yaml",
        lambda d: d.update(timezone="Mars/Olympus"),
        "config/monitor.yaml: timezone: unknown timezone 'Mars/Olympus'",
    ),
    (
        "unknown setting",
        "monitor.yaml",
        lambda d: d["http"].update(timeoutt=3),
        "config/monitor.yaml: http.timeoutt: unknown key",
    ),
    (
        "bad setting type",
        "monitor.yaml",
        lambda d: d["http"].update(concurrency="many"),
        "config/monitor.yaml: http.concurrency: Input should be a valid integer",
    ),
]


def _home(tmp_path: Path) -> Home:
    shutil.copytree(default_config_dir(), tmp_path / "config")
    return Home(tmp_path)


def _mutate(home: Home, name: str, change: Callable[[Data], None]) -> None:
    path = home.config_dir / name
    data = yaml.safe_load(path.read_text())
    change(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))


def test_shipped_config_is_valid(tmp_path: Path) -> None:
    cfg, found = config.problems(_home(tmp_path), environ={})
    assert found == []
    assert cfg is not None


@pytest.mark.parametrize("name,file,change,expected", CASES, ids=[c[0] for c in CASES])
def test_broken_config(tmp_path: Path, name: str, file: str, change: Callable[[Data], None], expected: str) -> None:
    home = _home(tmp_path)
    _mutate(home, file, change)
    cfg, found = config.problems(home, environ={})
    assert cfg is None
    assert any(line.startswith(expected) or expected in line for line in found), found


def test_an_alias_in_a_signal_vocabulary_stands_for_its_terms(tmp_path: Path) -> None:
    home = _home(tmp_path)

    def change(d: Data) -> None:
        d["aliases"]["met_words"] = ["convened", "sat down*"]
        _by_id(d, "kr-final-text")["signals"]["completion"].append("@met_words")

    _mutate(home, "milestones.yaml", change)
    cfg, found = config.problems(home, environ={})
    assert found == [] and cfg is not None
    own = dict(next(m for m in cfg.definitions.milestones if m.id == "kr-final-text").signals)
    written = [t.source for t in own["completion"]]
    assert written[-2:] == ["convened", "sat down*"] and "@met_words" not in written
    assert [t.kind for t in own["completion"][-2:]] == ["phrase", "prefix"]


def test_match_since_is_the_rules_date_floor_with_a_days_slack(tmp_path: Path) -> None:
    """The rule's floor: a year before its agreement's signing, or the day before its own `since` (an item's
    UTC date can be a day behind its local one)."""
    import datetime as dt

    home = _home(tmp_path)
    _mutate(home, "milestones.yaml", lambda d: _by_id(d, "kr-final-text")["match"].update(since="2025-11-01"))
    cfg, found = config.problems(home, environ={})
    assert found == [] and cfg is not None
    rules = {m.id: m.match for m in cfg.definitions.milestones}
    assert rules["kr-final-text"] is not None and rules["kr-final-text"].not_before == dt.date(2025, 10, 31)
    assert rules["kr-tariff-15"] is not None and rules["kr-tariff-15"].not_before == dt.date(2024, 10, 29)


def test_an_alias_in_a_vocabulary_reads_the_agreements_acronyms(tmp_path: Path) -> None:
    """Written out in its place: ART, the Malaysian agreement's acronym, is an acronym with its expansion in
    my-notifications' vocabulary whether it is written there or comes through an alias."""
    home = _home(tmp_path)

    def change(d: Data) -> None:
        d["aliases"]["art_words"] = ["ART"]
        _by_id(d, "my-notifications")["signals"]["completion"] = ["@art_words"]
        _by_id(d, "my-entry-into-force")["signals"]["completion"] = ["ART"]

    _mutate(home, "milestones.yaml", change)
    cfg, found = config.problems(home, environ={})
    assert found == [] and cfg is not None
    both = ("my-notifications", "my-entry-into-force")
    own = {m.id: dict(m.signals)["completion"] for m in cfg.definitions.milestones if m.id in both}
    via_alias = [(t.kind, t.text) for t in own["my-notifications"]]
    assert via_alias == [(t.kind, t.text) for t in own["my-entry-into-force"]]
    assert via_alias[0] == ("acronym", "art") and len(via_alias) == 2  # and its expansion


def test_yaml_syntax_error_names_line(tmp_path: Path) -> None:
    home = _home(tmp_path)
    (home.config_dir / "feeds.yaml").write_text("feeds:\n  - id: a\n   type: rss\n")
    _, found = config.problems(home, environ={})
    assert found and found[0].startswith("config/feeds.yaml: line 3, column 4: YAML syntax error")


def test_missing_file(tmp_path: Path) -> None:
    home = _home(tmp_path)
    (home.config_dir / "feeds.yaml").unlink()
    _, found = config.problems(home, environ={})
    assert found == ["config/feeds.yaml: file not found"]


def test_all_problems_reported_at_once(tmp_path: Path) -> None:
    home = _home(tmp_path)
    _mutate(home, "monitor.yaml", lambda d: d.update(timezone="Nowhere/Land"))
    _mutate(home, "milestones.yaml", lambda d: (_ms(d)[0].update(agreement="nope"), _ms(d)[1].update(due="x")))
    _, found = config.problems(home, environ={})
    assert len(found) == 3, found


def test_env_override_and_error_names_variable(tmp_path: Path) -> None:
    home = _home(tmp_path)
    cfg, _ = config.problems(
        home,
        environ={
            "MONITOR_HTTP__TIMEOUT_S": "5",
            "MONITOR_DIGEST__SEND_EMPTY": "true",
            "MONITOR_SMTP__FROM": "A <a@example.org>",
            "MONITOR_HOME": "/x",
        },
    )
    assert cfg is not None
    assert cfg.settings.http.timeout_s == 5
    assert cfg.settings.digest.send_empty is True
    assert cfg.settings.smtp.from_ == "A <a@example.org>"
    _, found = config.problems(home, environ={"MONITOR_HTTP__CONCURRENCY": "lots"})
    assert found == [
        "environment MONITOR_HTTP__CONCURRENCY: Input should be a valid integer, unable to parse "
        "string as an integer (got 'lots')"
    ]
    _, found = config.problems(home, environ={"MONITOR_HTPP__TIMEOUT_S": "5"})
    assert found == ["environment MONITOR_HTPP__TIMEOUT_S: unknown settings section 'htpp'"]


def test_database_url_env_wins(tmp_path: Path) -> None:
    home = _home(tmp_path)
    cfg, _ = config.problems(home, environ={"MONITOR_DATABASE_URL": "sqlite:///rel/x.db"})
    assert cfg is not None and cfg.database_url == f"sqlite:///{tmp_path}/rel/x.db"
    cfg, _ = config.problems(home, environ={})
    assert cfg is not None and cfg.database_url == f"sqlite:///{tmp_path}/db/monitor.sqlite3"


def test_two_errors_in_one_item_both_located(tmp_path: Path) -> None:
    home = _home(tmp_path)
    _mutate(home, "milestones.yaml", lambda d: _ms(d)[4].update(title="", colour="red"))
    _, found = config.problems(home, environ={})
    assert sorted(found) == [
        "config/milestones.yaml: milestones[4].colour: unknown key (milestone 'jp-asset-sale-screening')",
        "config/milestones.yaml: milestones[4].title: String should have at least 1 character (got '') "
        "(milestone 'jp-asset-sale-screening')",
    ]


def test_bad_rules_name_the_milestone_and_the_term(tmp_path: Path) -> None:
    home = _home(tmp_path)
    _mutate(
        home,
        "milestones.yaml",
        lambda d: (_ms(d)[0]["match"].update(any=["/minist(er/"]), _ms(d)[2]["match"].update(all=["@japn"])),
    )
    _, found = config.problems(home, environ={})
    assert found[0].startswith("config/milestones.yaml: milestones[0].match.any: bad regular expression '/minist(er/'")
    assert found[0].endswith("(milestone 'jp-minerals-ministerial')")
    assert found[1] == (
        "config/milestones.yaml: milestones[2].match.all[0]: unknown alias '@japn' "
        "(did you mean '@japan'?) (milestone 'jp-projects-financed')"
    )
