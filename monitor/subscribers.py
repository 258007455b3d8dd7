"""Digest subscribers: add (or replace) a subscription, list, pause, resume, unsubscribe by token, remove.

Everything is checked before anything is written: the address (a bad one is bad input, exit 2), the name, the
frequency, and the filters against the config (unknown ids name the closest ones). State goes through
storage.subscribers."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from .app import App
from .errors import InputError, unknown_id
from .plan.deliveries import FREQUENCIES
from .storage import subscribers as store
from .storage.subscribers import SubscriberIn
from .views import SubscriberView

MAX_NAME = 200


@dataclass(frozen=True)
class SubscriberResult:
    """What a change did: the subscriber as it now is (None once removed) and one line saying so."""

    message: str
    subscriber: SubscriberView | None
    changed: bool = True


def check_email(address: str, what: str = "EMAIL") -> str:
    """A deliverable-looking address (syntax only: no DNS), normalised: the domain in lower case and ASCII
    (IDNA). Display names ("Ana <ana@example.org>") and non-ASCII local parts are refused."""
    from email_validator import EmailNotValidError, validate_email

    if len(address) > 320 or any(unicodedata.category(c)[0] == "C" for c in address):
        raise InputError(f"{what}: not an e-mail address: {address[:80]!r}")
    try:
        found = validate_email(address, check_deliverability=False, allow_smtputf8=False)
    except EmailNotValidError as e:
        raise InputError(f"{what}: not an e-mail address {address!r}: {e}") from None
    return str(found.ascii_email)


def check_name(name: str | None) -> str | None:
    if name is None:
        return None
    if not name.strip() or len(name) > MAX_NAME or any(unicodedata.category(c)[0] == "C" for c in name):
        raise InputError(f"--name: not a name (1 to {MAX_NAME} characters, no control characters): {name[:80]!r}")
    return name.strip()


def check_frequency(frequency: str) -> str:
    if frequency not in FREQUENCIES:
        raise InputError(f"--frequency: unknown frequency {frequency!r} (one of: {', '.join(FREQUENCIES)})")
    return frequency


def _filters(app: App, agreements: Sequence[str], countries: Sequence[str], milestones: Sequence[str]) -> SubscriberIn:
    defs = app.definitions
    known_agreements = [a.id for a in defs.agreements]
    for a in agreements:
        if a not in known_agreements:
            raise unknown_id("agreement", a, known_agreements)
    parties = sorted({p for a in defs.agreements for p in a.parties})
    codes = []
    for c in countries:
        if c.upper() not in parties:
            raise InputError(f"--country: unknown country {c!r} (tracked: {', '.join(parties)})")
        codes.append(c.upper())
    known_milestones = [m.id for m in defs.milestones]
    for m in milestones:
        if m not in known_milestones:
            raise unknown_id("milestone", m, known_milestones)
    return SubscriberIn(
        email="",
        name=None,
        frequency="weekly",
        agreements=tuple(dict.fromkeys(agreements)),
        countries=tuple(dict.fromkeys(codes)),
        milestones=tuple(dict.fromkeys(milestones)),
    )


def describe(s: SubscriberView) -> str:
    """'ana@example.org (weekly, everything)' / '... (daily, country JP, milestone kr-final-text, paused)'."""
    follows = (
        ["everything"]
        if s.follows_everything
        else [
            *(f"agreement {a}" for a in s.agreements),
            *(f"country {c}" for c in s.countries),
            *(f"milestone {m}" for m in s.milestones),
        ]
    )
    status = "" if s.active else f", {s.status}"
    return f"{s.email} ({s.frequency}, {', '.join(follows)}{status})"


def add(
    app: App,
    email: str,
    *,
    name: str | None = None,
    frequency: str = "weekly",
    agreements: Sequence[str] = (),
    countries: Sequence[str] = (),
    milestones: Sequence[str] = (),
) -> SubscriberResult:
    """Subscribe `email`, or replace their subscription (name, frequency, filters) if they have one: the command
    states the whole subscription. A paused or unsubscribed subscriber is active again."""
    address = check_email(email)
    wanted = _filters(app, agreements, countries, milestones)
    wanted = SubscriberIn(
        address, check_name(name), check_frequency(frequency), wanted.agreements, wanted.countries, wanted.milestones
    )
    before, after = store.upsert(app.db, wanted, app.now())
    if before is None:
        return SubscriberResult(f"subscribed {describe(after)}", after)
    if before == after:
        return SubscriberResult(f"{describe(after)} is already subscribed so; nothing changed", after, changed=False)
    again = f" (was {before.status})" if not before.active else ""
    return SubscriberResult(f"updated {describe(after)}{again}", after)


def listing(app: App) -> list[SubscriberView]:
    return store.listing(app.db)


def _find(app: App, email: str) -> SubscriberView:
    found = store.find(app.db, email.strip())
    if found is None:
        raise unknown_id("subscriber", email, store.emails(app.db))
    return found


def remove(app: App, email: str) -> SubscriberResult:
    s = _find(app, email)
    store.remove(app.db, s.id)
    return SubscriberResult(f"removed {s.email} and the record of their digests", None)


def pause(app: App, email: str) -> SubscriberResult:
    s = _find(app, email)
    if not s.active:
        return SubscriberResult(f"{s.email} is already {s.status}; nothing changed", s, changed=False)
    store.set_active(app.db, s.id, False)
    message = f"paused {s.email}: no digests until 'monitor subscribers resume {s.email}'"
    return SubscriberResult(message, _find(app, email))


def resume(app: App, email: str) -> SubscriberResult:
    """Make a paused subscriber active again. Someone who unsubscribed themselves is not resumed: subscribe them
    again with `add` if they asked for it."""
    s = _find(app, email)
    if s.active:
        return SubscriberResult(f"{s.email} is already active; nothing changed", s, changed=False)
    if s.unsubscribed_at is not None:
        raise InputError(
            f"{s.email} unsubscribed on {app.local_date(s.unsubscribed_at)}: not resumed "
            "(if they asked to receive digests again: monitor subscribers add ...)"
        )
    store.set_active(app.db, s.id, True)
    return SubscriberResult(f"resumed {s.email}", _find(app, email))


def unsubscribe(app: App, token: str) -> SubscriberResult:
    """Honour an unsubscribe token (from a digest's List-Unsubscribe): that subscriber gets no more digests."""
    token = token.strip()
    if not token or len(token) > 64 or not token.replace("-", "").replace("_", "").isalnum() or not token.isascii():
        raise InputError(f"TOKEN: not an unsubscribe token: {token[:80]!r}")
    before = store.by_token(app.db, token)
    if before is None:
        raise InputError("TOKEN: no subscriber has this unsubscribe token (already removed?)")
    if before.unsubscribed_at is not None:
        return SubscriberResult(
            f"{before.email} already unsubscribed on {app.local_date(before.unsubscribed_at)}", before, changed=False
        )
    after = store.unsubscribe(app.db, token, app.now())
    return SubscriberResult(f"unsubscribed {before.email}: no more digests", after)
