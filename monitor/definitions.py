"""feeds.yaml and milestones.yaml: pydantic models, cross-checks, and the frozen definitions built from them.

Pure: no database, network or CLI. Every problem is one line naming the file, the field path and the value.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from dateutil.relativedelta import relativedelta
from pydantic import AfterValidator, Field, ValidationError, field_validator

from .match.terms import Term, parse_term
from .validation import Strict, located, problems

ID_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
MAX_DAYS = 36_500  # offsets in `due:` up to a hundred years
MAX_MONTHS = 1_200
URL_RULE = "only http(s) URLs or files inside the home are polled"
SIGNALS = ("completion", "progress", "delay")
Signal = Literal["completion", "progress", "delay"]

# ---------------------------------------------------------------- frozen definitions


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
class MatchRule:
    all: tuple[tuple[Term, ...], ...] = ()  # each group must occur (any term of the group)
    any: tuple[Term, ...] = ()  # at least one must occur (when given)
    none: tuple[Term, ...] = ()  # none may occur


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
    id: str
    agreement: str
    title: str
    description: str
    due: DueRule | None
    match: MatchRule | None
    signals: tuple[tuple[str, tuple[Term, ...]], ...] = ()


@dataclass(frozen=True)
class SelectDef:
    item: str
    title: str
    link: str
    date: str | None = None


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


# ---------------------------------------------------------------- file models


def _term(value: str) -> str:
    parse_term(value)
    return value


# A term checked on its own, so a problem is located at its index: `signals.progress[2]`.
TermText = Annotated[str, AfterValidator(_term)]


def _terms(values: list[Any]) -> list[Any]:
    for v in values:
        for t in v if isinstance(v, list) else [v]:
            parse_term(t)
    return values


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

    @field_validator("parties")
    @classmethod
    def _cc(cls, v: list[str]) -> list[str]:
        return [_country(c) for c in v]

    @field_validator("signed", mode="before")
    @classmethod
    def _signed(cls, v: Any) -> Any:
        return None if v is None else _date(v)


class MatchIn(Strict):
    all: list[str | list[str]] | None = None
    any: list[str] | None = None
    none: list[str] = []

    _t = field_validator("all", "any", "none")(lambda v: _terms(v) if v is not None else v)

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
    due: Any = None
    match: MatchIn | None = None
    signals: dict[Signal, list[TermText]] = {}

    @field_validator("due")
    @classmethod
    def _due(cls, v: Any) -> Any:
        parse_due(v)
        return v


class MilestonesFile(Strict):
    aliases: dict[str, list[str]] = {}
    signals: dict[Signal, list[TermText]] = {}
    agreements: list[Any] = []  # each validated on its own (AgreementIn / MilestoneIn)
    milestones: list[Any] = []

    @field_validator("aliases")
    @classmethod
    def _aliases(cls, v: dict[str, list[str]]) -> dict[str, list[str]]:
        import re

        for name, terms in v.items():
            if not re.fullmatch(r"[a-z0-9_-]+", name):
                raise ValueError(f"bad alias name {name!r} (use a-z, 0-9, - and _)")
            if not terms:
                raise ValueError(f"alias {name!r} is empty")
            for t in _terms(terms):
                if parse_term(t).kind == "alias":
                    raise ValueError(f"alias {name!r}: aliases cannot refer to other aliases ({t!r})")
        return v


def _country(code: str) -> str:
    import re

    if not re.fullmatch(r"[A-Za-z]{2}", code):
        raise ValueError(f"not a two-letter country code: {code!r}")
    return code.upper()


def parse_due(v: Any) -> DueRule | None:
    """A due rule from its YAML form; ValueError names what is wrong."""
    shapes = "expected a date, {after: signed|<milestone>, days: N | months: N} or {expected: DATE}"
    if v is None:
        return None
    if isinstance(v, dt.datetime):
        return DueRule("fixed", on=v.date())
    if isinstance(v, dt.date):
        return DueRule("fixed", on=v)
    if isinstance(v, str):
        return DueRule("fixed", on=_date(v))
    if not isinstance(v, dict):
        raise ValueError(f"{shapes}, got {v!r}")
    keys = set(v)
    if keys == {"expected"}:
        return DueRule("expected", on=_date(v["expected"]))
    if "after" in keys and keys <= {"after", "days", "months"} and keys & {"days", "months"}:
        after = v["after"]
        if not isinstance(after, str) or not after:
            raise ValueError(f"'after' must be 'signed' or a milestone id, got {after!r}")
        days, months = v.get("days", 0), v.get("months", 0)
        for name, n, limit in (("days", days, MAX_DAYS), ("months", months, MAX_MONTHS)):
            if not isinstance(n, int) or isinstance(n, bool) or not 0 <= n <= limit:
                raise ValueError(f"'{name}' must be a whole number of {name} from 0 to {limit}, got {n!r}")
        return DueRule("after", after=after, days=days, months=months)
    raise ValueError(f"{shapes}, got {v!r}")


def _date(v: Any) -> dt.date:
    if isinstance(v, dt.datetime):
        return v.date()
    if isinstance(v, dt.date):
        return v
    try:
        return dt.date.fromisoformat(str(v))
    except ValueError:
        raise ValueError(f"not a valid date (YYYY-MM-DD): {v!r}{located(v)}") from None


# ---------------------------------------------------------------- feed URLs


def is_local(url: str) -> bool:
    """A `file:` URL or a path: read from disk rather than fetched (as the fetcher decides)."""
    return url.startswith("file:") or "://" not in url


def url_problem(url: str) -> str | None:
    """None when a feed URL may be polled, else why not ("" when the rule itself says it): http(s) with a host
    that is not link-local, unspecified or multicast; or a local file (`file:///path` or a path), which the
    loader also requires to be inside the home. Loopback and private addresses stay allowed."""
    if any(ord(c) < 32 or ord(c) == 127 for c in url):
        return "control characters"
    try:
        parts = urlsplit(url)
        port_ok = parts.port is None or parts.port > 0
    except ValueError as e:  # a bad port or a malformed [IPv6] host
        return str(e)
    scheme = parts.scheme.lower()
    if scheme in ("http", "https"):
        host = parts.hostname
        if not host:
            return "no host"
        if not port_ok:
            return "port 0"
        refused = _refused_address(host)
        return f"{refused} address" if refused else None
    if scheme == "file":
        return None if not parts.netloc and parts.path.startswith("/") else "a file: URL is file:///absolute/path"
    if scheme == "" and not url.startswith("//"):
        return None  # a path
    return ""


def _refused_address(host: str) -> str | None:
    """What is wrong with an IP-literal host (link-local, unspecified, multicast, broadcast), else None. Names are
    not resolved here: that is the fetcher's business at connect time."""
    import ipaddress
    import re
    import socket

    h = host.rstrip(".").split("%", 1)[0]
    ip: ipaddress.IPv4Address | ipaddress.IPv6Address | None
    try:
        ip = ipaddress.ip_address(h)
    except ValueError:
        ip = None
        if re.fullmatch(r"[0-9a-fA-FxX.]+", h) and re.search(r"\d", h):
            try:  # the shorthand forms a resolver also takes: 2852039166, 0xa9.254.0xa9fe, 169.254.43518
                ip = ipaddress.IPv4Address(socket.inet_aton(h))
            except OSError:
                ip = None
    if ip is None:
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.is_link_local:
        return "link-local"
    if ip.is_unspecified or (isinstance(ip, ipaddress.IPv4Address) and ip in ipaddress.ip_network("0.0.0.0/8")):
        return "unspecified"
    if ip.is_multicast:
        return "multicast"
    if ip == ipaddress.IPv4Address("255.255.255.255"):
        return "broadcast"
    return None


# ---------------------------------------------------------------- build and cross-check


def build(
    feeds_src: str,
    feeds_data: Any,
    ms_src: str,
    ms_data: Any,
    local_ok: Callable[[str], bool] | None = None,
) -> tuple[Definitions | None, list[str]]:
    """Validate both files and cross-check them; returns the definitions or every problem found. `local_ok`
    says whether a feed's local file may be read (the loader knows the home; this module touches no disk)."""
    out: list[str] = []
    feeds_file, _ = _validate(FeedsFile, feeds_src, feeds_data, out)
    ms_file, ms_broken = _validate(MilestonesFile, ms_src, ms_data, out)
    feeds: tuple[FeedDef, ...] = ()
    if feeds_file is not None:
        feeds = _build_feeds(feeds_src, feeds_file, out, local_ok)
    if ms_file is None:
        return None, out
    defs = _build_milestones(ms_src, ms_file, out, aliases_known="aliases" not in ms_broken)
    if out:
        return None, _name_entries(
            out, [(feeds_src, "feeds", feeds_data), (ms_src, "milestones", ms_data), (ms_src, "agreements", ms_data)]
        )
    return Definitions(feeds=feeds, **defs), []


def _name_entries(lines: list[str], sections: list[tuple[str, str, Any]]) -> list[str]:
    """Add the entry's id to each problem located by index: `milestones[3].match.any: ... (milestone 'x')`."""
    import re

    out = lines
    for src, section, data in sections:
        raw = data.get(section) if isinstance(data, dict) else None
        if not isinstance(raw, list):
            continue
        ids = [e.get("id") if isinstance(e, dict) else None for e in raw]
        where = re.compile(rf"^{re.escape(src)}: {section}\[(\d+)\]")

        def named(line: str, ids: list[Any] = ids, where: re.Pattern[str] = where, kind: str = section[:-1]) -> str:
            m = where.match(line)
            if m and int(m.group(1)) < len(ids) and isinstance(ids[int(m.group(1))], str):
                return f"{line} ({kind} {ids[int(m.group(1))]!r})"
            return line

        out = [named(line) for line in out]
    return out


def _validate(model: type[Strict], src: str, data: Any, out: list[str]) -> tuple[Any, set[str]]:
    """The file's model and the top-level sections left out of it because they are broken. An unknown
    top-level key (`milestone:` beside `milestones:`) or a broken section is reported, and the rest is still
    validated, so one problem hides no other."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        out.append(f"{src}: (top level): expected a mapping, got {type(data).__name__}")
        return None, set()
    known = list(model.model_fields)
    for key in data:
        if key not in known:
            out.append(f"{src}: {key}: unknown key{_hint(str(key), known)}")
    data = {k: v for k, v in data.items() if k in known}
    try:
        return model.model_validate(data), set()
    except ValidationError as e:
        out.extend(problems(src, e))
        broken = {str(err["loc"][0]) for err in e.errors() if err["loc"]}
    try:
        return model.model_validate({k: v for k, v in data.items() if k not in broken}), broken
    except ValidationError:  # sections are independent, so this is not expected: the problems are reported above
        return None, broken


def _items(model: type[Strict], src: str, section: str, raw: list[Any], out: list[str]) -> list[tuple[int, Any]]:
    """Validate each entry of a list on its own; returns (index, model) for the valid ones."""
    valid = []
    for i, entry in enumerate(raw):
        try:
            valid.append((i, model.model_validate(entry)))
        except ValidationError as e:
            out.extend(problems(src, e, prefix=(section, i)))
    return valid


def _raw_ids(raw: list[Any]) -> list[str]:
    return [e["id"] for e in raw if isinstance(e, dict) and isinstance(e.get("id"), str)]


def _duplicates(src: str, section: str, ids: list[str], out: list[str]) -> None:
    seen: dict[str, int] = {}
    for i, x in enumerate(ids):
        if x in seen:
            out.append(f"{src}: {section}[{i}].id: duplicate id {x!r} (first at {section}[{seen[x]}])")
        else:
            seen[x] = i


def _build_feeds(src: str, f: FeedsFile, out: list[str], local_ok: Callable[[str], bool] | None) -> tuple[FeedDef, ...]:
    _duplicates(src, "feeds", _raw_ids(f.feeds), out)
    result = []
    for i, x in _items(FeedIn, src, "feeds", f.feeds, out):
        if local_ok is not None and is_local(x.url) and not local_ok(x.url):
            out.append(f"{src}: feeds[{i}].url: {URL_RULE}, got {x.url!r}")
        if x.type == "html" and x.select is None:
            out.append(f"{src}: feeds[{i}].select: required for an html feed ({{item, title, link, date}})")
        if x.type != "html" and x.select is not None:
            out.append(f"{src}: feeds[{i}].select: only html feeds take 'select'")
        sel = SelectDef(**x.select.model_dump()) if x.select else None
        result.append(
            FeedDef(x.id, x.title or x.id, x.type, x.url, x.tier, tuple(x.countries), x.enabled, sel, x.max_pages)
        )
    return tuple(result)


def _build_milestones(src: str, f: MilestonesFile, out: list[str], aliases_known: bool = True) -> dict[str, Any]:
    """`aliases_known` is False when the aliases section is broken (and reported): references to aliases are
    then not checked, rather than each reported as unknown."""
    _duplicates(src, "agreements", _raw_ids(f.agreements), out)
    _duplicates(src, "milestones", _raw_ids(f.milestones), out)
    aliases = {k: tuple(parse_term(t) for t in v) for k, v in f.aliases.items()}
    agreement_list = [a for _, a in _items(AgreementIn, src, "agreements", f.agreements, out)]
    agreements = {a.id: a for a in agreement_list}
    known_agreements = _raw_ids(f.agreements)  # an invalid agreement is reported once, not at every reference
    milestone_ids = _raw_ids(f.milestones)

    def terms(path: str, raw: list[str]) -> tuple[Term, ...]:
        result = tuple(parse_term(t) for t in raw)
        for t in result:
            if t.kind == "alias" and t.text not in aliases and aliases_known:
                out.append(f"{src}: {path}: unknown alias {t.source!r}{_hint(t.text, list(aliases), '@')}")
        return result

    signals = {k: terms(f"signals.{k}", v) for k, v in f.signals.items()}
    milestones = []
    for i, m in _items(MilestoneIn, src, "milestones", f.milestones, out):
        here = f"milestones[{i}]"
        agreement = agreements.get(m.agreement)
        if m.agreement not in known_agreements:
            out.append(
                f"{src}: {here}.agreement: unknown agreement {m.agreement!r}{_hint(m.agreement, list(agreements))}"
            )
        due = parse_due(m.due)
        if due is not None and due.kind == "after":
            if due.after == "signed":
                if agreement is not None and agreement.signed is None:
                    out.append(f"{src}: {here}.due.after: agreement {agreement.id!r} has no 'signed' date")
                elif agreement is not None and agreement.signed and due.checked_offset(agreement.signed) is None:
                    out.append(
                        f"{src}: {here}.due: {agreement.signed} + {due.describe().removeprefix('signing + ')} "
                        f"is past {dt.date.max}"
                    )
            elif due.after is None or due.after not in milestone_ids:
                out.append(
                    f"{src}: {here}.due.after: unknown milestone {due.after!r}{_hint(due.after or '', milestone_ids)}"
                )
            elif due.after == m.id:
                out.append(f"{src}: {here}.due.after: a milestone cannot depend on itself ({m.id!r})")
        rule = None
        if m.match is not None:
            if m.match.all is None and m.match.any is None:
                out.append(f"{src}: {here}.match: give 'all' or 'any' (or both)")
            groups = tuple(
                terms(f"{here}.match.all[{j}]", g if isinstance(g, list) else [g])
                for j, g in enumerate(m.match.all or [])
            )
            rule = MatchRule(
                groups,
                terms(f"{here}.match.any", m.match.any or []),
                terms(f"{here}.match.none", m.match.none),
            )
        own = tuple((k, terms(f"{here}.signals.{k}", v)) for k, v in m.signals.items())
        milestones.append(MilestoneDef(m.id, m.agreement, m.title, m.description.strip(), due, rule, own))
    _cycles(src, milestones, {m: i for i, m in enumerate(milestone_ids)}, out)
    agreement_defs = tuple(
        AgreementDef(a.id, a.title, a.kind, tuple(a.parties), a.signed, a.binding, a.description.strip(), a.url)
        for a in agreement_list
    )
    return {
        "agreements": agreement_defs,
        "milestones": tuple(milestones),
        "aliases": aliases,
        "signals": signals,
    }


def _cycles(src: str, milestones: list[MilestoneDef], index: dict[str, int], out: list[str]) -> None:
    after = {m.id: m.due.after for m in milestones if m.due and m.due.kind == "after" and m.due.after != "signed"}
    reported: set[str] = set()
    for start in after:
        path, node = [start], after.get(start)
        while node is not None and node in after and node not in path:
            path.append(node)
            node = after.get(node)
        if node is not None and node in path:
            cycle = path[path.index(node) :]
            key = min(cycle)
            if key not in reported:
                reported.add(key)
                chain = " -> ".join([*cycle, node])
                out.append(f"{src}: milestones[{index[cycle[0]]}].due.after: dependency cycle {chain}")


def _hint(value: str, known: list[str], prefix: str = "") -> str:
    import difflib

    close = difflib.get_close_matches(value, known, n=2, cutoff=0.6)
    return f" (did you mean {', '.join(repr(prefix + c) for c in close)}?)" if close else ""
