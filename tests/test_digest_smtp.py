"""Digests end to end: feeds on a real HTTP server, `monitor poll`, `monitor digest --send` to a real SMTP server
(aiosmtpd on 127.0.0.1, started here), on SQLite or PostgreSQL. Recipients, headers and both parts; a second run
sends nothing; a server that is down or hangs up in the middle of DATA leaves the delivery to be retried with the
same window, extended, and the same Message-ID; an interrupted claim is retried; STARTTLS with a self-signed
certificate, TLS, and login; `check --smtp`."""

from __future__ import annotations

import datetime as dt
import re
import socket
import ssl
import subprocess
import sys
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
import trustme

from monitor.app import open_app
from monitor.clock import FixedClock
from monitor.storage import deliveries as delivery_store
from monitor.storage import subscribers as subscriber_store
from tests.conftest import HomeDir, Run, write_feeds
from tests.httpserver import Response, Server
from tests.smtpserver import Received, dropping_server, free_port, smtp_server

POLLED = "2026-11-21T09:00:00+00:00"
SENT = "2026-11-22T12:00:00+00:00"
LATER = "2026-11-22T13:00:00+00:00"
RETRY = "2026-11-22T14:00:00+00:00"

JAPAN = (
    "jp-1",
    "United States and Japan Convene First Mining, Minerals and Metals Investment Ministerial",
    "https://news.example.org/jp-ministerial",
    "Secretary Burgum and Minister Akazawa co-chaired the bilateral ministerial in Tokyo, reviewing joint "
    "investments in mining and processing under the critical minerals framework signed in October.",
)
KOREA = (
    "kr-1",
    "US cuts tariffs on Korean cars to 15%, retroactive to November 1",
    "https://news.example.org/kr-tariff",
    "The Federal Register notice implements the lower 15% duty on Korean automobiles and auto parts agreed in the "
    "trade deal.",
)
HOSTILE = (
    "jp-2",
    "&lt;script&gt;alert(1)&lt;/script&gt; Japan ministerial on minerals&#13;&#10;Bcc: evil@example.net&#13;&#10;",
    "https://news.example.org/jp-2",
    "Tokyo ministerial on mining &lt;img src=x onerror=alert(1)&gt; &#13;&#10;Bcc: evil@example.net " + "X" * 3000,
)


def rss(*items: tuple[str, str, str, str]) -> bytes:
    entries = "".join(
        f"<item><guid>{g}</guid><title>{t}</title><link>{link}</link>"
        f"<pubDate>Fri, 20 Nov 2026 09:30:00 GMT</pubDate><description>{d}</description></item>"
        for g, t, link, d in items
    )
    return f'<rss version="2.0"><channel><title>t</title>{entries}</channel></rss>'.encode()


class Mail:
    """A home with one feed on the test HTTP server and SMTP settings pointing at a test server."""

    def __init__(self, home: HomeDir, server: Server):
        self.home, self.server = home, server
        write_feeds(home, [{"id": "news", "title": "News search — test", "type": "rss", "url": server.url("/feed")}])

    def serve(self, *items: tuple[str, str, str, str]) -> None:
        self.server.routes["/feed"] = Response(body=rss(*items))

    def poll(self, at: str) -> None:
        r = self.home.cli("poll", MONITOR_NOW=at)
        assert r.exit_code == 0, r.stderr

    def cli(self, *args: str, at: str = SENT, port: int = 0, security: str = "none", **env: str) -> Run:
        settings = {
            "MONITOR_SMTP__HOST": "127.0.0.1",
            "MONITOR_SMTP__PORT": str(port or free_port()),
            "MONITOR_SMTP__SECURITY": security,
            "MONITOR_SMTP__TIMEOUT_S": "10",
            "MONITOR_DIGEST__BASE_URL": "https://monitor.example.org",
            "MONITOR_NOW": at,
        }
        return self.home.cli(*args, **{**settings, **env})

    def send(self, at: str, port: int, **env: str) -> Run:
        return self.cli("digest", "--send", at=at, port=port, **env)

    def add(self, email: str, *options: str) -> None:
        r = self.home.cli("subscribers", "add", email, *options)
        assert r.exit_code == 0, r.stderr

    def deliveries(self, email: str) -> list[delivery_store.DeliveryRow]:
        app = open_app(self.home.path, FixedClock(dt.datetime.fromisoformat(SENT)))
        try:
            found = subscriber_store.find(app.db, email)
            assert found is not None
            return delivery_store.history(app.db, found.id)
        finally:
            app.close()


@pytest.fixture
def mail(home: HomeDir, server: Server) -> Mail:
    return Mail(home, server)


def parts(m: EmailMessage) -> tuple[str, str]:
    """The plain text (its lines joined: a wrapped title reads as one) and the HTML of a message."""
    text, html = m.get_body(("plain",)), m.get_body(("html",))
    assert text is not None and html is not None
    return " ".join(str(text.get_content()).split()), str(html.get_content())


def outcomes(stdout: str) -> list[tuple[str, str]]:
    """(outcome, address) of each line of `digest --send`."""
    return re.findall(r"^(sent|empty|failed|skipped) +(\S+?):", stdout, re.M)


def by_recipient(received: list[Received]) -> dict[str, Received]:
    return {r.rcpt_tos[0]: r for r in received}


# ---------------------------------------------------------------- the digest arrives, once


def test_digests_arrive_once_to_their_recipients_only(mail: Mail) -> None:
    mail.serve(JAPAN, KOREA, HOSTILE)
    mail.poll(POLLED)
    mail.add("ana@example.org", "--name", "Ana Analyst")
    mail.add("jun@example.org", "--country", "JP")
    mail.add("kim@example.org")
    assert mail.home.cli("subscribers", "pause", "kim@example.org").exit_code == 0

    with smtp_server() as smtp:
        r = mail.send(SENT, smtp.port)
        assert r.exit_code == 0, r.stderr
        assert outcomes(r.stdout) == [("sent", "ana@example.org"), ("sent", "jun@example.org")]
        got = by_recipient(smtp.received)
        assert sorted(got) == ["ana@example.org", "jun@example.org"]  # the paused one gets nothing
        for address, received in got.items():
            assert received.rcpt_tos == [address] and received.mail_from == "monitor@example.org"
            m = received.message
            assert m.get_content_type() == "multipart/alternative"
            assert [p.get_content_type() for p in m.iter_parts()] == ["text/plain", "text/html"]
            assert {k.lower() for k in m} >= {"from", "to", "subject", "date", "message-id", "list-unsubscribe"}
            assert not {k.lower() for k in m} & {"cc", "bcc", "reply-to"}
            assert [a.addr_spec for a in m["To"].addresses] == [address]
            assert re.fullmatch(r"<[^<>@\s]+@example\.org>", m["Message-ID"])
            token = subscriber_store_token(mail, address)
            assert m["List-Unsubscribe"] == (
                f"<mailto:monitor@example.org?subject=unsubscribe%20{token}>, "
                f"<https://monitor.example.org/unsubscribe?token={token}>"
            )
            text, html = parts(m)
            assert JAPAN[1] in text and JAPAN[1] in html and JAPAN[2] in text and f'href="{JAPAN[2]}"' in html
            assert "https://monitor.example.org/milestones/jp-minerals-ministerial.html" in text
            assert "https://monitor.example.org/index.html" in html
            plain = m.get_body(("plain",))
            assert plain is not None and not any(line.startswith("Bcc:") for line in plain.get_content().splitlines())
            assert "<script" not in html and "onerror=" not in html.replace("onerror=alert", "")
        ana_text, ana_html = parts(got["ana@example.org"].message)
        assert KOREA[1] in ana_text and KOREA[1] in ana_html
        # the hostile item is there, as text on one line, in both parts
        assert '"<script>alert(1)</script> Japan ministerial on minerals Bcc: evil@example.net"' in ana_text
        assert "&lt;script&gt;alert(1)&lt;/script&gt; Japan ministerial on minerals Bcc: evil@example.net" in ana_html
        assert got["ana@example.org"].message["To"].addresses[0].display_name == "Ana Analyst"
        jun_text, jun_html = parts(got["jun@example.org"].message)
        assert "korea" not in jun_text.lower() and "korea" not in jun_html.lower()  # Japan only: nothing about Korea

        # a second run sends nothing: each is not due for another half week
        again = mail.send(LATER, smtp.port)
        assert again.exit_code == 0 and len(smtp.received) == 2
        assert outcomes(again.stdout) == [("skipped", "ana@example.org"), ("skipped", "jun@example.org")]
        assert "less than half a week ago" in again.stdout

    listed = {s["email"]: s for s in mail.home.json("subscribers", "list")}  # type: ignore[union-attr]
    assert listed["ana@example.org"]["last_sent_at"] is not None and listed["kim@example.org"]["status"] == "paused"
    [delivery] = mail.deliveries("ana@example.org")
    assert (delivery.state, delivery.attempts, delivery.window_end) == ("sent", 1, dt.datetime.fromisoformat(SENT))
    assert delivery.message_id == got["ana@example.org"].message["Message-ID"]

    # the token of the header unsubscribes; a week later, what was sent is not sent again: nothing new for Jun
    r = mail.home.cli("subscribers", "unsubscribe", subscriber_store_token(mail, "ana@example.org"))
    assert r.exit_code == 0 and "unsubscribed ana@example.org" in r.stdout
    with smtp_server() as smtp:
        r = mail.send("2026-11-29T12:00:00+00:00", smtp.port)
        assert r.exit_code == 0, r.stderr
        assert outcomes(r.stdout) == [("empty", "jun@example.org")]
        assert smtp.received == []


def subscriber_store_token(mail: Mail, email: str) -> str:
    app = open_app(mail.home.path, FixedClock(dt.datetime.fromisoformat(SENT)))
    try:
        found = subscriber_store.find(app.db, email)
        assert found is not None
        return found.token
    finally:
        app.close()


# ---------------------------------------------------------------- failures are retried, with the same Message-ID


def test_a_server_that_is_down_fails_the_run_and_the_next_run_delivers_the_whole_window(mail: Mail) -> None:
    mail.serve(JAPAN)
    mail.poll(POLLED)
    mail.add("ana@example.org")
    down = free_port()
    r = mail.send(SENT, down)
    assert r.exit_code == 1
    assert f"failed   ana@example.org: cannot connect to 127.0.0.1:{down}: connection refused" in r.stdout
    [failed] = mail.deliveries("ana@example.org")
    assert failed.state == "failed" and "connection refused" in (failed.error or "")

    mail.serve(JAPAN, KOREA)  # arrives in between
    mail.poll(LATER)
    with smtp_server() as smtp:
        r = mail.send(RETRY, smtp.port)
        assert r.exit_code == 0, r.stderr
        assert "sent     ana@example.org" in r.stdout and "attempt 2" in r.stdout
        [received] = smtp.received
    text, _ = parts(received.message)
    assert JAPAN[1] in text and KOREA[1] in text
    [sent] = mail.deliveries("ana@example.org")
    assert sent.id == failed.id and sent.state == "sent" and sent.attempts == 2
    assert (sent.window_start, sent.window_end) == (failed.window_start, dt.datetime.fromisoformat(RETRY))
    assert received.message["Message-ID"] == failed.message_id == sent.message_id


def test_a_server_that_hangs_up_in_the_middle_of_data_leaves_it_retryable(mail: Mail) -> None:
    mail.serve(JAPAN)
    mail.poll(POLLED)
    mail.add("ana@example.org")
    mail.add("ben@example.org")
    with dropping_server() as port:
        r = mail.send(SENT, port)
    assert r.exit_code == 1
    assert r.stdout.count("closed the connection") == 2, r.stdout  # the second one got a new connection, and lost it
    [failed] = mail.deliveries("ana@example.org")
    assert failed.state == "failed"
    with smtp_server() as smtp:
        assert mail.send(LATER, smtp.port).exit_code == 0
        got = by_recipient(smtp.received)
    assert sorted(got) == ["ana@example.org", "ben@example.org"]
    assert got["ana@example.org"].message["Message-ID"] == failed.message_id


def test_a_claim_whose_process_died_is_retried(mail: Mail) -> None:
    """A run killed between claiming and marking (SIGKILL, power loss) leaves a `sending` row: the next run sees
    its process is gone and sends that delivery, same window start and Message-ID."""
    mail.add("ana@example.org")
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    app = open_app(mail.home.path, FixedClock(dt.datetime.fromisoformat(SENT)))
    try:
        found = subscriber_store.find(app.db, "ana@example.org")
        assert found is not None
        start = dt.datetime.fromisoformat(SENT) - dt.timedelta(days=7)
        claim = delivery_store.Claim(
            found.id, "weekly", start, dt.datetime.fromisoformat(SENT), "<dead@example.org>", None, None
        )
        assert delivery_store.claim(app.db, claim, dt.datetime.fromisoformat(SENT), gone.pid, socket.gethostname())
    finally:
        app.close()
    with smtp_server() as smtp:
        r = mail.send(LATER, smtp.port, MONITOR_DIGEST__SEND_EMPTY="true")
        assert r.exit_code == 0, r.stderr
        assert "attempt 2" in r.stdout
        [received] = smtp.received
    assert received.message["Message-ID"] == "<dead@example.org>"
    [row] = mail.deliveries("ana@example.org")
    assert (row.state, row.window_start, row.window_end) == ("sent", start, dt.datetime.fromisoformat(LATER))


# ---------------------------------------------------------------- TLS, login, check --smtp


@pytest.fixture
def tls(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[ssl.SSLContext]:
    """A server context with a certificate for 127.0.0.1 from a CA made for this test; the client trusts that CA
    through SSL_CERT_FILE, as a deployment with a private relay would."""
    ca = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    bundle = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    monkeypatch.setenv("SSL_CERT_FILE", str(bundle))
    yield context


def test_starttls_with_a_self_signed_certificate_and_login(
    mail: Mail, tls: ssl.SSLContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    mail.add("ana@example.org")
    login: dict[str, Any] = {"security": "starttls", "MONITOR_SMTP__USERNAME": "monitor"}
    with smtp_server(starttls=tls, users={"monitor": "s3cret"}) as smtp:
        # with subscribers, check wants the password variable when a username is set
        r = mail.cli("check", port=smtp.port, **login)
        assert r.exit_code == 2
        assert "smtp.username is 'monitor' but the environment variable MONITOR_SMTP_PASSWORD" in r.stderr
        r = mail.cli("check", "--smtp", port=smtp.port, MONITOR_SMTP_PASSWORD="wrong", **login)
        assert r.exit_code == 1 and "login as 'monitor' refused" in r.stderr, r.stderr
        r = mail.cli("check", "--smtp", port=smtp.port, MONITOR_SMTP_PASSWORD="s3cret", **login)
        assert (r.exit_code, r.stdout) == (
            0,
            f"smtp: connected to 127.0.0.1:{smtp.port} with STARTTLS, logged in as monitor\nok\n",
        ), r.stderr
        r = mail.send(SENT, smtp.port, MONITOR_SMTP_PASSWORD="s3cret", MONITOR_DIGEST__SEND_EMPTY="true", **login)
        assert r.exit_code == 0, r.stdout + r.stderr
        assert [m.rcpt_tos for m in smtp.received] == [["ana@example.org"]]
        assert smtp.handler.logins == ["monitor", "monitor"]  # check --smtp, then the digest
        assert smtp.received[0].message["Subject"] == "Weekly digest, 22 Nov 2026: nothing new"  # send_empty
        # a certificate the client does not trust is refused before anything is said
        monkeypatch.delenv("SSL_CERT_FILE")
        r = mail.cli("check", "--smtp", port=smtp.port, MONITOR_SMTP_PASSWORD="s3cret", **login)
        assert r.exit_code == 1 and "certificate not trusted" in r.stderr, r.stderr


def test_tls_from_the_first_byte(mail: Mail, tls: ssl.SSLContext) -> None:
    mail.add("ana@example.org")
    with smtp_server(implicit_tls=tls) as smtp:
        r = mail.cli("check", "--smtp", port=smtp.port, security="ssl")
        assert r.stdout.startswith(f"smtp: connected to 127.0.0.1:{smtp.port} over TLS\n"), r.stderr
        r = mail.send(SENT, smtp.port, security="ssl", MONITOR_DIGEST__SEND_EMPTY="true")
        assert r.exit_code == 0 and len(smtp.received) == 1, r.stdout + r.stderr


# ---------------------------------------------------------------- previews and test digests record nothing


def test_preview_and_a_test_digest_record_nothing(mail: Mail, tmp_path: Path) -> None:
    mail.serve(JAPAN)
    mail.poll(POLLED)
    mail.add("ana@example.org")
    out = tmp_path / "preview"
    r = mail.cli("digest", "--preview", str(out))
    assert r.exit_code == 0, r.stderr
    assert sorted(p.name for p in out.iterdir()) == [
        "ana@example.org.eml",
        "ana@example.org.html",
        "ana@example.org.txt",
    ]
    assert JAPAN[1] in " ".join((out / "ana@example.org.txt").read_text().split())
    with smtp_server() as smtp:
        r = mail.send(SENT, smtp.port)
        assert r.exit_code == 0 and len(smtp.received) == 1  # the preview did not count as sent
        r = mail.cli("digest", "--send", "--to", "Someone@Example.org", port=smtp.port)
        assert r.exit_code == 0, r.stderr
        test = smtp.received[1]
        assert test.rcpt_tos == ["Someone@example.org"]
        assert test.message["Subject"].startswith("[test] ") and "List-Unsubscribe" not in test.message
        # a home template that names something a digest lacks stops the run before any mail goes
        (mail.home.path / "templates" / "digest").mkdir(parents=True)
        (mail.home.path / "templates" / "digest" / "digest.html").write_text(
            "{% for e in digest.evidence %}{{ e.x }}{% endfor %}"
        )
        mail.add("ben@example.org")
        r = mail.send(SENT, smtp.port)
        assert r.exit_code == 2 and r.stderr.startswith("error: templates/digest/digest.html: "), r.stderr
        assert len(smtp.received) == 2
    assert [d.state for d in mail.deliveries("ana@example.org")] == ["sent"]
    assert mail.deliveries("ben@example.org") == []
    assert mail.cli("digest").exit_code == 2  # neither --preview nor --send
    assert mail.cli("digest", "--send", "--frequency", "monthly").exit_code == 2


def test_two_runs_never_claim_one_delivery(mail: Mail) -> None:
    """Two runs that planned the same digest (cron and the daemon at once): the first claim wins, the second finds
    the subscriber's newest delivery changed (a new one) or the row's attempt moved on (a retry), and sends
    nothing."""
    mail.add("ana@example.org")
    now = dt.datetime.fromisoformat(SENT)
    app = open_app(mail.home.path, FixedClock(now))
    try:
        found = subscriber_store.find(app.db, "ana@example.org")
        assert found is not None
        new = delivery_store.Claim(found.id, "weekly", now - dt.timedelta(days=7), now, "<a@x>", None, None)
        first = delivery_store.claim(app.db, new, now, 1, "host-a")
        later = dt.timedelta(seconds=1)
        other = delivery_store.Claim(found.id, "weekly", now - dt.timedelta(days=7) + later, now, "<b@x>", None, None)
        assert first is not None and delivery_store.claim(app.db, other, now, 2, "host-b") is None
        delivery_store.mark_failed(app.db, first, "cannot connect")
        [failed] = delivery_store.history(app.db, found.id)
        retry = delivery_store.Claim(
            found.id, "weekly", failed.window_start, now + later, failed.message_id, failed, None
        )
        assert delivery_store.claim(app.db, retry, now + later, 1, "host-a") is not None
        assert delivery_store.claim(app.db, retry, now + later, 2, "host-b") is None  # it saw attempt 1, now 2
        [row] = delivery_store.history(app.db, found.id)
        assert (row.state, row.attempts, row.claimed_host) == ("sending", 2, "host-a")
        delivery_store.mark_failed(app.db, failed, "late news of attempt 1")  # an older attempt cannot overwrite it
        assert delivery_store.history(app.db, found.id)[0].state == "sending"
    finally:
        app.close()
