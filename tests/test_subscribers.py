"""Managing digest subscribers through the CLI, on a real database: add (or replace), list, pause, resume,
unsubscribe by token, remove; bad input is refused with exit 2 and nothing written; `check` with subscribers;
the 0004 migration gives existing subscribers a token."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sqlalchemy import text

from monitor.storage import migrate
from monitor.storage.engine import open_database
from tests.conftest import HomeDir
from tests.test_startup import to_revision


def listed(home: HomeDir) -> dict[str, dict[str, Any]]:
    return {s["email"]: s for s in home.json("subscribers", "list")}  # type: ignore[union-attr]


def token_of(home: HomeDir, email: str) -> str:
    from monitor.app import open_app
    from monitor.clock import FixedClock
    from monitor.storage import subscribers

    app = open_app(home.path, FixedClock(dt.datetime(2026, 11, 22, tzinfo=dt.UTC)))
    try:
        found = subscribers.find(app.db, email)
        assert found is not None
        return found.token
    finally:
        app.close()


def test_subscribe_list_change_pause_resume_unsubscribe_remove(home: HomeDir) -> None:
    r = home.cli(
        "subscribers",
        "add",
        "Ana@Example.ORG",
        "--name",
        "Ana Analyst",
        "--country",
        "jp",
        "--milestone",
        "kr-final-text",
    )
    assert (r.exit_code, r.stdout) == (0, "subscribed Ana@example.org (weekly, country JP, milestone kr-final-text)\n")
    assert home.cli("subscribers", "add", "ben@example.org", "--frequency", "daily").exit_code == 0
    rows = listed(home)
    assert sorted(rows) == ["Ana@example.org", "ben@example.org"]
    ana = rows["Ana@example.org"]
    assert {
        k: ana[k]
        for k in (
            "name",
            "frequency",
            "agreements",
            "countries",
            "milestones",
            "active",
            "status",
            "unsubscribed_at",
            "last_sent_at",
        )
    } == {
        "name": "Ana Analyst",
        "frequency": "weekly",
        "agreements": [],
        "countries": ["JP"],
        "milestones": ["kr-final-text"],
        "active": True,
        "status": "active",
        "unsubscribed_at": None,
        "last_sent_at": None,
    }
    assert "token" not in ana  # it is in the subscriber's own mail, not in listings
    table = home.cli("subscribers", "list").stdout
    assert "2 subscribers" in table and "JP, kr-final-text" in table and "everything" in table

    # add states the whole subscription: the same address in any case is replaced, not added twice
    r = home.cli("subscribers", "add", "ana@example.org", "--agreement", "us-korea-deal")
    assert r.stdout == "updated Ana@example.org (weekly, agreement us-korea-deal)\n"
    again = home.cli("subscribers", "add", "ana@example.org", "--agreement", "us-korea-deal")
    assert "nothing changed" in again.stdout
    assert listed(home)["Ana@example.org"]["name"] is None and len(listed(home)) == 2

    assert home.cli("subscribers", "pause", "ana@example.org").stdout.startswith("paused Ana@example.org")
    assert listed(home)["Ana@example.org"]["status"] == "paused"
    assert "already paused" in home.cli("subscribers", "pause", "ana@example.org").stdout
    assert home.cli("subscribers", "resume", "ana@example.org").stdout == "resumed Ana@example.org\n"

    token = token_of(home, "ana@example.org")
    r = home.cli("subscribers", "unsubscribe", token)
    assert (r.exit_code, r.stdout) == (0, "unsubscribed Ana@example.org: no more digests\n")
    assert listed(home)["Ana@example.org"]["status"] == "unsubscribed"
    assert "already unsubscribed on 2026-11-22" in home.cli("subscribers", "unsubscribe", token).stdout
    r = home.cli("subscribers", "resume", "ana@example.org")  # they asked not to: not for an admin to undo
    assert r.exit_code == 2 and "unsubscribed on 2026-11-22: not resumed" in r.stderr
    r = home.cli("subscribers", "add", "ana@example.org")  # unless they ask again
    assert r.stdout == "updated Ana@example.org (weekly, everything) (was unsubscribed)\n"
    assert token_of(home, "ana@example.org") == token

    assert home.cli("subscribers", "remove", "ANA@example.org").exit_code == 0
    assert sorted(listed(home)) == ["ben@example.org"]


def test_bad_input_is_refused_and_nothing_is_written(home: HomeDir) -> None:
    cases = [
        (
            ("add", "not-an-address"),
            "error: EMAIL: not an e-mail address 'not-an-address': An email address must have an @-sign.",
        ),
        (("add", "Ana <ana@example.org>"), "error: EMAIL: not an e-mail address"),
        (("add", "ana@example.org\r\nBcc: evil@example.net"), "error: EMAIL: not an e-mail address"),
        (("add", "ü@example.org"), "error: EMAIL: not an e-mail address"),
        (
            ("add", "ana@example.org", "--country", "XX"),
            "error: --country: unknown country 'XX' (tracked: CN, JP, KH, KR, MY, TH, US, VN)",
        ),
        (
            ("add", "ana@example.org", "--milestone", "jp-minerals"),
            "error: unknown milestone 'jp-minerals' (did you mean 'jp-minerals-ministerial'",
        ),
        (
            ("add", "ana@example.org", "--agreement", "us-korea"),
            "error: unknown agreement 'us-korea' (did you mean 'us-korea-deal'?)",
        ),
        (
            ("add", "ana@example.org", "--frequency", "monthly"),
            "error: --frequency: unknown frequency 'monthly' (one of: weekly, daily)",
        ),
        (("add", "ana@example.org", "--name", "Ana\nBcc: x"), "error: --name: not a name"),
        (("pause", "nobody@example.org"), "error: unknown subscriber 'nobody@example.org'"),
        (("unsubscribe", "no-such-token"), "error: TOKEN: no subscriber has this unsubscribe token"),
        (("unsubscribe", "bad token!"), "error: TOKEN: not an unsubscribe token"),
    ]
    for args, message in cases:
        r = home.cli("subscribers", *args)
        assert r.exit_code == 2, (args, r.stdout, r.stderr)
        assert r.stderr.startswith(message), (args, r.stderr)
        assert len(r.stderr.splitlines()) == 1
    assert listed(home) == {}


def test_check_wants_smtp_settings_only_when_someone_subscribes(home: HomeDir) -> None:
    env = {"MONITOR_SMTP__USERNAME": "monitor", "MONITOR_SMTP__FROM": "Monitor <monitor@example.org>"}
    assert home.cli("check", **env).stdout == "ok\n"
    assert home.cli("subscribers", "add", "ana@example.org").exit_code == 0
    r = home.cli("check", **env)
    assert r.exit_code == 2
    assert r.stderr == (
        "config/monitor.yaml: smtp.username is 'monitor' but the environment variable MONITOR_SMTP_PASSWORD "
        "(smtp.password_env) is not set\n"
    )
    assert home.cli("check", **env, MONITOR_SMTP_PASSWORD="x").stdout == "ok\n"
    r = home.cli("check", MONITOR_SMTP__FROM="nobody")
    assert (r.exit_code, r.stderr) == (2, "config/monitor.yaml: smtp.from: not an e-mail address: 'nobody'\n")
    assert home.cli("subscribers", "pause", "ana@example.org").exit_code == 0
    assert home.cli("check", MONITOR_SMTP__FROM="nobody").exit_code == 0  # nobody to send to
    # a home's digest template is rendered with a sample digest: a name a digest does not have is found now
    (home.path / "templates" / "digest").mkdir(parents=True)
    (home.path / "templates" / "digest" / "digest.html").write_text("<p>{{ digest.headline }}</p>")
    r = home.cli("check")
    assert (r.exit_code, r.stderr) == (
        2,
        "templates/digest/digest.html: 'monitor.digest.content.Digest object' has no attribute 'headline'\n",
    )


def test_the_migration_gives_existing_subscribers_a_token(home: HomeDir) -> None:
    url = home.env.get("MONITOR_DATABASE_URL") or f"sqlite:///{home.path / 'db' / 'monitor.sqlite3'}"
    db = open_database(url)
    try:
        to_revision(db, "0003")
        with db.engine.begin() as conn:
            for email in ("a@example.org", "b@example.org"):
                conn.execute(
                    text(
                        "INSERT INTO subscribers (email, frequency, agreements, countries, created_at) "
                        "VALUES (:e, 'weekly', '[]', '[\"JP\"]', :t)"
                    ),
                    {"e": email, "t": dt.datetime(2026, 1, 1, tzinfo=dt.UTC).replace(tzinfo=None)},
                )
        migrate.upgrade(db)
        with db.engine.connect() as conn:
            rows = conn.execute(text("SELECT token, active, milestones FROM subscribers ORDER BY email")).all()
    finally:
        db.dispose()
    tokens = [r[0] for r in rows]
    assert len(set(tokens)) == 2 and all(len(t) == 32 for t in tokens)
    assert [bool(r[1]) for r in rows] == [True, True]
    assert [json.loads(r[2]) if isinstance(r[2], str) else r[2] for r in rows] == [[], []]
    assert listed(home)["a@example.org"]["countries"] == ["JP"]


def test_new_tokens_never_start_with_a_dash() -> None:
    """One token in 64 of token_urlsafe starts with "-", which the command line reads as an option."""
    from monitor.storage.subscribers import new_token

    tokens = [new_token() for _ in range(3000)]
    assert not [t for t in tokens if t.startswith("-")]
    assert {len(t) for t in tokens} == {32} and len(set(tokens)) == 3000


def test_a_token_starting_with_a_dash_unsubscribes_after_a_double_dash(home: HomeDir) -> None:
    """A token given before tokens stopped starting with "-" still works, written after "--"."""
    from monitor.app import open_app
    from monitor.clock import FixedClock

    assert home.cli("subscribers", "add", "kim@example.org").exit_code == 0
    app = open_app(home.path, FixedClock(dt.datetime(2026, 11, 22, tzinfo=dt.UTC)))
    try:
        with app.db.engine.begin() as conn:
            conn.execute(text("UPDATE subscribers SET token = :t WHERE email = 'kim@example.org'"), {"t": "-" + "k" * 31})
    finally:
        app.close()
    assert home.cli("subscribers", "unsubscribe", "-" + "k" * 31).exit_code == 2  # read as an option
    r = home.cli("subscribers", "unsubscribe", "--", "-" + "k" * 31)
    assert r.exit_code == 0 and "unsubscribed kim@example.org" in r.stdout
    assert listed(home)["kim@example.org"]["status"] == "unsubscribed"
