"""The definitions the rest of the program reads: frozen, built once from feeds.yaml and milestones.yaml."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Literal

from dateutil.relativedelta import relativedelta

from ..match.rules import MatchRule
from ..match.terms import Term
from ..sources.select import SelectDef  # the html adapter owns its selector type


@dataclass(frozen=True)
class DueRule:
    """When a milestone is due: a fixed date, an offset from signing or another milestone, or a soft target."""

    kind: Literal["fixed", "after", "expected"]
    on: dt.date | None = None  # fixed date or expected date
    after: str | None = None  # "signed" or a milestone id
    days: int = 0
    months: int = 0

    @property
    def soft(self) -> bool:
        return self.kind == "expected"

    def offset(self, start: dt.date) -> dt.date:
        """`start` plus the offset; past the last representable date it stays at 9999-12-31 (config refuses the
        rules it can see would get there, but a dependant of a very late completion can still reach it)."""
        return self.checked_offset(start) or dt.date.max

    def checked_offset(self, start: dt.date) -> dt.date | None:
        """`start` plus the offset, or None beyond 9999-12-31."""
        try:
            return start + relativedelta(months=self.months, days=self.days)
        except (OverflowError, ValueError):  # date arithmetic past date.max
            return None

    def describe(self) -> str:
        if self.kind == "fixed":
            return str(self.on)
        if self.kind == "expected":
            return f"expected {self.on} (soft target)"
        span = " + ".join(
            p
            for p in (
                f"{self.months} months" if self.months else "",
                f"{self.days} days" if self.days else "",
            )
            if p
        )
        base = "signing" if self.after == "signed" else self.after
        return f"{base} + {span or '0 days'}"


@dataclass(frozen=True)
class AgreementDef:
    id: str
    title: str
    kind: str
    parties: tuple[str, ...]
    signed: dt.date | None
    binding: bool
    description: str = ""
    url: str | None = None


@dataclass(frozen=True)
class MilestoneDef:
    """A milestone as configured; it is also what the matcher reads of it (a match.rules.MilestoneRule)."""

    id: str
    agreement: str
    title: str
    description: str
    due: DueRule | None
    match: MatchRule | None
    signals: tuple[tuple[str, tuple[Term, ...]], ...] = ()


@dataclass(frozen=True)
class FeedDef:
    id: str
    title: str
    type: Literal["rss", "federal_register", "html"]
    url: str
    tier: Literal["official", "news"]
    countries: tuple[str, ...]
    enabled: bool
    select: SelectDef | None = None
    max_pages: int = 3


@dataclass(frozen=True)
class Definitions:
    agreements: tuple[AgreementDef, ...] = ()
    milestones: tuple[MilestoneDef, ...] = ()
    feeds: tuple[FeedDef, ...] = ()
    aliases: dict[str, tuple[Term, ...]] = field(default_factory=dict)
    signals: dict[str, tuple[Term, ...]] = field(default_factory=dict)

    def agreement(self, agreement_id: str) -> AgreementDef:
        return next(a for a in self.agreements if a.id == agreement_id)

    def milestone(self, milestone_id: str) -> MilestoneDef:
        return next(m for m in self.milestones if m.id == milestone_id)
