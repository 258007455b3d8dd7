"""Evidence: matching stored items against milestones, and listing what was found.

Matching never changes a status; only a person does (monitor.review: review --complete; complete, status).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from .app import App
from .choices import check_ids, check_words, distinct
from .deadlines import VERDICTS
from .match.engine import ItemText, Matcher, build_matcher
from .matching import Matched, MatchSpec, matched
from .storage import evidence_reads
from .storage import matches as store
from .storage import milestones as milestone_store
from .storage.feeds import Unmatched
from .views import MatchView

BATCH = 2000
MATCH_STATES = ("new", "confirmed", "dismissed")
SIGNALS = ("completion", "progress", "delay", "none")


def matcher_for(app: App) -> Matcher:
    d = app.definitions
    return build_matcher(d.milestones, d.aliases, d.signals, app.settings.matching.threshold)


def open_milestones(app: App, with_rule: bool = True) -> list[str]:
    """Milestones without a verdict, in config order; only those with a `match:` rule unless `with_rule` is false."""
    closed = milestone_store.with_status(app.db, VERDICTS)
    return [m.id for m in app.definitions.milestones if m.id not in closed and (m.match is not None or not with_rule)]


@dataclass(frozen=True)
class RematchReport:
    items: int
    added: int
    removed: int
    milestones: tuple[str, ...]


def _run(
    app: App, scope: list[str], only_pending: bool, found: Mapping[tuple[str, str], Matched] | None = None
) -> RematchReport:
    """Match stored items and record the evidence, batch by batch. `found`: matches the parse workers already
    computed, by (feed, content hash), under this very scope; an item not in it is matched here."""
    matcher: Matcher | None = None
    allowed = frozenset(scope)  # built once, not per item
    total = added = removed = 0
    for rows in store.items_to_match(app.db, BATCH, only_pending):
        batch = []
        for item in rows:
            pre = found.get((item.feed_id, item.content_hash)) if found else None
            if pre is None:
                if matcher is None:
                    matcher = matcher_for(app)
                pre = matched(matcher, item, allowed)
            batch.append(store.ItemMatches(item, pre.results, pre.story_key, pre.story_title))
        counts = store.record(app.db, batch, scope, app.now())
        total += len(rows)
        added += counts.added
        removed += counts.removed
    return RematchReport(total, added, removed, tuple(scope))


def match_spec(app: App) -> MatchSpec:
    """This cycle's rules and scope, for the parse workers to match the items they parse."""
    import uuid

    d = app.definitions
    scope = open_milestones(app, with_rule=False)
    return MatchSpec.of(uuid.uuid4().hex, d.milestones, d.aliases, d.signals, app.settings.matching.threshold, scope)


def unmatched(app: App, spec: MatchSpec, matched: Sequence[Matched]) -> Unmatched:
    """The contents among a feed's items that the parse workers found to match nothing under `spec`, for the
    feed's transaction to store as matched while the spec's scope still holds (storage.feeds.apply_update)."""
    return Unmatched(
        frozenset(m.content_hash for m in matched if not m.results),
        spec.scope,
        tuple(m.id for m in app.definitions.milestones),
        VERDICTS,
    )


def match_pending(
    app: App,
    found: Mapping[tuple[str, str], Matched] | None = None,
    spec: MatchSpec | None = None,
) -> int:
    """Match new and changed items (as marked by polling) against every open milestone. `found` (with the `spec`
    it was computed under): what the parse workers matched already; used only while the open milestones are still
    the spec's; if a status changed during the cycle, the items it stored as matching nothing under the spec's
    scope (see `unmatched`) are matched again too, under the scope of now. Nothing pending and nothing stored as
    matched (a cycle that stored nothing): one indexed lookup; no matcher is built unless an item is pending."""
    settled = [key for key, m in found.items() if not m.results] if found else []  # stored as matched
    if not settled and not store.has_pending(app.db):
        return 0
    scope = open_milestones(app, with_rule=False)
    if spec is None or spec.scope != frozenset(scope):
        if settled:
            store.mark_for_matching(app.db, settled)
        found = None  # a status changed during the cycle: match again under the scope of now
    return _run(app, scope, only_pending=True, found=found).added


def _milestones(app: App, milestone: str | Sequence[str] | None) -> list[str]:
    """The milestone ids an option named (one, several, or "a,b"), each checked; [] when none was given."""
    wanted = distinct(milestone)
    check_ids(wanted, [m.id for m in app.definitions.milestones], "milestone")
    return wanted


def rematch(app: App, milestone_id: str | Sequence[str] | None = None) -> RematchReport:
    """Apply the current rules to every stored item: new evidence added, unreviewed evidence that no longer
    holds removed. Reviewed evidence is never changed. A milestone whose `match:` rule was deleted is in scope
    too: nothing matches it any more, so its unreviewed evidence goes. `milestone_id`: only this one or these
    (closed ones too)."""
    scope = _milestones(app, milestone_id) or open_milestones(app, with_rule=False)
    return _run(app, scope, only_pending=False)


# ---------------------------------------------------------------- listing


def _words(value: str | Sequence[str] | None, known: Sequence[str], what: str) -> list[str]:
    words = distinct(value)
    check_words(words, known, what)
    return words


def list_matches(
    app: App,
    milestone: str | Sequence[str] | None = None,
    state: str | Sequence[str] | None = None,
    signal: str | Sequence[str] | None = None,
    since: dt.date | None = None,
    limit: int | None = None,
    match_id: int | None = None,
    explain: bool = False,
) -> list[MatchView]:
    """Evidence found, newest item first. `milestone`, `state`, `signal`: one value or several (any of them; "a,b"
    is two); different conditions must all hold. Raises InputError on an unknown milestone, state or signal. With
    `explain`, each match says which terms matched where and why its signal (by the current rules)."""
    milestones = _milestones(app, milestone)
    states = _words(state, MATCH_STATES, "match state")
    signals = _words(signal, SIGNALS, "signal")
    views = evidence_reads.matches(
        app.db, milestone=milestones, state=states, signal=signals, since=since, limit=limit, match_id=match_id
    )
    return explained(app, views) if explain else views


def explained(app: App, views: list[MatchView]) -> list[MatchView]:
    """`views` with their explanations: the current rules run again on each primary item."""
    if not views:
        return views
    texts = evidence_reads.matched_texts(app.db, [v.id for v in views])
    matcher = matcher_for(app)
    out = []
    for v in views:
        t = texts.get(v.id)
        why = None if t is None else matcher.explain(ItemText(t.title, t.text, t.published.date()), v.milestone)
        out.append(replace(v, explanation=why))
    return out
