"""The digest use cases: send every due subscriber's digest (`monitor digest --send`, the daemon's digest jobs),
preview them (`--preview DIR`), or send one test digest (`--to EMAIL`).

One run: plan each active subscriber of the frequency (monitor.plan.deliveries), read the state once (the same
views the CLI shows), then per subscriber build the digest (content), render it, and, unless it is empty, claim
the delivery, send it and mark it sent or failed. A failure to send is that subscriber's `failed` outcome and the
run goes on; anything else (a bug, Ctrl-C) marks the claimed delivery failed and is raised.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import socket
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import ClassVar, Literal

from .. import tracking
from ..app import App
from ..errors import InputError, MonitorError
from ..plan.deliveries import FREQUENCIES, SENDING, DeliveryRow, Here, Send, Skip, Window, period, plan_delivery
from ..resources import default_templates_dir
from ..storage import deliveries as delivery_store
from ..storage import evidence_reads
from ..storage import feeds as feed_store
from ..storage import milestones as milestone_store
from ..storage import subscribers as subscriber_store
from ..views import Extra, SubscriberView
from .content import (
    AgreementInfo,
    Digest,
    DigestOptions,
    DigestState,
    FeedState,
    Recipient,
    RecordedEvidence,
    build_digest,
)
from .message import build_message, list_unsubscribe, new_message_id, sender_address
from .render import RenderedDigest, render
from .sample import sample_digest
from .send import Mailer, SmtpError, password_for

Outcome = Literal["sent", "empty", "failed", "skipped"]


@dataclass(frozen=True)
class DeliveryResult:
    """What one subscriber's digest came to. `error`: why it failed, or why it was skipped."""

    email: str
    outcome: Outcome
    error: str | None = None
    window_start: dt.datetime | None = None
    window_end: dt.datetime | None = None
    message_id: str | None = None
    attempt: int | None = None  # 2 and more: a retry of a failed or interrupted delivery
    changes: int = 0
    evidence: int = 0


@dataclass(frozen=True)
class DigestRunReport:
    """One `digest --send` run (or one test digest: `test`)."""

    json_extras: ClassVar[tuple[Extra, ...]] = (Extra("sent"), Extra("empty"), Extra("failed"), Extra("skipped"))

    frequency: str
    started_at: dt.datetime
    finished_at: dt.datetime
    results: tuple[DeliveryResult, ...]
    test: bool = False

    def _count(self, outcome: Outcome) -> int:
        return sum(r.outcome == outcome for r in self.results)

    @property
    def sent(self) -> int:
        return self._count("sent")

    @property
    def empty(self) -> int:
        return self._count("empty")

    @property
    def failed(self) -> int:
        return self._count("failed")

    @property
    def skipped(self) -> int:
        return self._count("skipped")


@dataclass(frozen=True)
class Preview:
    """One previewed digest: its files (None when skipped), whether `--send` would leave it unsent as empty."""

    email: str
    outcome: Literal["written", "skipped"]
    empty: bool = False
    would_send: bool = True
    reason: str | None = None
    eml: str | None = None  # the files' paths
    html: str | None = None
    txt: str | None = None
    window_start: dt.datetime | None = None
    window_end: dt.datetime | None = None


@dataclass(frozen=True)
class PreviewReport:
    frequency: str
    out_dir: str
    previews: tuple[Preview, ...]


# ---------------------------------------------------------------- reading the state once


def _check_frequency(frequency: str) -> str:
    if frequency not in FREQUENCIES:
        raise InputError(f"--frequency: unknown frequency {frequency!r} (one of: {', '.join(FREQUENCIES)})")
    return frequency


def options_of(app: App) -> DigestOptions:
    s = app.settings
    return DigestOptions(
        due_soon_days=s.digest.due_soon_days,
        quiet_after_days=s.matching.quiet_after_days,
        base_url=s.digest.base_url,
        unsubscribe_address=sender_address(s.smtp.from_)[1],
    )


def load_state(app: App, after: dt.datetime, until: dt.datetime) -> DigestState:
    """Everything the digests of windows within (after, until] can say, through the queries and views the CLI and
    the report use: milestone views (tracking.list_milestones), status history, evidence and feed health."""
    defs = app.definitions
    feed_defs = {f.id: f for f in defs.feeds}
    health = feed_store.health(app.db)
    feeds = tuple(
        FeedState(
            h.id,
            h.title,
            feed_defs[h.id].countries if h.id in feed_defs else (),
            h.enabled,
            h.consecutive_failures,
            h.last_error,
            h.last_success,
        )
        for h in health
    )
    return DigestState(
        today=app.local_date(until),
        timezone=app.settings.timezone,
        agreements=tuple(AgreementInfo(a.id, a.title, a.parties, a.signed) for a in defs.agreements),
        milestones=tuple(tracking.list_milestones(app)),
        changes=tuple(milestone_store.history(app.db, recorded_after=after, recorded_until=until)),
        evidence=tuple(
            RecordedEvidence(r.recorded_at, r.view) for r in evidence_reads.recorded_between(app.db, after, until)
        ),
        feeds=feeds,
        feed_titles={**{h.id: h.title for h in health}, **{f.id: f.title for f in defs.feeds}},
    )


def recipient_of(s: SubscriberView) -> Recipient:
    return Recipient(s.email, s.name, s.frequency, s.agreements, s.countries, s.milestones, s.token)


def _render(app: App, digest: Digest) -> RenderedDigest:
    return render(digest, app.config.home.templates_dir, default_templates_dir())


# ---------------------------------------------------------------- planning


_sending: set[int] = set()  # deliveries this process is sending right now (the daemon may run jobs in threads)
_sending_lock = threading.Lock()


@contextmanager
def _in_flight(delivery_id: int) -> Iterator[None]:
    with _sending_lock:
        _sending.add(delivery_id)
    try:
        yield
    finally:
        with _sending_lock:
            _sending.discard(delivery_id)


def _here(claims: list[DeliveryRow]) -> Here:
    host, pid = socket.gethostname(), os.getpid()
    mine = [c.claimed_pid for c in claims if c.claimed_host == host and c.claimed_pid]
    live: set[int] = set()
    if mine:
        from ..workers import pid_alive  # imports the parsers: only when a claim of this host is to be judged

        live = {p for p in mine if pid_alive(p)}
    with _sending_lock:
        sending = frozenset(_sending)
    return Here(host, pid, frozenset(live), sending)


@dataclass(frozen=True)
class _Due:
    subscriber: SubscriberView
    plan: Send


def _plan(app: App, frequency: str, now: dt.datetime) -> tuple[list[_Due], list[DeliveryResult]]:
    subscribers = subscriber_store.listing(app.db, frequency=frequency, active=True)
    history = delivery_store.of_subscribers(app.db, [s.id for s in subscribers])
    here = _here([d.open for d in history.values() if d.open is not None and d.open.state == SENDING])
    due: list[_Due] = []
    skipped: list[DeliveryResult] = []
    for s in subscribers:
        decision = plan_delivery(history[s.id], frequency, now, here)
        if isinstance(decision, Skip):
            skipped.append(DeliveryResult(s.email, "skipped", decision.reason))
        else:
            due.append(_Due(s, decision))
    return due, skipped


# ---------------------------------------------------------------- sending


def send_digests(
    app: App, frequency: str = "weekly", *, to: str | None = None, environ: Mapping[str, str] | None = None
) -> DigestRunReport:
    """Send every due digest of `frequency` subscribers and record each delivery; with `to`, send one test digest
    to that address instead and record nothing. The report has one result per active subscriber of the frequency:
    sent, empty (not sent: nothing new, and `digest.send_empty` is off), failed (with the error; retried by the
    next run) or skipped (not due, or being sent by another run).

    Raises ConfigError before anything is sent when the SMTP settings or the templates are unusable."""
    _check_frequency(frequency)
    smtp = app.settings.smtp
    password = password_for(smtp, os.environ if environ is None else environ)
    sender = sender_address(smtp.from_)[1]
    _render(app, sample_digest(options_of(app)))  # a broken template fails the run here, before any mail
    started = app.now()
    if to is not None:
        return _send_test(app, frequency, to, started, Mailer(smtp, password), sender)
    due, results = _plan(app, frequency, started)
    options = options_of(app)
    state = load_state(app, min((d.plan.window.start for d in due), default=started), started) if due else None
    with Mailer(smtp, password) as mailer:
        for d in due:
            assert state is not None
            results.append(_deliver(app, d, state, options, mailer, sender))
    order = {s.email: i for i, s in enumerate(subscriber_store.listing(app.db, frequency=frequency))}
    results.sort(key=lambda r: order.get(r.email, len(order)))
    return DigestRunReport(frequency, started, app.now(), tuple(results))


def _deliver(
    app: App, due: _Due, state: DigestState, options: DigestOptions, mailer: Mailer, sender: str
) -> DeliveryResult:
    s, plan = due.subscriber, due.plan
    digest = build_digest(recipient_of(s), plan.window, state, options)
    counts = digest.counts
    result = DeliveryResult(
        s.email,
        "empty",
        window_start=plan.window.start,
        window_end=plan.window.end,
        changes=counts.changes,
        evidence=counts.evidence,
    )
    if digest.is_empty and not app.settings.digest.send_empty:
        return result
    rendered = _render(app, digest)  # a broken template raises here, before anything is claimed
    claim = delivery_store.Claim(
        subscriber_id=s.id,
        frequency=s.frequency,
        window_start=plan.window.start,
        window_end=plan.window.end,
        message_id=plan.retry.message_id if plan.retry is not None else new_message_id(app.settings.smtp.from_),
        retry=plan.retry,
        newest_id=plan.newest_id,
    )
    claimed = delivery_store.claim(app.db, claim, app.now(), os.getpid(), socket.gethostname())
    if claimed is None:
        return replace(result, outcome="skipped", error="another run sent or claimed it meanwhile")
    result = replace(result, message_id=claimed.message_id, attempt=claimed.attempts)
    with _in_flight(claimed.id):
        try:
            message = build_message(
                rendered,
                from_setting=app.settings.smtp.from_,
                to_email=s.email,
                to_name=s.name,
                message_id=claimed.message_id,
                date=app.now(),
                unsubscribe=list_unsubscribe(app.settings.smtp.from_, s.token, digest.unsubscribe_url),
            )
            mailer.send(message, sender, s.email)
        except SmtpError as e:
            delivery_store.mark_failed(app.db, claimed, str(e))
            return replace(result, outcome="failed", error=str(e))
        except BaseException as e:
            _mark_failed_anyway(app, claimed, e)
            raise
        delivery_store.mark_sent(app.db, claimed.id, app.now())
    return replace(result, outcome="sent")


def _mark_failed_anyway(app: App, claimed: DeliveryRow, error: BaseException) -> None:
    """Record that an attempt ended by an unexpected error or an interruption; the error itself goes on. If even
    that fails (the database is what failed), the claim stays and the next run finds it abandoned."""
    line = (
        f"interrupted ({str(error) or 'SIGINT'})"
        if isinstance(error, KeyboardInterrupt)
        else (f"{type(error).__name__}: {error}" if str(error) else type(error).__name__)
    )
    try:
        delivery_store.mark_failed(app.db, claimed, line)
    except MonitorError as again:
        error.add_note(f"digest delivery {claimed.id} could not be marked failed: {again}")


def _test_recipient(app: App, frequency: str, to: str) -> Recipient:
    from ..subscribers import check_email

    address = check_email(to, "--to")
    known = subscriber_store.find(app.db, address)
    if known is not None:
        return Recipient(
            known.email, known.name, frequency, known.agreements, known.countries, known.milestones, known.token
        )
    return Recipient(address, None, frequency)


def _send_test(app: App, frequency: str, to: str, started: dt.datetime, mailer: Mailer, sender: str) -> DigestRunReport:
    """One digest to `to` (their own filters if they are a subscriber, else everything) for the default span
    ending now; sent even when empty, marked "[test]" in the subject, recorded nowhere."""
    recipient = _test_recipient(app, frequency, to)
    window = Window(started - period(frequency), started, first=True)
    digest = build_digest(recipient, window, load_state(app, window.start, window.end), options_of(app))
    rendered = _render(app, digest)
    message_id = new_message_id(app.settings.smtp.from_)
    message = build_message(
        rendered,
        from_setting=app.settings.smtp.from_,
        to_email=recipient.email,
        to_name=recipient.name,
        message_id=message_id,
        date=started,
        unsubscribe=list_unsubscribe(app.settings.smtp.from_, recipient.token, digest.unsubscribe_url),
        subject_prefix="[test] ",
    )
    with mailer:
        try:
            mailer.send(message, sender, recipient.email)
            result = DeliveryResult(
                recipient.email,
                "sent",
                window_start=window.start,
                window_end=window.end,
                message_id=message_id,
                changes=digest.counts.changes,
                evidence=digest.counts.evidence,
            )
        except SmtpError as e:
            result = DeliveryResult(
                recipient.email,
                "failed",
                str(e),
                window_start=window.start,
                window_end=window.end,
                message_id=message_id,
            )
    return DigestRunReport(frequency, started, app.now(), (result,), test=True)


# ---------------------------------------------------------------- previews


_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9@._+-]")


def file_stem(email: str, taken: set[str]) -> str:
    """A file name for an address: characters outside [A-Za-z0-9@._+-] as '_', never '.'-only or a duplicate."""
    stem = _UNSAFE_NAME.sub("_", email).lstrip(".") or "subscriber"
    base, n = stem, 2
    while stem.lower() in taken:
        stem, n = f"{base}-{n}", n + 1
    taken.add(stem.lower())
    return stem


def preview_digests(app: App, frequency: str, out_dir: Path, *, to: str | None = None) -> PreviewReport:
    """Write what `--send` would send now, per due subscriber of `frequency`: `<email>.eml`, `.html` and `.txt` in
    `out_dir` (created), empty digests too (marked: `--send` would not send them). Records nothing. With `to`, the
    test digest `--send --to` would send."""
    _check_frequency(frequency)
    from_setting = app.settings.smtp.from_
    now = app.now()
    options = options_of(app)
    jobs: list[tuple[Recipient, Window, str, bool]] = []  # recipient, window, Message-ID, is a test
    previews: list[Preview] = []
    if to is not None:
        recipient = _test_recipient(app, frequency, to)
        jobs.append((recipient, Window(now - period(frequency), now, first=True), new_message_id(from_setting), True))
    else:
        due, skipped = _plan(app, frequency, now)
        previews.extend(Preview(r.email, "skipped", reason=r.error) for r in skipped)
        for d in due:
            message_id = d.plan.retry.message_id if d.plan.retry is not None else new_message_id(from_setting)
            jobs.append((recipient_of(d.subscriber), d.plan.window, message_id, False))
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise MonitorError(f"--preview: cannot create {out_dir}: {e.strerror or e}") from e
    state = load_state(app, min(w.start for _, w, _, _ in jobs), now) if jobs else None
    taken: set[str] = set()
    for recipient, window, message_id, test in jobs:
        assert state is not None
        digest = build_digest(recipient, window, state, options)
        rendered = _render(app, digest)
        message = build_message(
            rendered,
            from_setting=from_setting,
            to_email=recipient.email,
            to_name=recipient.name,
            message_id=message_id,
            date=now,
            unsubscribe=list_unsubscribe(from_setting, recipient.token, digest.unsubscribe_url),
            subject_prefix="[test] " if test else "",
        )
        stem = file_stem(recipient.email, taken)
        paths = (out_dir / f"{stem}.eml", out_dir / f"{stem}.html", out_dir / f"{stem}.txt")
        try:
            paths[0].write_bytes(bytes(message))
            paths[1].write_text(rendered.html, encoding="utf-8")
            paths[2].write_text(rendered.text, encoding="utf-8")
        except OSError as e:
            raise MonitorError(f"--preview: cannot write {out_dir / stem}.*: {e.strerror or e}") from e
        empty = digest.is_empty
        previews.append(
            Preview(
                recipient.email,
                "written",
                empty=empty,
                would_send=test or not empty or app.settings.digest.send_empty,
                eml=str(paths[0]),
                html=str(paths[1]),
                txt=str(paths[2]),
                window_start=window.start,
                window_end=window.end,
            )
        )
    return PreviewReport(frequency, str(out_dir), tuple(previews))
