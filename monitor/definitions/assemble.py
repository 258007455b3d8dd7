"""Definitions built from the two validated files, and the checks across entries: duplicate ids, unknown
agreements, aliases and milestones, `due.after` chains and their cycles, html feeds without `select`.

Pure: no database, network or CLI. Every problem is one line naming the file, the field path and the value.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

from pydantic import ValidationError

from ..match.rules import DATE_SLACK_DAYS, MatchRule
from ..match.terms import Term, parse_term
from ..validation import Strict, problems
from .models import AgreementIn, FeedIn, FeedsFile, MilestoneIn, MilestonesFile
from .types import AgreementDef, Definitions, FeedDef, MilestoneDef, SelectDef
from .urls import URL_RULE, is_local

# An item published more than this many days before its agreement was signed is not evidence for its milestones:
# it is about something earlier (the 2000 US–Vietnam trade agreement, the 2023 US–Japan minerals agreement).
# The talks that led to an agreement (a year at most, here since April 2025) still count.
EVIDENCE_BEFORE_SIGNING_DAYS = 365


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


_NOT_SIGNAL_TERMS = {"near": "'near'", "title": "'title:'", "amount": "an amount"}  # what a vocabulary cannot read


def _build_milestones(src: str, f: MilestonesFile, out: list[str], aliases_known: bool = True) -> dict[str, Any]:
    """`aliases_known` is False when the aliases section is broken (and reported): references to aliases are
    then not checked, rather than each reported as unknown."""
    _duplicates(src, "agreements", _raw_ids(f.agreements), out)
    _duplicates(src, "milestones", _raw_ids(f.milestones), out)
    everywhere = dict(f.acronyms)

    def read(raw: list[str], acronyms: dict[str, str | None]) -> tuple[Term, ...]:
        return _with_expansions([parse_term(t, frozenset(acronyms)) for t in raw], acronyms)

    aliases = {k: read(v, everywhere) for k, v in f.aliases.items()}
    agreement_list = [a for _, a in _items(AgreementIn, src, "agreements", f.agreements, out)]
    agreements = {a.id: a for a in agreement_list}
    known_agreements = _raw_ids(f.agreements)  # an invalid agreement is reported once, not at every reference
    milestone_ids = _raw_ids(f.milestones)

    def terms(path: str, raw: list[str], acronyms: dict[str, str | None] = everywhere) -> tuple[Term, ...]:
        result = read(raw, acronyms)
        for t in result:
            for name in [t.text] if t.kind == "alias" else [p.text for p in t.parts if p.kind == "alias"]:
                if name not in aliases and aliases_known:
                    out.append(f"{src}: {path}: unknown alias {'@' + name!r}{_hint(name, list(aliases), '@')}")
        return result

    def vocabulary(path: str, raw: list[str], acronyms: dict[str, str | None] = everywhere) -> tuple[Term, ...]:
        """A signal vocabulary: read in the title and snippet as they are, so only words, phrases, prefixes and
        /regex/ terms (`near`, `title:` or an amount there would silently find nothing). An @alias stands for its
        terms, written out in its place (a list two milestones share is written once), so each of them must be
        one of those kinds too, read with the vocabulary's acronyms (its agreement's too, as if written there)."""
        written: list[tuple[Term, str]] = []  # each term, and how the vocabulary wrote it ('@alias' holds ...)
        for t in terms(path, raw, acronyms):
            if t.kind != "alias":
                written.append((t, f"{t.source!r}"))
            elif t.text in aliases:  # an unknown one is reported by terms()
                written += [(x, f"{t.source!r} holds {x.source!r}") for x in read(f.aliases[t.text], acronyms)]
        for t, shown in written:
            if t.kind in _NOT_SIGNAL_TERMS:
                out.append(
                    f"{src}: {path}: {shown}: a signal term is a word, phrase, prefix* or /regex/, "
                    f"not {_NOT_SIGNAL_TERMS[t.kind]}"
                )
        return tuple(t for t, _ in written)

    signals = {k: vocabulary(f"signals.{k}", v) for k, v in f.signals.items()}
    milestones = []
    for i, m in _items(MilestoneIn, src, "milestones", f.milestones, out):
        here = f"milestones[{i}]"
        agreement = agreements.get(m.agreement)
        if m.agreement not in known_agreements:
            out.append(
                f"{src}: {here}.agreement: unknown agreement {m.agreement!r}{_hint(m.agreement, list(agreements))}"
            )
        due = m.due
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
        scope = {**everywhere, **(agreement.acronyms if agreement is not None else {})}
        if m.match is not None:
            if m.match.all is None and m.match.any is None:
                out.append(f"{src}: {here}.match: give 'all' or 'any' (or both)")
            groups = tuple(
                terms(f"{here}.match.all[{j}]", g if isinstance(g, list) else [g], scope)
                for j, g in enumerate(m.match.all or [])
            )
            signed = agreement.signed if agreement is not None else None
            floor = signed - dt.timedelta(days=EVIDENCE_BEFORE_SIGNING_DAYS) if signed else None
            since = m.match.since
            if since is not None and floor is not None and since <= floor:
                out.append(
                    f"{src}: {here}.match.since: {since} is not after the agreement's own floor ({floor}, a year "
                    f"before its signing): it would change nothing"
                )
            elif since is not None:
                floor = since - dt.timedelta(days=DATE_SLACK_DAYS)  # an item a day early by its UTC date counts
            completed_on, earliest = m.match.completed_on, since or floor
            if completed_on is not None and earliest is not None and completed_on < earliest:
                what = f"match.since ({since})" if since is not None else f"the agreement's own floor ({floor})"
                out.append(
                    f"{src}: {here}.match.completed_on: {completed_on} is before {what}: no item could report "
                    f"the completion"
                )
            rule = MatchRule(
                groups,
                terms(f"{here}.match.any", m.match.any or [], scope),
                terms(f"{here}.match.none", m.match.none, scope),
                floor,
                completed_on,
            )
        own = tuple((k, vocabulary(f"{here}.signals.{k}", v, scope)) for k, v in m.signals.items())
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


def _with_expansions(terms: list[Term], acronyms: dict[str, str | None]) -> tuple[Term, ...]:
    """Each acronym term followed by its declared expansion, so `ART` also finds "Agreement on Reciprocal
    Trade"."""
    out: list[Term] = []
    for t in terms:
        out.append(t)
        expansion = acronyms.get(t.source.strip()) if t.kind == "acronym" else None
        if expansion:
            out.append(parse_term(expansion))
    return tuple(out)


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
