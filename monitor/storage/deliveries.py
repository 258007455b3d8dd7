"""Digest deliveries: what each subscriber was sent, is being sent, or failed to get.

A delivery is claimed before its message goes out (state `sending`, with the claiming process), marked `sent`
once the server accepted it, `failed` with the error otherwise. Claims are taken with the subscriber's row locked
(PostgreSQL: FOR UPDATE; SQLite: the write transaction excludes other writers) and only if nothing changed since
the run planned it, so two runs at once never both send one digest. monitor.plan.deliveries decides; this module
reads and writes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import CursorResult, select, update

from ..plan.deliveries import FAILED, SENDING, SENT, Deliveries, DeliveryRow
from .engine import Database
from .schema import DigestDelivery, Subscriber

_COLUMNS = (
    DigestDelivery.id,
    DigestDelivery.subscriber_id,
    DigestDelivery.frequency,
    DigestDelivery.window_start,
    DigestDelivery.window_end,
    DigestDelivery.state,
    DigestDelivery.message_id,
    DigestDelivery.attempts,
    DigestDelivery.claimed_at,
    DigestDelivery.claimed_pid,
    DigestDelivery.claimed_host,
    DigestDelivery.sent_at,
    DigestDelivery.error,
)


def _row(r: Any) -> DeliveryRow:
    return DeliveryRow(*r)


@dataclass(frozen=True)
class Claim:
    """A delivery to claim: a retry of `retry` (unchanged since it was read), or a new one for `subscriber_id`
    with this window and Message-ID, made only if `newest_id` is still the subscriber's newest delivery."""

    subscriber_id: int
    frequency: str
    window_start: dt.datetime
    window_end: dt.datetime
    message_id: str
    retry: DeliveryRow | None
    newest_id: int | None


def of_subscribers(db: Database, subscriber_ids: Collection[int]) -> dict[int, Deliveries]:
    """Each subscriber's last sent delivery, the open one (not sent), and the id of the newest."""
    found: dict[int, list[DeliveryRow]] = {i: [] for i in subscriber_ids}
    if not found:
        return {}
    with db.read() as s:
        q = select(*_COLUMNS).where(DigestDelivery.subscriber_id.in_(list(found))).order_by(DigestDelivery.id)
        for r in s.execute(q):
            found[r.subscriber_id].append(_row(r))
    return {i: _summary(rows) for i, rows in found.items()}


def _summary(rows: list[DeliveryRow]) -> Deliveries:
    sent = [r for r in rows if r.state == SENT]
    unsent = [r for r in rows if r.state != SENT]
    return Deliveries(
        last_sent=max(sent, key=lambda r: (r.window_end, r.id)) if sent else None,
        open=unsent[-1] if unsent else None,
        newest_id=rows[-1].id if rows else None,
    )


def history(db: Database, subscriber_id: int) -> list[DeliveryRow]:
    """Every delivery of one subscriber, oldest first."""
    with db.read() as s:
        q = select(*_COLUMNS).where(DigestDelivery.subscriber_id == subscriber_id).order_by(DigestDelivery.id)
        return [_row(r) for r in s.execute(q)]


def claim(db: Database, c: Claim, now: dt.datetime, pid: int, host: str) -> DeliveryRow | None:
    """Claim a delivery for this process (state `sending`), or None when the subscriber is gone or inactive, or
    another run got there first (made a delivery, or claimed, sent or marked this one meanwhile)."""
    with db.write() as s:
        active = s.execute(
            select(Subscriber.active).where(Subscriber.id == c.subscriber_id).with_for_update()
        ).scalar_one_or_none()
        if not active:
            return None
        newest = s.scalar(
            select(DigestDelivery.id)
            .where(DigestDelivery.subscriber_id == c.subscriber_id)
            .order_by(DigestDelivery.id.desc())
            .limit(1)
        )
        claimed = {"state": SENDING, "claimed_at": now, "claimed_pid": pid, "claimed_host": host}
        if c.retry is not None:
            r = c.retry
            done = cast(
                CursorResult[Any],
                s.execute(
                    update(DigestDelivery)
                    .where(
                        DigestDelivery.id == r.id,
                        DigestDelivery.state == r.state,
                        DigestDelivery.attempts == r.attempts,
                    )
                    .values(frequency=c.frequency, window_end=c.window_end, attempts=r.attempts + 1, **claimed)
                ),
            )
            if done.rowcount != 1:
                return None
            delivery_id = r.id
        else:
            if newest != c.newest_id:
                return None
            row = DigestDelivery(
                subscriber_id=c.subscriber_id,
                frequency=c.frequency,
                window_start=c.window_start,
                window_end=c.window_end,
                message_id=c.message_id,
                created_at=now,
                attempts=1,
                **claimed,
            )
            s.add(row)
            s.flush()
            delivery_id = row.id
        return _row(s.execute(select(*_COLUMNS).where(DigestDelivery.id == delivery_id)).one())


def mark_sent(db: Database, delivery_id: int, sent_at: dt.datetime) -> None:
    """The server accepted the message: sent, whatever else happened to the row meanwhile."""
    with db.write() as s:
        s.execute(
            update(DigestDelivery)
            .where(DigestDelivery.id == delivery_id)
            .values(state=SENT, sent_at=sent_at, error=None)
        )


def mark_failed(db: Database, delivery: DeliveryRow, error: str) -> None:
    """This attempt failed: the delivery is retried by the next run. A row another run has sent or claimed again
    since is left as it is."""
    with db.write() as s:
        s.execute(
            update(DigestDelivery)
            .where(
                DigestDelivery.id == delivery.id,
                DigestDelivery.state == SENDING,
                DigestDelivery.attempts == delivery.attempts,
            )
            .values(state=FAILED, error=error)
        )
