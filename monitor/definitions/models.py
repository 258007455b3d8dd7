"""The pydantic models of feeds.yaml and milestones.yaml: each field checked where it is written, so a problem
is located at its path (`milestones[3].match.any[2]`). Cross-checks between entries are in assemble.py."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, PlainValidator, field_validator

from ..match.terms import acronym, parse_term
from ..validation import Strict
from .due import parse_date, parse_due
from .types import DueRule
from .urls import URL_RULE, url_problem

ID_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
SIGNALS = ("completion", "progress", "delay")
Signal = Literal["completion", "progress", "delay"]
# a milestone may also name terms that mean "about something else" (the parent agreement's signing): signal `none`
OwnSignal = Literal["completion", "progress", "delay", "none"]


def _term(value: str) -> str:
    parse_term(value)
    return value


# A term checked on its own, so a problem is located at its index: `signals.progress[2]`.
TermText = Annotated[str, AfterValidator(_term)]

# `due:` parsed once, where it is written: the model holds the DueRule (or None), never the raw YAML.
Due = Annotated[DueRule | None, PlainValidator(parse_due)]


def _terms(values: list[Any]) -> list[Any]:
    for v in values:
        for t in v if isinstance(v, list) else [v]:
            parse_term(t)
    return values


def _acronyms(v: dict[str, str | None]) -> dict[str, str | None]:
    """Acronyms as declared: `ART: Agreement on Reciprocal Trade` (the expansion may be null)."""
    for letters, expansion in v.items():
        acronym(str(letters))
        if expansion is not None:
            parse_term(expansion)
    return v


def _country(code: str) -> str:
    if not re.fullmatch(r"[A-Za-z]{2}", code):
        raise ValueError(f"not a two-letter country code: {code!r}")
    return code.upper()


class SelectIn(Strict):
    item: str
    title: str
    link: str
    date: str | None = None

    @field_validator("item", "title", "link", "date")
    @classmethod
    def _css(cls, v: str | None) -> str | None:
        if v is None:
            return v
        from cssselect import GenericTranslator, SelectorError

        css = v.split("@", 1)[0].strip()
        if css:
            try:
                GenericTranslator().css_to_xpath(css)
            except SelectorError as e:
                raise ValueError(f"bad CSS selector {v!r}: {e}") from None
        return v


class FeedIn(Strict):
    id: str = Field(pattern=ID_PATTERN)
    title: str | None = None
    type: Literal["rss", "federal_register", "html"]
    url: str = Field(min_length=1)
    tier: Literal["official", "news"] = "news"
    countries: list[str] = []
    enabled: bool = True
    select: SelectIn | None = None
    max_pages: int = Field(3, ge=1, le=50)

    @field_validator("countries")
    @classmethod
    def _cc(cls, v: list[str]) -> list[str]:
        return [_country(c) for c in v]

    @field_validator("url")
    @classmethod
    def _url(cls, v: str) -> str:
        why = url_problem(v)
        if why is not None:
            raise ValueError(f"{URL_RULE}, got {v!r}{f' ({why})' if why else ''}")
        return v


class FeedsFile(Strict):
    feeds: list[Any] = []  # each validated on its own as FeedIn, so one bad feed hides no other problem


class AgreementIn(Strict):
    id: str = Field(pattern=ID_PATTERN)
    title: str = Field(min_length=1)
    kind: Literal["trade_agreement", "framework", "mou", "investment", "joint_statement", "truce"]
    parties: list[str] = Field(min_length=1)
    signed: dt.date | None = None
    binding: bool = False
    description: str = ""
    url: str | None = None
    # written with capitals and found only so in its milestones' rules ("ART", not "art"), with its expansion
    acronyms: dict[str, str | None] = {}

    _a = field_validator("acronyms")(_acronyms)

    @field_validator("parties")
    @classmethod
    def _cc(cls, v: list[str]) -> list[str]:
        return [_country(c) for c in v]

    @field_validator("signed", mode="before")
    @classmethod
    def _signed(cls, v: Any) -> Any:
        return None if v is None else parse_date(v)


class MatchIn(Strict):
    all: list[str | list[str]] | None = None
    any: list[str] | None = None
    none: list[str] = []
    since: dt.date | None = None  # an item published before this is not evidence: what it tracks did not exist yet
    # the day the milestone's event happened, when it is known: an earlier item's completion word is a pledge
    completed_on: dt.date | None = None

    _t = field_validator("all", "any", "none")(lambda v: _terms(v) if v is not None else v)

    @field_validator("since", "completed_on", mode="before")
    @classmethod
    def _dates(cls, v: Any) -> Any:
        return None if v is None else parse_date(v)

    @field_validator("all")
    @classmethod
    def _groups(cls, v: list[Any] | None) -> list[Any] | None:
        if v is not None:
            if not v:
                raise ValueError("'all' is empty: list at least one term, or leave 'all' out")
            for g in v:
                if isinstance(g, list) and not g:
                    raise ValueError("'all' has an empty group")
        return v


class MilestoneIn(Strict):
    id: str = Field(pattern=ID_PATTERN)
    agreement: str
    title: str = Field(min_length=1)
    description: str = ""
    due: Due = None
    match: MatchIn | None = None
    signals: dict[OwnSignal, list[TermText]] = {}


class MilestonesFile(Strict):
    acronyms: dict[str, str | None] = {}  # for every rule and alias: US: United States
    aliases: dict[str, list[str]] = {}
    signals: dict[Signal, list[TermText]] = {}
    agreements: list[Any] = []  # each validated on its own (AgreementIn / MilestoneIn)
    milestones: list[Any] = []

    _a = field_validator("acronyms")(_acronyms)

    @field_validator("aliases")
    @classmethod
    def _aliases(cls, v: dict[str, list[str]]) -> dict[str, list[str]]:
        for name, terms in v.items():
            if not re.fullmatch(r"[a-z0-9_-]+", name):
                raise ValueError(f"bad alias name {name!r} (use a-z, 0-9, - and _)")
            if not terms:
                raise ValueError(f"alias {name!r} is empty")
            for t in _terms(terms):
                if parse_term(t).kind == "alias":
                    raise ValueError(f"alias {name!r}: aliases cannot refer to other aliases ({t!r})")
        return v
