"""Whether a subscriber gets a digest in this run, and for which window (start, end]: a pure decision over their
deliveries.

- A delivery that failed, or whose claim nobody will finish (its process is gone, or it is older than
  STALE_CLAIM), is retried: same start, same Message-ID, its end moved to now.
- A delivery claimed by a process that is still at it is left alone (skipped).
- Otherwise a new digest covers (end of the last sent one, now]; the first one the default span (7 days weekly,
  1 day daily). A subscriber whose last digest went out less than half a period ago is not due: a second run (cron
  and the daemon both configured, a manual `digest --send`) sends nothing, while a run that comes late (the daemon
  was down) still sends, and the next one is on schedule.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass

PERIOD = {"weekly": dt.timedelta(days=7), "daily": dt.timedelta(days=1)}  # also the first digest's span
FREQUENCIES = tuple(PERIOD)
STALE_CLAIM = dt.timedelta(hours=1)  # far beyond what sending one message takes (smtp.timeout_s per step)
SENDING, SENT, FAILED = "sending", "sent", "failed"


@dataclass(frozen=True)
class DeliveryRow:
    """A stored delivery, as the planner reads it."""

    id: int
    subscriber_id: int
    frequency: str
    window_start: dt.datetime
    window_end: dt.datetime
    state: str  # sending | sent | failed
    message_id: str
    attempts: int
    claimed_at: dt.datetime | None
    claimed_pid: int | None
    claimed_host: str | None
    sent_at: dt.datetime | None
    error: str | None


@dataclass(frozen=True)
class Deliveries:
    """One subscriber's deliveries as far as planning cares: the last sent one, the one not sent (at most one
    exists: a new delivery is only made when none is open), and the id of the newest row (a concurrent run that
    made one since is noticed when claiming)."""

    last_sent: DeliveryRow | None = None
    open: DeliveryRow | None = None
    newest_id: int | None = None


@dataclass(frozen=True)
class Here:
    """Who is planning: this host and process, the processes of this host still alive among those that hold
    claims, and the deliveries this process is sending right now."""

    host: str
    pid: int
    live_pids: Collection[int] = ()
    sending: Collection[int] = ()


@dataclass(frozen=True)
class Window:
    """(start, end] in UTC; `first`: no digest was sent before, so it is the default span."""

    start: dt.datetime
    end: dt.datetime
    first: bool = False

    def __contains__(self, when: object) -> bool:
        return isinstance(when, dt.datetime) and self.start < when <= self.end


@dataclass(frozen=True)
class Send:
    """Build and send the digest for `window`. `retry`: the open delivery it finishes (its Message-ID is reused);
    None: a new delivery (newest_id: the newest row seen, which must still be the newest when it is claimed)."""

    window: Window
    retry: DeliveryRow | None
    newest_id: int | None


@dataclass(frozen=True)
class Skip:
    reason: str


def period(frequency: str) -> dt.timedelta:
    return PERIOD[frequency]


def abandoned(row: DeliveryRow, now: dt.datetime, here: Here) -> str | None:
    """Why nobody will finish a `sending` claim, or None when its process may still be at it."""
    if row.claimed_at is None or row.claimed_pid is None or row.claimed_host is None:
        return "claimed without a process recorded"
    if now - row.claimed_at >= STALE_CLAIM:
        return f"claimed {row.claimed_at:%Y-%m-%d %H:%M} UTC and never finished"
    if row.claimed_host == here.host:
        if row.claimed_pid == here.pid:
            return None if row.id in here.sending else "claimed earlier by this process and never finished"
        if row.claimed_pid not in here.live_pids:
            return f"process {row.claimed_pid} on {row.claimed_host} ended without finishing it"
    return None


def plan_delivery(deliveries: Deliveries, frequency: str, now: dt.datetime, here: Here) -> Send | Skip:
    """What to do for one subscriber of `frequency` at `now`."""
    open_ = deliveries.open
    if open_ is not None:
        if open_.state == SENDING and abandoned(open_, now, here) is None:
            at = f"{open_.claimed_at:%Y-%m-%d %H:%M} UTC" if open_.claimed_at else "an unknown time"
            return Skip(f"being sent by process {open_.claimed_pid} on {open_.claimed_host} since {at}")
        last = deliveries.last_sent
        return Send(Window(open_.window_start, max(now, open_.window_start), first=last is None), open_, None)
    last = deliveries.last_sent
    if last is None:
        return Send(Window(now - period(frequency), now, first=True), None, deliveries.newest_id)
    if now - last.window_end < period(frequency) / 2:
        sent = last.sent_at or last.window_end
        return Skip(f"its last digest went out {sent:%Y-%m-%d %H:%M} UTC, less than half a {_unit(frequency)} ago")
    return Send(Window(last.window_end, now), None, deliveries.newest_id)


def _unit(frequency: str) -> str:
    return {"weekly": "week", "daily": "day"}[frequency]
