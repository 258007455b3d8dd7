"""What the use cases show: milestone and evidence views (frozen dataclasses), and the one serialiser that turns
any of them, or any report, into the `--json` document (README "CLI reference" lists the shapes).

The CLI, the digest and the published report all read these same views, so they never disagree.

`to_json` walks dataclasses in field order. A field's `metadata` may rename its key (`json_key("from")`), leave
it out (`HIDDEN`) or merge a nested view's keys in place (`INLINE`); a class may add computed properties with
`json_extras = (Extra("completed_on", after="days_left"),)`. Dates and datetimes become ISO 8601, tuples lists.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, is_dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, ClassVar, Final

if TYPE_CHECKING:  # matching is not imported to list milestones (start-up stays fast)
    from .match.engine import Explanation

FAILING_AFTER = 3  # consecutive failed checks that make a source "failing" (SPEC §7): digests, report, feeds

# What json.dumps(..., ensure_ascii=False) leaves raw but a terminal or an editor would act on (it escapes C0
# itself): DEL, C1, and the bidi embeddings, overrides and isolates.
_JSON_UNSAFE = re.compile("[\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_KEY = "json"
_INLINE = "json_inline"
HIDDEN: Final[Mapping[str, Any]] = MappingProxyType({_KEY: None})  # the field is not in the document
INLINE: Final[Mapping[str, Any]] = MappingProxyType({_INLINE: True})  # a nested view's keys, merged in place


def json_key(name: str) -> Mapping[str, Any]:
    """Field metadata: the field's key in the document, when it differs from the attribute."""
    return MappingProxyType({_KEY: name})


@dataclass(frozen=True)
class Extra:
    """A computed property in the document: right after the field `after`, or at the end."""

    name: str
    after: str | None = None


def to_json(obj: Any) -> Any:
    """`obj` as plain JSON values. Raises TypeError on a value it does not know (a bug, never swallowed)."""
    if obj is None or isinstance(obj, str | bool | int | float):
        return obj
    if isinstance(obj, dt.date):  # datetime too
        return obj.isoformat()
    if is_dataclass(obj) and not isinstance(obj, type):
        return _dataclass(obj)
    if isinstance(obj, list | tuple):
        return [to_json(v) for v in obj]
    if isinstance(obj, Mapping):
        return {_string_key(k): to_json(v) for k, v in obj.items()}
    raise TypeError(f"to_json: cannot serialise {type(obj).__name__}")


def json_visible(doc: str) -> str:
    """A JSON document with the characters json.dumps leaves raw (DEL, C1, bidi controls) written as `\\uXXXX`
    escapes; they only occur inside strings, so the parsed value is unchanged."""
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", doc)


def json_document(value: Any) -> str:
    """`value` (plain JSON values, see to_json) as an indented JSON document, non-ASCII kept, every character
    a terminal would act on escaped (json_visible); no trailing newline."""
    return json_visible(json.dumps(value, indent=2, ensure_ascii=False))


def _string_key(key: Any) -> str:
    if not isinstance(key, str):
        raise TypeError(f"to_json: a mapping key must be a string, got {type(key).__name__}")
    return key


def _dataclass(obj: Any) -> dict[str, Any]:
    extras: tuple[Extra, ...] = getattr(type(obj), "json_extras", ())
    out: dict[str, Any] = {}
    for f in fields(obj):
        value = getattr(obj, f.name)
        if f.metadata.get(_INLINE):
            nested = to_json(value)
            if not isinstance(nested, dict):
                raise TypeError(f"to_json: {type(obj).__name__}.{f.name} is INLINE but not a dataclass or mapping")
            out.update(nested)
        else:
            key = f.metadata.get(_KEY, f.name)
            if key is not None:
                out[key] = to_json(value)
        for extra in extras:
            if extra.after == f.name:
                out[extra.name] = to_json(getattr(obj, extra.name))
    names = {f.name for f in fields(obj)}
    for extra in extras:
        if extra.after is None:
            out[extra.name] = to_json(getattr(obj, extra.name))
        elif extra.after not in names:
            raise TypeError(f"to_json: {type(obj).__name__}: {extra.name!r} follows no field {extra.after!r}")
    return out


# ---------------------------------------------------------------- milestones


@dataclass(frozen=True)
class MilestoneView:
    """One milestone as listed: its definition, stored status and deadline as of today."""

    json_extras: ClassVar[tuple[Extra, ...]] = (Extra("completed_on", after="days_left"),)

    id: str
    agreement: str
    agreement_title: str = field(metadata=HIDDEN)  # in `show`, not in listings
    title: str
    status: str
    status_on: dt.date | None
    due: dt.date | None
    due_rule: str | None
    soft: bool = field(metadata=json_key("soft_deadline"))
    deadline_state: str
    days_left: int | None
    evidence_url: str | None
    last_evidence: dt.datetime | None
    quiet: bool
    countries: tuple[str, ...]

    @property
    def completed_on(self) -> dt.date | None:
        return self.status_on if self.status in ("complete", "partial") else None


@dataclass(frozen=True)
class HistoryRow:
    """One row of a milestone's history, as recorded. `kind`: a change (the world moved), a correction (an earlier
    record was wrong: its status, date or evidence) or an undo (an earlier change or correction taken back);
    `refers_to` is the `id` of the row a correction corrects or an undo reverts. After any row the milestone holds
    its `to` status, `on` as the verdict date when that status is a verdict, and its `evidence_url`."""

    milestone: str
    from_status: str = field(metadata=json_key("from"))
    to_status: str = field(metadata=json_key("to"))
    on: dt.date
    recorded_at: dt.datetime
    by: str
    note: str | None
    evidence_url: str | None
    match_id: int | None
    kind: str
    refers_to: int | None
    id: int


# ---------------------------------------------------------------- evidence


@dataclass(frozen=True)
class Source:
    """One item behind a piece of evidence."""

    feed: str
    url: str | None
    title: str


@dataclass(frozen=True)
class MatchView:
    """One piece of evidence: its primary item, every source, and how it was judged."""

    id: int
    milestone: str
    item_title: str
    item_url: str | None
    published: dt.datetime
    feed: str
    score: float
    signal: str
    state: str
    snippet: str
    terms: tuple[str, ...]
    sources: tuple[Source, ...]
    note: str | None
    reviewed_at: dt.datetime | None
    # which terms matched where and why the signal, by the current rules (listings that ask for it)
    explanation: Explanation | None = None


@dataclass(frozen=True)
class MilestoneDetail:
    """One milestone in full (`show`): the listing's view, then what counts, dependencies, history, evidence."""

    json_extras: ClassVar[tuple[Extra, ...]] = (Extra("agreement_title", after="view"),)

    view: MilestoneView = field(metadata=INLINE)
    description: str
    depends_on: str | None
    dependants: tuple[str, ...]
    history: tuple[HistoryRow, ...]
    matches: tuple[MatchView, ...]

    @property
    def agreement_title(self) -> str:
        return self.view.agreement_title


# ---------------------------------------------------------------- the overview


@dataclass(frozen=True)
class AgreementView:
    """One agreement with its milestones counted: by deadline state (every state, zeros included), open ones (no
    verdict yet) and quiet ones."""

    id: str
    title: str
    kind: str
    parties: tuple[str, ...]
    signed: dt.date | None
    binding: bool
    milestones: int
    open: int
    quiet: int
    deadline_states: Mapping[str, int]


@dataclass(frozen=True)
class EvidenceWaiting:
    """Unreviewed evidence for one milestone: how many matches, and the newest item's publication."""

    milestone: str
    title: str
    matches: int
    latest: dt.datetime


@dataclass(frozen=True)
class FailingSource:
    """An enabled source whose last checks failed (`consecutive_failures` of them)."""

    id: str
    title: str
    type: str
    url: str
    consecutive_failures: int
    last_error: str | None
    last_checked: dt.datetime | None
    last_success: dt.datetime | None


@dataclass(frozen=True)
class Summary:
    """The overview (`monitor summary`), as of `today`: agreements with their milestones counted; open milestones
    overdue (most overdue first), due within `due_soon_days` (soonest first) and quiet (no evidence for
    `quiet_after_days`); unreviewed evidence per milestone; failing sources; when a source was last checked
    (None: never polled)."""

    today: dt.date
    due_soon_days: int
    quiet_after_days: int
    agreements: tuple[AgreementView, ...]
    overdue: tuple[MilestoneView, ...]
    due_soon: tuple[MilestoneView, ...]
    quiet: tuple[MilestoneView, ...]
    new_matches: int
    new_evidence: tuple[EvidenceWaiting, ...]
    failing_sources: tuple[FailingSource, ...]
    sources_checked: dt.datetime | None


# ---------------------------------------------------------------- digests


@dataclass(frozen=True)
class SubscriberView:
    """A digest subscriber as listed (`subscribers list`): who, how often, what they follow, whether they get it.

    `status`: `active`, `paused`, or `unsubscribed` (they used their token); no filters means everything."""

    json_extras: ClassVar[tuple[Extra, ...]] = (Extra("status", after="active"),)

    id: int
    email: str
    name: str | None
    frequency: str
    agreements: tuple[str, ...]
    countries: tuple[str, ...]
    milestones: tuple[str, ...]
    active: bool
    unsubscribed_at: dt.datetime | None
    created_at: dt.datetime
    last_sent_at: dt.datetime | None  # when their last digest was accepted by the mail server
    token: str = field(metadata=HIDDEN, repr=False)  # their unsubscribe token: in their mail, not in listings

    @property
    def status(self) -> str:
        if self.active:
            return "active"
        return "unsubscribed" if self.unsubscribed_at is not None else "paused"

    @property
    def follows_everything(self) -> bool:
        return not (self.agreements or self.countries or self.milestones)


# ---------------------------------------------------------------- items


@dataclass(frozen=True)
class ItemView:
    """One stored item, matched or not (`monitor items`), with the milestones it is evidence for."""

    id: int
    feed: str
    title: str
    link: str | None
    published: dt.datetime
    first_seen: dt.datetime
    updated_at: dt.datetime
    milestones: tuple[str, ...]
    text: str
