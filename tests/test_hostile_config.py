"""Hostile or careless configuration (issue 11, "config"): every problem is one named config error, exit 2, from
`monitor check` and from any other command, in well under a second, and nothing is written."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import pytest
from sqlalchemy import MetaData, create_engine, select

from monitor.definitions import DueRule, MatchRule, MilestoneDef
from monitor.match.engine import ItemText, build_matcher, make_snippet
from monitor.match.signals import NO_WORD_SIGNAL, SignalRules, decide_signal
from monitor.match.terms import parse_term
from tests.conftest import HomeDir

MS = "config/milestones.yaml"
FEEDS = "config/feeds.yaml"
FIRST_DUE = "    due: {after: signed, days: 180}\n"  # jp-minerals-ministerial, milestones[0]
FIRST_ANY = '      any: [mining, minerals, metals, "critical minerals", "rare earth*", 鉱物, レアアース, 稀土, 矿产, 광물, 희토류]\n'
FIRST_SIGNED = "    signed: 2025-10-28\n"  # us-japan-minerals-framework, agreements[0]
JP = "(milestone 'jp-minerals-ministerial')"
NEW_FEED = "  - id: x\n    type: rss\n    url: {url}\n"


def _shipped_feeds() -> list[dict[str, object]]:
    import yaml

    from monitor.resources import default_config_dir

    return list(yaml.safe_load((default_config_dir() / "feeds.yaml").read_text(encoding="utf-8"))["feeds"])


SHIPPED = _shipped_feeds()
N_FEEDS = len(SHIPPED)  # the index of a feed appended to the shipped list
FIRST_FR = next(i for i, f in enumerate(SHIPPED) if f["type"] == "federal_register")  # the first federal_register feed


def edit(home: HomeDir, name: str, old: str, new: str) -> int:
    """Replace `old` (which must occur) in config/<name>; returns the 1-based line where `new` starts."""
    path = home.path / "config" / name
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new, 1))
    return text[: text.index(old)].count("\n") + 1


def append(home: HomeDir, name: str, extra: str) -> int:
    path = home.path / "config" / name
    text = path.read_text()
    path.write_text(text + extra)
    return text.count("\n") + 1


def stored(home: HomeDir) -> dict[str, list[str]]:
    """Every row of every table, and the files of the home outside config/."""
    url = home.env.get("MONITOR_DATABASE_URL") or f"sqlite:///{home.path / 'db' / 'monitor.sqlite3'}"
    engine = create_engine(url)
    try:
        meta = MetaData()
        meta.reflect(engine)
        with engine.connect() as c:
            rows = {t.name: sorted(repr(r) for r in c.execute(select(t))) for t in meta.sorted_tables}
    finally:
        engine.dispose()
    files = sorted(
        f"{p.relative_to(home.path)} {p.stat().st_size} {p.stat().st_mtime_ns}"
        for p in home.path.rglob("*")
        if p.is_file() and "config" not in p.relative_to(home.path).parts
    )
    return {**rows, "(files)": files}


@pytest.fixture
def loaded(home: HomeDir) -> HomeDir:
    """A home whose database already holds the shipped config and one status change."""
    assert home.cli("status", "kr-final-text", "in_progress").exit_code == 0
    return home


def refused(home: HomeDir, *lines: str) -> list[str]:
    """`check` lists every line (each a substring of one of its lines) and exits 2; `milestones` exits 2 with
    one `error:` line, the first problem; nothing is written. Returns check's problem lines."""
    before = stored(home)
    started = time.monotonic()
    check = home.cli("check")
    assert check.exit_code == 2, (check.stdout, check.stderr)
    found = check.stderr.splitlines()
    for line in lines:
        assert any(line in f for f in found), (line, found)
    r = home.cli("milestones")
    assert r.exit_code == 2, (r.stdout, r.stderr)
    assert r.stderr.startswith("error: config/") and r.stderr.count("\n") == 1, r.stderr
    assert r.stderr.removeprefix("error: ").split(" (and ")[0].rstrip("\n") in found[0]
    assert time.monotonic() - started < 10
    assert stored(home) == before
    return found


def accepted(home: HomeDir) -> None:
    r = home.cli("check")
    assert (r.exit_code, r.stdout, r.stderr) == (0, "ok\n", ""), (r.stdout, r.stderr)


# ---------------------------------------------------------------- YAML itself

BOMB = "    due:\n      - &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
    f"      - &{x} [{', '.join([f'*{p}'] * 9)}]\n" for p, x in zip("abcdefgh", "bcdefghi", strict=True)
)


def test_alias_bomb_is_refused_quickly(loaded: HomeDir) -> None:
    line = edit(loaded, "milestones.yaml", FIRST_DUE, BOMB)
    before = stored(loaded)
    proc = loaded.process("check")  # a separate process: a regression would take minutes and gigabytes
    try:
        out, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert proc.returncode == 2, err
    assert f"{MS}: line {line + 6}: YAML aliases expand beyond 100000 nodes" in err.splitlines()
    refused(loaded, f"{MS}: line {line + 6}: YAML aliases expand beyond 100000 nodes")
    assert stored(loaded) == before


@pytest.mark.parametrize("due", ["&r [1, *r]", "&r {a: *r}", "&r [[[*r]]]"], ids=["list", "mapping", "nested"])
def test_recursive_alias(loaded: HomeDir, due: str) -> None:
    line = edit(loaded, "milestones.yaml", FIRST_DUE, f"    due: {due}\n")
    refused(loaded, f"{MS}: line {line}: recursive YAML alias *r (inside its own anchor)")


def test_deep_nesting_is_refused(loaded: HomeDir) -> None:
    line = edit(loaded, "milestones.yaml", FIRST_DUE, "    due: " + "[" * 100_000 + "]" * 100_000 + "\n")
    refused(loaded, f"{MS}: line {line}: YAML nested deeper than 64 levels")


def test_duplicate_key_in_feeds(loaded: HomeDir) -> None:
    line = edit(
        loaded,
        "feeds.yaml",
        "    url: https://www.whitehouse.gov/fact-sheets/feed/\n",
        "    url: https://www.whitehouse.gov/fact-sheets/feed/\n    url: https://example.org/other\n",
    )
    refused(loaded, f"{FEEDS}: line {line + 1}: duplicate key 'url' (first at line {line})")


def test_duplicate_keys_in_milestones_all_reported(loaded: HomeDir) -> None:
    other = edit(loaded, "milestones.yaml", "    binding: false\n", "    binding: false\n    binding: true\n")
    line = edit(loaded, "milestones.yaml", FIRST_DUE, FIRST_DUE + "    due: 2026-05-01\n")
    found = refused(
        loaded,
        f"{MS}: line {other + 1}: duplicate key 'binding' (first at line {other})",
        f"{MS}: line {line + 1}: duplicate key 'due' (first at line {line})",
    )
    assert len(found) == 2, found  # the rest of the file is still validated, and is valid


def test_duplicate_key_in_settings(loaded: HomeDir) -> None:
    line = edit(loaded, "monitor.yaml", "timezone: UTC", "timezone: UTC\ntimezone: Europe/Paris")
    refused(loaded, f"config/monitor.yaml: line {line + 1}: duplicate key 'timezone' (first at line {line})")


def test_yaml_merge_keys_are_not_duplicates(loaded: HomeDir) -> None:
    edit(loaded, "milestones.yaml", FIRST_DUE, "    due: {<<: {after: signed, days: 10}, days: 180}\n")
    accepted(loaded)


# ---------------------------------------------------------------- dates and offsets


@pytest.mark.parametrize(
    "old,new,expected",
    [
        (
            FIRST_DUE,
            "    due: 2026-02-30\n",
            "milestones[0].due: not a valid date (YYYY-MM-DD): '2026-02-30' (line {line}) " + JP,
        ),
        (
            FIRST_DUE,
            "    due: {expected: 2026-02-30}\n",
            "milestones[0].due: not a valid date (YYYY-MM-DD): '2026-02-30' (line {line}) " + JP,
        ),
        (
            FIRST_DUE,
            "    due: 2026-02-30 10:00:00\n",
            "milestones[0].due: not a valid date (YYYY-MM-DD): '2026-02-30 10:00:00' (line {line}) " + JP,
        ),
        (
            FIRST_SIGNED,
            "    signed: 2025-13-01\n",
            "agreements[0].signed: not a valid date (YYYY-MM-DD): '2025-13-01' (line {line}) (agreement 'us-japan-minerals-framework')",
        ),
    ],
    ids=["due", "expected", "due with a time", "signed"],
)
def test_impossible_dates(loaded: HomeDir, old: str, new: str, expected: str) -> None:
    line = edit(loaded, "milestones.yaml", old, new)
    refused(loaded, f"{MS}: " + expected.format(line=line))


@pytest.mark.parametrize(
    "due,expected",
    [
        (
            "{after: signed, days: 1000000000000}",
            "'days' must be a whole number of days from 0 to 36500, got 1000000000000",
        ),
        (
            "{after: signed, months: 1000000000}",
            "'months' must be a whole number of months from 0 to 1200, got 1000000000",
        ),
        ("{after: signed, days: -5}", "'days' must be a whole number of days from 0 to 36500, got -5"),
        ("{after: signed, days: 36501}", "'days' must be a whole number of days from 0 to 36500, got 36501"),
    ],
    ids=["huge days", "huge months", "negative days", "just over"],
)
def test_offsets_are_bounded(loaded: HomeDir, due: str, expected: str) -> None:
    edit(loaded, "milestones.yaml", FIRST_DUE, f"    due: {due}\n")
    refused(loaded, f"{MS}: milestones[0].due: {expected} {JP}")


def test_due_date_past_the_last_date(loaded: HomeDir) -> None:
    edit(loaded, "milestones.yaml", FIRST_SIGNED, "    signed: 9999-10-28\n")
    refused(loaded, f"{MS}: milestones[0].due: 9999-10-28 + 180 days is past 9999-12-31 {JP}")


def test_largest_offsets_are_fine(loaded: HomeDir) -> None:
    edit(loaded, "milestones.yaml", FIRST_DUE, "    due: {after: signed, days: 36500, months: 1200}\n")
    accepted(loaded)
    rows = {m["id"]: m for m in loaded.json("milestones")}  # type: ignore[union-attr]
    assert rows["jp-minerals-ministerial"]["due"] == "2225-10-04"  # 2025-10-28 + 1,200 months, then + 36,500 days


def test_offsets_past_the_last_date_stay_on_it() -> None:
    """A dependant of a very late completion: config cannot see it coming, so the date saturates."""
    assert DueRule("after", after="x", days=60).offset(dt.date(9999, 12, 30)) == dt.date.max
    assert DueRule("after", after="x", months=1).offset(dt.date(9999, 12, 1)) == dt.date.max
    assert DueRule("after", after="x", months=1, days=1).offset(dt.date(2026, 1, 31)) == dt.date(2026, 3, 1)


# ---------------------------------------------------------------- unknown keys hide nothing


def test_unknown_top_level_keys_hide_no_other_problem(loaded: HomeDir) -> None:
    edit(loaded, "milestones.yaml", "\nmilestones:\n", "\nmilestone: []\nmilestones:\n")
    edit(loaded, "milestones.yaml", FIRST_DUE, "    due: {after: signed, weeks: 3}\n")
    edit(loaded, "feeds.yaml", "\nfeeds:\n", "\nfeed: []\nfeeds:\n")
    edit(loaded, "feeds.yaml", "    type: federal_register\n", "    type: atom\n")
    edit(loaded, "monitor.yaml", "timezone: UTC", "timezon: UTC")
    edit(loaded, "monitor.yaml", '  poll: "0 6 * * *"', '  poll: "0 25 * * *"')
    found = refused(
        loaded,
        f"{MS}: milestone: unknown key (did you mean 'milestones'?)",
        f"{MS}: milestones[0].due: expected a date",
        f"{FEEDS}: feed: unknown key (did you mean 'feeds'?)",
        f"{FEEDS}: feeds[{FIRST_FR}].type: Input should be 'rss', 'federal_register' or 'html' (got 'atom') (feed '{SHIPPED[FIRST_FR]['id']}')",
        "config/monitor.yaml: timezon: unknown key",
        "config/monitor.yaml: schedule.poll: not a crontab expression '0 25 * * *'",
    )
    assert len(found) == 6, found


# ---------------------------------------------------------------- feed URLs


@pytest.mark.parametrize(
    "url,why",
    [
        ("file:///etc/passwd", ""),
        ("gopher://x", ""),
        ("ftp://example.org/feed.xml", ""),
        ("mailto:news@example.org", ""),
        ("http://169.254.169.254/latest/meta-data", " (link-local address)"),
        ("http://[fe80::1]/", " (link-local address)"),
        ("http://[::ffff:169.254.169.254]/", " (link-local address)"),
        ("http://2852039166/", " (link-local address)"),
        ("http://0.0.0.0/", " (unspecified address)"),
        ("http://[::]:8080/", " (unspecified address)"),
        ("http://224.0.0.1/", " (multicast address)"),
        ("https:///no-host", " (no host)"),
        ("file://server/share/feed.xml", " (a file: URL is file:///absolute/path)"),
        ("//example.org/feed", ""),
        ("../outside.xml", ""),
    ],
)
def test_feed_url_refused(loaded: HomeDir, url: str, why: str) -> None:
    append(loaded, "feeds.yaml", NEW_FEED.format(url=f"'{url}'"))
    refused(
        loaded,
        f"{FEEDS}: feeds[{N_FEEDS}].url: only http(s) URLs or files inside the home are polled, got {url!r}{why} (feed 'x')",
    )


def test_file_outside_the_home_through_a_symlink(loaded: HomeDir, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "feed.xml").write_text("<rss/>")
    (loaded.path / "linked").symlink_to(outside)
    url = f"file://{loaded.path}/linked/feed.xml"
    append(loaded, "feeds.yaml", NEW_FEED.format(url=url) + NEW_FEED.replace("x", "y").format(url="linked/feed.xml"))
    refused(
        loaded,
        f"{FEEDS}: feeds[{N_FEEDS}].url: only http(s) URLs or files inside the home are polled, got {url!r} (feed 'x')",
        f"{FEEDS}: feeds[{N_FEEDS + 1}].url: only http(s) URLs or files inside the home are polled, got 'linked/feed.xml' (feed 'y')",
    )


def test_local_files_inside_the_home_and_loopback_are_accepted(loaded: HomeDir) -> None:
    (loaded.path / "feeds").mkdir()
    append(
        loaded,
        "feeds.yaml",
        NEW_FEED.format(url="feeds/local.xml")
        + NEW_FEED.replace("x", "y").format(url=f"file://{loaded.path}/feeds/other.xml")
        + NEW_FEED.replace("x", "z").format(url="http://127.0.0.1:8080/feed")
        + NEW_FEED.replace("x", "w").format(url="http://localhost/feed")
        + NEW_FEED.replace("x", "v").format(url="http://10.1.2.3/feed"),
    )
    accepted(loaded)


def test_digest_base_url_must_be_http(loaded: HomeDir) -> None:
    edit(loaded, "monitor.yaml", "  base_url: null", "  base_url: 'javascript:alert(1)'")
    refused(loaded, "config/monitor.yaml: digest.base_url: must be an http(s) URL, got 'javascript:alert(1)'")


# ---------------------------------------------------------------- regular expressions


@pytest.mark.parametrize(
    "term,why",
    [
        ("/(a+)+$/", "contains a repeat"),
        ("/(a*)*b/", "contains a repeat"),
        ("/(a|aa)+$/", "contains an alternation"),
        ("/(\\\\w+\\\\s?)*x/", "contains a repeat"),
        ("/(?:tariff(?:s)?\\\\s*)+cut/", "contains a repeat"),
    ],
)
def test_nested_quantifiers_refused(loaded: HomeDir, term: str, why: str) -> None:
    edit(loaded, "milestones.yaml", FIRST_ANY, f'      any: [mining, "{term}"]\n')
    shown = term.replace("\\\\", "\\")
    refused(
        loaded,
        f"{MS}: milestones[0].match.any: regular expression {shown!r} repeats a group that {why}, which can take "
        f"exponential time on some texts: rewrite it without the nesting, or list the phrases instead {JP}",
    )


def test_nested_quantifier_in_signals_and_long_regex_refused(loaded: HomeDir) -> None:
    edit(loaded, "milestones.yaml", "  progress: [talks,", '  progress: ["/(talks?\\\\s*)+x/", talks,')
    edit(loaded, "milestones.yaml", FIRST_ANY, f'      any: [mining, "/{"a" * 201}/"]\n')
    refused(
        loaded,
        f"{MS}: signals.progress[0]: regular expression '/(talks?\\\\s*)+x/' repeats a group that contains a repeat",
        f"{MS}: milestones[0].match.any: regular expression '/{'a' * 39}'... is longer than 200 characters {JP}",
    )


SLOW = parse_term(r"/\w*\w*\w*\w*\w*\w*\w*\d/")  # no nesting, so not refused at load; polynomial backtracking


def test_slow_regex_is_bounded_at_match_time() -> None:
    m = build_matcher([MilestoneDef("m", "a", "M", "", None, MatchRule(((SLOW,),)))], {}, {})
    started = time.monotonic()
    assert m.match(ItemText("a" * 2000, "a" * 2000)) == []  # unbounded, this search runs for hours
    assert time.monotonic() - started < 5
    assert [r.milestone for r in m.match(ItemText("a" * 20 + "1", ""))] == ["m"]


def test_slow_regex_is_bounded_in_snippets_and_signals() -> None:
    started = time.monotonic()
    assert make_snippet(ItemText("t", "a" * 2000), [SLOW]) == "a" * 240 + "…"
    assert decide_signal("a" * 2000, "a" * 2000, SignalRules.build({"completion": (SLOW,)}, {})) == NO_WORD_SIGNAL
    assert decide_signal("signed 1", "", SignalRules.build({"completion": (SLOW,)}, {})) == "completion"
    assert time.monotonic() - started < 5


def test_valid_regex_still_matches(loaded: HomeDir) -> None:
    rule = MatchRule(((parse_term("/annex (iii|3)/"),), (parse_term("/\\b\\d{2,} tariff lines\\b/"),)))
    m = build_matcher([MilestoneDef("m", "a", "M", "", None, rule)], {}, {})
    [hit] = m.match(ItemText("Annex III published", "It covers 120 tariff lines."))
    assert (hit.milestone, hit.terms, hit.score) == ("m", ("/annex (iii|3)/", "/\\b\\d{2,} tariff lines\\b/"), 3.0)
    assert m.match(ItemText("Annex IV published", "It covers 120 tariff lines.")) == []
    accepted(loaded)  # the shipped config's regex (`/\b\d{2,} (countries|nations|delegations)\b/`) loads


@pytest.mark.parametrize(
    "raw,expected",
    [
        ("10", 10),
        ("true", True),
        ("[feeds.feedburner.com, example.org]", ["feeds.feedburner.com", "example.org"]),
        ("{a: 1}", "{a: 1}"),  # a mapping is no setting value: validation judges the raw text
        ("&a [x, x]", ["x", "x"]),
        ("[&a [x, x], *a, *a]", "[&a [x, x], *a, *a]"),  # nested and aliased: never expanded
        ("2026-02-30", "2026-02-30"),
    ],
)
def test_environment_values_are_flat_yaml(raw: str, expected: object) -> None:
    from monitor.settings import _env_value

    assert _env_value(raw) == expected
