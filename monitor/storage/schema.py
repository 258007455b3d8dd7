"""The SQLAlchemy 2.0 typed ORM schema. Changes go through an alembic migration in db/migrations/."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Timezone-aware UTC in Python; UTC on disk whatever the backend keeps."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {dt.datetime: UTCDateTime(), dict[str, Any]: JSON, list[Any]: JSON}


class Agreement(Base):
    __tablename__ = "agreements"
    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    title: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(40))
    parties: Mapped[list[Any]] = mapped_column(JSON)
    signed: Mapped[dt.date | None] = mapped_column(Date)
    retired_at: Mapped[dt.datetime | None]


class Milestone(Base):
    __tablename__ = "milestones"
    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    agreement_id: Mapped[str] = mapped_column(ForeignKey("agreements.id"))
    title: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    status_on: Mapped[dt.date | None] = mapped_column(Date)  # the verdict's date
    evidence_url: Mapped[str | None] = mapped_column(Text)
    last_evidence_at: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime]
    retired_at: Mapped[dt.datetime | None]


class StatusChange(Base):
    """Append-only history of status changes."""

    __tablename__ = "status_history"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    milestone_id: Mapped[str] = mapped_column(ForeignKey("milestones.id"), index=True)
    from_status: Mapped[str] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    on: Mapped[dt.date] = mapped_column(Date)
    recorded_at: Mapped[dt.datetime]
    by: Mapped[str] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(Text)
    evidence_url: Mapped[str | None] = mapped_column(Text)
    match_id: Mapped[int | None] = mapped_column(ForeignKey("matches.id"))
    # change (the world moved) | correction (an earlier record was wrong) | undo (an earlier change taken back)
    kind: Mapped[str] = mapped_column(String(20), default="change")
    # the row a correction corrects or an undo reverts; None for a change
    refers_to: Mapped[int | None] = mapped_column(ForeignKey("status_history.id"))


class Feed(Base):
    __tablename__ = "feeds"
    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    title: Mapped[str] = mapped_column(Text)
    type: Mapped[str] = mapped_column(String(30))
    url: Mapped[str] = mapped_column(Text)
    tier: Mapped[str] = mapped_column(String(20))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    retired_at: Mapped[dt.datetime | None]
    last_checked: Mapped[dt.datetime | None]
    last_success: Mapped[dt.datetime | None]
    last_status: Mapped[int | None] = mapped_column(Integer)
    etag: Mapped[str | None] = mapped_column(Text)
    last_modified: Mapped[str | None] = mapped_column(Text)
    body_hash: Mapped[str | None] = mapped_column(String(64))
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    next_check_after: Mapped[dt.datetime | None]


class Item(Base):
    __tablename__ = "items"
    __table_args__ = (UniqueConstraint("feed_id", "key"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    feed_id: Mapped[str] = mapped_column(ForeignKey("feeds.id"))
    key: Mapped[str] = mapped_column(String(600))  # guid, else link, else a hash
    link: Mapped[str | None] = mapped_column(Text)
    title: Mapped[str] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)  # plain text for matching
    html: Mapped[str | None] = mapped_column(Text)  # sanitised HTML for display
    published: Mapped[dt.datetime]
    published_raw: Mapped[str | None] = mapped_column(Text)
    first_seen: Mapped[dt.datetime]
    updated_at: Mapped[dt.datetime]
    content_hash: Mapped[str] = mapped_column(String(64))
    needs_match: Mapped[bool] = mapped_column(Boolean, default=True, index=True)


class Match(Base):
    __tablename__ = "matches"
    __table_args__ = (UniqueConstraint("item_id", "milestone_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"))
    milestone_id: Mapped[str] = mapped_column(ForeignKey("milestones.id"), index=True)
    score: Mapped[float] = mapped_column(Float)
    terms: Mapped[list[Any]] = mapped_column(JSON)
    snippet: Mapped[str] = mapped_column(Text)
    signal: Mapped[str] = mapped_column(String(20))
    state: Mapped[str] = mapped_column(String(20), default="new")
    story_key: Mapped[str] = mapped_column(String(600))  # canonical link: same story from several feeds
    story_title: Mapped[str] = mapped_column(String(600), default="")  # normalised headline, the other key
    created_at: Mapped[dt.datetime]
    reviewed_at: Mapped[dt.datetime | None]
    note: Mapped[str | None] = mapped_column(Text)


Index("ix_matches_story", Match.milestone_id, Match.story_key)
Index("ix_matches_story_title", Match.milestone_id, Match.story_title)


class MatchSource(Base):
    """Every item behind one piece of evidence: the same story from several feeds is one match."""

    __tablename__ = "match_sources"
    match_id: Mapped[int] = mapped_column(ForeignKey("matches.id", ondelete="CASCADE"), primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"), primary_key=True, index=True)


class Subscriber(Base):
    """A digest subscriber. Filters (agreement ids, country codes, milestone ids) narrow what they receive: a
    milestone is followed when any filter names it, its agreement or one of its parties; no filters, everything.
    `active` is false while paused or after they unsubscribed (`unsubscribed_at`); `token` is their unsubscribe
    token, in every digest's List-Unsubscribe header."""

    __tablename__ = "subscribers"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str | None] = mapped_column(Text)
    frequency: Mapped[str] = mapped_column(String(10), default="weekly")
    agreements: Mapped[list[Any]] = mapped_column(JSON, default=list)
    countries: Mapped[list[Any]] = mapped_column(JSON, default=list)
    milestones: Mapped[list[Any]] = mapped_column(JSON, default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime]
    unsubscribed_at: Mapped[dt.datetime | None]


class DigestDelivery(Base):
    """One digest for one subscriber and window (start, end]. `state`: sending (claimed by `claimed_pid` on
    `claimed_host` at `claimed_at`, not yet accepted by the server), then sent (`sent_at`) or failed (`error`). A
    failed delivery, or one whose claim nobody will finish, is retried with the same start and Message-ID, its end
    moved to the retry's time; a sent one is never sent again."""

    __tablename__ = "digest_deliveries"
    __table_args__ = (UniqueConstraint("subscriber_id", "window_start"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    subscriber_id: Mapped[int] = mapped_column(ForeignKey("subscribers.id", ondelete="CASCADE"), index=True)
    frequency: Mapped[str] = mapped_column(String(10))
    window_start: Mapped[dt.datetime]
    window_end: Mapped[dt.datetime]
    state: Mapped[str] = mapped_column(String(10))  # sending | sent | failed
    message_id: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime]
    sent_at: Mapped[dt.datetime | None]
    error: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claimed_at: Mapped[dt.datetime | None]
    claimed_pid: Mapped[int | None] = mapped_column(Integer)
    claimed_host: Mapped[str | None] = mapped_column(String(255))


class PollRun(Base):
    """One poll cycle. `state`: running, then completed | failed (raised: `error` says why) | interrupted (SIGTERM,
    SIGINT) | abandoned (killed or lost power: found by a later poll, see poll.abandoned_runs)."""

    __tablename__ = "poll_runs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    started_at: Mapped[dt.datetime]
    finished_at: Mapped[dt.datetime | None]
    state: Mapped[str] = mapped_column(String(20), default="running")
    error: Mapped[str | None] = mapped_column(Text)
    pid: Mapped[int | None] = mapped_column(Integer)  # the process that ran it, on `host`
    host: Mapped[str | None] = mapped_column(String(255))
    outcomes: Mapped[list[Any]] = mapped_column(JSON, default=list)
    new_items: Mapped[int] = mapped_column(Integer, default=0)
    updated_items: Mapped[int] = mapped_column(Integer, default=0)
    new_matches: Mapped[int] = mapped_column(Integer, default=0)


class DaemonRun(Base):
    """One `monitor run` process: who it was (pid on host), when it started and how it stopped. `state`: running,
    then stopped (SIGTERM, SIGINT) | failed (it raised: `error`) | abandoned (killed outright: the next daemon,
    holding the lock, finds the row still running)."""

    __tablename__ = "daemon_runs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    pid: Mapped[int] = mapped_column(Integer)
    host: Mapped[str] = mapped_column(String(255))
    started_at: Mapped[dt.datetime]
    stopped_at: Mapped[dt.datetime | None]
    state: Mapped[str] = mapped_column(String(20), default="running")
    error: Mapped[str | None] = mapped_column(Text)


class JobRun(Base):
    """One run of a daemon job (poll, weekly_digest, daily_digest, report). `state`: running, then completed |
    failed (it raised: `error`) | interrupted (SIGTERM, SIGINT) | timed_out (past schedule.poll_timeout) |
    abandoned (its daemon was killed). `summary` is the totals as the log line shows them; `failures` counts
    what failed inside a run that completed (feeds in error, digests not sent)."""

    __tablename__ = "job_runs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    daemon_run_id: Mapped[int | None] = mapped_column(ForeignKey("daemon_runs.id"), index=True)
    job: Mapped[str] = mapped_column(String(40))
    scheduled_for: Mapped[dt.datetime | None]
    started_at: Mapped[dt.datetime]
    finished_at: Mapped[dt.datetime | None]
    state: Mapped[str] = mapped_column(String(20), default="running")
    summary: Mapped[str] = mapped_column(Text, default="")
    failures: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    totals: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


Index("ix_job_runs_job", JobRun.job, JobRun.id)
