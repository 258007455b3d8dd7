"""Digest subscribers in the database: add (an upsert on the address), list, find, pause and resume, unsubscribe by
token, remove. Addresses are compared without regard to case. Validation is the use case's (monitor.subscribers)."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from ..views import SubscriberView
from .engine import SUBSCRIBERS_LOCK, Database, serialise
from .schema import DigestDelivery, Subscriber


@dataclass(frozen=True)
class SubscriberIn:
    """A subscription as `subscribers add` states it: the whole of it, replacing what was there."""

    email: str
    name: str | None
    frequency: str
    agreements: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()
    milestones: tuple[str, ...] = ()


def new_token() -> str:
    """An unsubscribe token: 32 URL-safe characters, 192 random bits, never starting with "-" (one in 64 would:
    `monitor subscribers unsubscribe -Xy...` would read it as an option)."""
    while True:
        token = secrets.token_urlsafe(24)
        if not token.startswith("-"):
            return token


def _last_sent() -> Any:
    return (
        select(DigestDelivery.subscriber_id, func.max(DigestDelivery.sent_at).label("last_sent"))
        .where(DigestDelivery.state == "sent")
        .group_by(DigestDelivery.subscriber_id)
        .subquery()
    )


def _views(s: Session, where: Sequence[Any] = ()) -> list[SubscriberView]:
    last = _last_sent()
    q = select(Subscriber, last.c.last_sent).outerjoin(last, last.c.subscriber_id == Subscriber.id)
    for w in where:
        q = q.where(w)
    return [_view(sub, sent) for sub, sent in s.execute(q.order_by(Subscriber.email, Subscriber.id))]


def _view(sub: Subscriber, last_sent: dt.datetime | None) -> SubscriberView:
    return SubscriberView(
        id=sub.id,
        email=sub.email,
        name=sub.name,
        frequency=sub.frequency,
        agreements=tuple(sub.agreements or ()),
        countries=tuple(sub.countries or ()),
        milestones=tuple(sub.milestones or ()),
        active=sub.active,
        unsubscribed_at=sub.unsubscribed_at,
        created_at=sub.created_at,
        last_sent_at=last_sent,
        token=sub.token,
    )


def _same_address(email: str) -> Any:
    return func.lower(Subscriber.email) == email.lower()


def listing(db: Database, *, frequency: str | None = None, active: bool | None = None) -> list[SubscriberView]:
    """Subscribers by address; only those of `frequency`, only active (or inactive) ones when asked."""
    where = []
    if frequency is not None:
        where.append(Subscriber.frequency == frequency)
    if active is not None:
        where.append(Subscriber.active.is_(active))
    with db.read() as s:
        return _views(s, where)


def find(db: Database, email: str) -> SubscriberView | None:
    with db.read() as s:
        found = _views(s, [_same_address(email)])
    return found[0] if found else None


def by_token(db: Database, token: str) -> SubscriberView | None:
    with db.read() as s:
        found = _views(s, [Subscriber.token == token])
    return found[0] if found else None


def emails(db: Database) -> list[str]:
    with db.read() as s:
        return list(s.scalars(select(Subscriber.email).order_by(Subscriber.email)))


def active_count(db: Database) -> int:
    with db.read() as s:
        return s.scalar(select(func.count()).select_from(Subscriber).where(Subscriber.active.is_(True))) or 0


def upsert(db: Database, wanted: SubscriberIn, now: dt.datetime) -> tuple[SubscriberView | None, SubscriberView]:
    """Add a subscriber, or replace an existing one's name, frequency and filters (the same address in any case):
    (before, after). Adding makes them active again if they had paused or unsubscribed; their token stays."""
    values = {
        "name": wanted.name,
        "frequency": wanted.frequency,
        "agreements": list(wanted.agreements),
        "countries": list(wanted.countries),
        "milestones": list(wanted.milestones),
        "active": True,
        "unsubscribed_at": None,
    }
    with db.write() as s:
        # one adder at a time: two adds of one address in different cases (Ana@, ana@) must not both insert, and
        # FOR UPDATE locks nothing when no row exists yet
        serialise(s, SUBSCRIBERS_LOCK)
        found = s.scalars(select(Subscriber).where(_same_address(wanted.email)).with_for_update()).first()
        before = _views(s, [Subscriber.id == found.id])[0] if found is not None else None
        if found is None:
            s.add(Subscriber(email=wanted.email, token=new_token(), created_at=now, **values))
        else:
            s.execute(update(Subscriber).where(Subscriber.id == found.id).values(**values))
        s.flush()
        after = _views(s, [_same_address(wanted.email)])[0]
    return before, after


def set_active(db: Database, subscriber_id: int, active: bool) -> None:
    with db.write() as s:
        s.execute(update(Subscriber).where(Subscriber.id == subscriber_id).values(active=active))


def unsubscribe(db: Database, token: str, now: dt.datetime) -> SubscriberView | None:
    """The token's subscriber, unsubscribed (inactive, with the time they did it; a second use changes nothing),
    or None for a token nobody has."""
    with db.write() as s:
        s.execute(
            update(Subscriber)
            .where(Subscriber.token == token, Subscriber.unsubscribed_at.is_(None))
            .values(active=False, unsubscribed_at=now)
        )
        found = _views(s, [Subscriber.token == token])
    return found[0] if found else None


def remove(db: Database, subscriber_id: int) -> None:
    """Delete a subscriber and their delivery records."""
    with db.write() as s:
        s.execute(delete(DigestDelivery).where(DigestDelivery.subscriber_id == subscriber_id))
        s.execute(delete(Subscriber).where(Subscriber.id == subscriber_id))
